import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tradeport.mail.importing import import_sources, progress_bar, sources
from tradeport.mail.models import Mailbox


class Command(BaseCommand):
    help = ("Import earlier mail (ADM-11): .eml files, folders of them (a folder named sendbox holds sent mail), "
            ".zip archives, .mbox files and Outlook .msg. Importing twice imports nothing new.")

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument("--mailbox", required=True, help="Address of the mailbox the mail belongs to.")
        parser.add_argument("--sent", action="store_true", help="Everything given is sent mail.")
        parser.add_argument("--followed-up", action="store_true",
                            help="The mail was already handled: no pending queue, no undistributed mail.")

    def handle(self, *args, paths, mailbox, sent, followed_up, **options):
        target = Mailbox.objects.filter(address=mailbox.strip().lower()).first()
        if target is None:
            raise CommandError(f"no mailbox {mailbox}; add it first with `tradeport mailbox add {mailbox} --protocol none`")
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise CommandError(f"not found: {', '.join(missing)}")
        self.stderr.write("Reading the sources…")
        items = list(sources(paths, sent=sent))
        started = time.monotonic()
        terminal = sys.stderr.isatty()
        last_line = {"share": -1}

        def show(counts):
            line = progress_bar(counts, time.monotonic() - started)
            if terminal:
                sys.stderr.write("\r" + line)
                sys.stderr.flush()
                return
            share = counts.done * 10 // max(counts.total, 1)  # a line per tenth when not on a terminal
            if share != last_line["share"]:
                last_line["share"] = share
                self.stderr.write(line)

        counts = import_sources(target, items, followed_up=followed_up, progress=show)
        if terminal:
            sys.stderr.write("\n")
        for error in counts.errors:
            self.stderr.write(f"cannot read {error}")
        self.stdout.write(counts.summary())
