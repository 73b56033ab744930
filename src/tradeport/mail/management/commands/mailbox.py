import getpass

from django.core.management.base import BaseCommand, CommandError

from tradeport.mail.models import Mailbox
from tradeport.mail.protocols import MailServerError
from tradeport.mail.services import fetch_mailbox, mailbox_test


class Command(BaseCommand):
    help = "Mailboxes for operators: add, list, test, fetch."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        add = sub.add_parser("add", help="Add a mailbox (no server: an import-only archive).")
        add.add_argument("address")
        add.add_argument("--protocol", choices=[c for c, _ in Mailbox.Protocol.choices], default="imap")
        add.add_argument("--host", default="")
        add.add_argument("--port", type=int)
        add.add_argument("--security", choices=[c for c, _ in Mailbox.Security.choices], default="ssl")
        add.add_argument("--username", default="")
        add.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
        add.add_argument("--folder", action="append", dest="folders", help="IMAP folder (repeatable).")
        add.add_argument("--kind", choices=[c for c, _ in Mailbox.Kind.choices], default="system")
        sub.add_parser("list", help="List mailboxes and their state.")
        for name in ("test", "fetch"):
            one = sub.add_parser(name, help=f"{name.capitalize()} a mailbox now.")
            one.add_argument("address")

    def handle(self, *args, action, **options):
        return getattr(self, f"do_{action}")(**options)

    def _mailbox(self, address: str) -> Mailbox:
        mailbox = Mailbox.objects.filter(address=address.strip().lower()).first()
        if mailbox is None:
            raise CommandError(f"no mailbox {address}")
        return mailbox

    def do_add(self, *, address, protocol, host, port, security, username, password_stdin, folders, kind, **_):
        if protocol != "none" and not host:
            raise CommandError("--host is required unless --protocol none")
        address = address.strip().lower()
        if Mailbox.objects.filter(address=address).exists():
            raise CommandError(f"{address} already exists")
        password = ""
        if password_stdin:
            password = self.stdin.readline().rstrip("\n") if hasattr(self, "stdin") else input()
        elif protocol != "none":
            password = getpass.getpass(f"Password for {address}: ")
        mailbox = Mailbox(address=address, protocol=protocol, host=host, port=port, security=security,
                          username=username, folders=folders or [], kind=kind)
        mailbox.password = password
        mailbox.full_clean()
        mailbox.save()
        self.stdout.write(f"added {address}")

    def do_list(self, **_):
        for mailbox in Mailbox.objects.all():
            state = f"error: {mailbox.last_error}" if mailbox.last_error else (
                f"last fetched {mailbox.last_success_at:%Y-%m-%d %H:%M}" if mailbox.last_success_at else "never fetched")
            self.stdout.write(f"{mailbox.address}\t{mailbox.kind}\t{mailbox.protocol}\t{mailbox.host}\t{state}")

    def do_test(self, *, address, **_):
        try:
            self.stdout.write(mailbox_test(self._mailbox(address)))
        except MailServerError as exc:
            raise CommandError(f"{exc.kind}: {exc.message}") from exc

    def do_fetch(self, *, address, **_):
        try:
            report = fetch_mailbox(self._mailbox(address), worker="cli")
        except MailServerError as exc:
            raise CommandError(f"{exc.kind}: {exc.message}") from exc
        self.stdout.write("another worker is fetching this mailbox" if report.skipped else str(report))
