import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tradeport.mail.importing import sources
from tradeport.mail.models import Mailbox
from tradeport.mail.services import message_ingest


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
        counts = {"stored": 0, "duplicate": 0, "quarantined": 0, "blocked": 0, "failed": 0}
        show = sys.stderr.isatty()
        done = 0
        for source in sources(paths, sent=sent):
            try:
                raw = source.read()
            except Exception as exc:  # an unreadable file is reported and skipped, never stops the run
                counts["failed"] += 1
                self.stderr.write(f"cannot read {source.label}: {exc}")
                continue
            result = message_ingest(mailbox=target, raw=raw, outgoing=source.sent or None, followed_up=followed_up)
            counts[result.outcome] += 1
            done += 1
            if show and done % 50 == 0:
                sys.stderr.write(f"\r{done} messages read, {counts['stored']} imported…")
                sys.stderr.flush()
        if show:
            sys.stderr.write("\n")
        self.stdout.write(f"imported={counts['stored']} duplicates={counts['duplicate']} "
                          f"quarantined={counts['quarantined']} blocked={counts['blocked']} failed={counts['failed']}")
