from django.core.management.base import BaseCommand

from tradeport.mail.reparse import reparse


class Command(BaseCommand):
    help = "Mail maintenance: `reparse` re-derives stored attachments from the raw messages (resumable)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        again = sub.add_parser("reparse", help="Parse every stored mail again from its raw bytes and repair "
                                               "attachment files, defects and content hashes. Resumes where a "
                                               "stopped run ended.")
        again.add_argument("--restart", action="store_true", help="Start from the first mail again.")
        again.add_argument("--batch", type=int, default=200, help="Mails per committed batch (default 200).")

    def handle(self, *args, action, restart, batch, **options):
        def show(counts):
            self.stderr.write(f"{counts.done:,}/{counts.total:,} mails, {counts.attachments_changed:,} "
                              f"attachments changed")

        counts = reparse(restart=restart, batch=batch, progress=show)
        self.stdout.write(f"mails={counts.done} mails_changed={counts.mails_changed} "
                          f"attachments_changed={counts.attachments_changed} unreadable={counts.unreadable}")
