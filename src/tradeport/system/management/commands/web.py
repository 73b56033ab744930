from django.conf import settings
from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings or key != "control_socket":  # gunicorn < 25 has no control socket
                self.cfg.set(key, value)

    def load(self):
        from tradeport.wsgi import application

        return application


class Command(BaseCommand):
    help = "Run the web server alone (gunicorn), for scaled-out deployments."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, host, port, workers, threads, **options):
        _Gunicorn({
            "bind": f"{host}:{port}", "workers": workers, "threads": threads,
            "worker_class": "gthread", "accesslog": "-", "timeout": 120,
            "forwarded_allow_ips": "127.0.0.1",
            # gunicornc's socket, by default under ~/.gunicorn/: kept with the data, one per port.
            "control_socket": str(settings.DATA_DIR / f"gunicorn-{port}.ctl"),
        }).run()
