import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from tradeport.system.schedule import run_due_jobs

log = logging.getLogger("tradeport.scheduler")


class Command(BaseCommand):
    help = "Run the scheduler: enqueue periodic jobs. Run exactly one per installation."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=15.0, help="Seconds between checks.")
        parser.add_argument("--once", action="store_true", help="Check once and exit.")

    def handle(self, *args, interval, once, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            close_old_connections()
            try:
                enqueued = run_due_jobs()
                if enqueued:
                    log.info("enqueued %s", ", ".join(enqueued))
            except Exception:
                log.exception("scheduler pass failed; retrying")
            if once:
                break
            slept = 0.0
            while slept < interval and not stopping:
                time.sleep(0.5)
                slept += 0.5
