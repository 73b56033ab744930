import os
import signal
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web server, one task worker and the scheduler together."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-migrate", action="store_true",
                            help="Skip migrate and presets (run `tradeport migrate` separately).")

    def handle(self, *args, host, port, no_migrate, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=1)
            call_command("presets")
        base = [sys.executable, "-m", "tradeport.cli"]
        commands = {
            "web": [*base, "web", "--host", host, "--port", str(port)],
            "worker": [*base, "db_worker", "--interval", "1"],
            "scheduler": [*base, "scheduler"],
        }
        children = {name: subprocess.Popen(cmd, env=os.environ.copy()) for name, cmd in commands.items()}
        self.stdout.write(f"Tradeport is running on http://{host}:{port}/ (Ctrl+C stops it)")
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        exit_code = 0
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    self.stderr.write(f"{name} exited with code {code}; stopping the others")
                    exit_code = code or 1
                    stopping = True
                    break
            time.sleep(0.5)
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        sys.exit(exit_code)
