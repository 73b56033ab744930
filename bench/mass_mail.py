"""Mass mail throughput: a mailing sent by `mass.run` against a bare smtplib loop, same recipients.

    python bench/mass_mail.py --recipients 2000 [--rounds 3] [--customers]

Use its own database: TRADEPORT_DATA_DIR=var/bench-mass (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_mass.
A loopback SMTP server (aiosmtpd, which `make install-test` installs) runs in a
child process and accepts everything. The floor builds each personalised
`EmailMessage` (From, To, Subject, Date, Message-ID, text body) and sends it with
smtplib over one reused connection. Tradeport's run adds what a mailing needs:
claiming batches, recording each recipient's status and the counters, and, with
--customers, filing every message in its customer's history (MASS-06). The two
alternate in this one process after an untimed warm-up round of each (floor
first on odd rounds, `mass.run` first on even ones), so the ratio holds when the
machine drifts; medians of the rounds, with their range. The rate option is
lifted so that no throttle waits.
"""

import argparse
import os
import smtplib
import socket
import statistics
import subprocess
import sys
import textwrap
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from tradeport.accounts.models import Account  # noqa: E402
from tradeport.customers.models import Customer, EmailAddress  # noqa: E402
from tradeport.mail import mass  # noqa: E402
from tradeport.mail.models import Mail, Mailbox, MassMailing, RawMessage  # noqa: E402
from tradeport.org.models import Region  # noqa: E402
from tradeport.system.models import SystemOption  # noqa: E402

SUBJECT = "2027 catalogue for {company}"
BODY = "Dear {name},\n\nplease find our 2027 catalogue and price list below.\n\n" + "Item 100 pcs\n" * 30

SINK = textwrap.dedent("""
    import sys, time
    from aiosmtpd.controller import Controller
    class Sink:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"
    controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
""")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recipients(count: int) -> list[tuple[str, str, str]]:
    return [(f"buyer{n}@importer{n % 97}.example", f"Buyer {n}", f"Importer {n % 97} GmbH") for n in range(count)]


def floor(port: int, people: list[tuple[str, str, str]]) -> float:
    sender = Address(display_name="Tradeport Sales", addr_spec="sales@tradeport.example")
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as client:
        for address, name, company in people:
            message = EmailMessage(policy=SMTP)
            message["From"] = sender
            message["To"] = Address(display_name=name, addr_spec=address)
            message["Subject"] = SUBJECT.replace("{company}", company)
            message["Date"] = format_datetime(timezone.localtime())
            message["Message-ID"] = make_msgid(domain="tradeport.example")
            message.set_content(BODY.replace("{name}", name))
            client.sendmail("sales@tradeport.example", [address], message.as_bytes())
    return len(people) / (time.perf_counter() - started)


def setup(port: int, people, as_customers: bool) -> tuple[Mailbox, Account]:
    call_command("migrate", verbosity=0)
    SystemOption.objects.update_or_create(key="mass_mail_per_minute", defaults={"value": 10**9})
    mailbox, _created = Mailbox.objects.update_or_create(
        address="sales@tradeport.example", defaults={"protocol": "none", "display_name": "Tradeport Sales",
                                                     "smtp_host": "127.0.0.1", "smtp_port": port,
                                                     "smtp_security": "plain"})
    author, _created = Account.objects.get_or_create(username="bench-mass")
    if as_customers and not EmailAddress.objects.filter(address=people[0][0]).exists():
        region = Region.objects.first() or Region.objects.create(code="DE", name_zh="德国", name_en="Germany",
                                                                 level=2, path="")
        customers = Customer.objects.bulk_create([Customer(code=f"MB{n:06d}", name=company, region=region,
                                                           main_email=address)
                                                  for n, (address, _name, company) in enumerate(people)])
        EmailAddress.objects.bulk_create([EmailAddress(address=c.main_email, domain=c.main_email.split("@")[1],
                                                       customer=c, role="main") for c in customers])
    return mailbox, author


def tradeport(mailbox: Mailbox, author: Account, people) -> float:
    MassMailing.objects.filter(author=author).delete()
    Mail.objects.filter(mailbox=mailbox).delete()
    RawMessage.objects.filter(mails__isnull=True).delete()
    mailing = MassMailing.objects.create(author=author, mailbox=mailbox, subject=SUBJECT, body=BODY)
    mass.add_recipients(mailing, [mass.Entry(a, n, c) for a, n, c in people])
    MassMailing.objects.filter(pk=mailing.pk).update(state=MassMailing.State.SENDING)
    started = time.perf_counter()
    outcome = mass.run(mailing.pk, sleep=lambda seconds: None)
    elapsed = time.perf_counter() - started
    mailing.refresh_from_db()
    if outcome != "done" or mailing.sent != len(people):
        raise SystemExit(f"the mailing did not finish: {outcome}, {mailing.sent} sent, {mailing.failed} failed")
    return len(people) / elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--customers", action="store_true", help="every recipient is a customer: file each copy")
    args = parser.parse_args(argv)
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert sink.stdout.readline().strip() == b"ready"
        people = recipients(args.recipients)
        mailbox, author = setup(port, people, args.customers)
        floor(port, people)  # warm-up, untimed: a first round runs cold
        tradeport(mailbox, author, people)
        bare, ours = [], []
        for round_ in range(args.rounds):
            if round_ % 2:
                ours.append(tradeport(mailbox, author, people))
                bare.append(floor(port, people))
            else:
                bare.append(floor(port, people))
                ours.append(tradeport(mailbox, author, people))
        ratios = [o / b for o, b in zip(ours, bare, strict=True)]
        print(f"{connection.vendor}: {args.recipients} recipients, warm-up, then {args.rounds} rounds "
              "(floor first on odd rounds, mass.run first on even ones), "
              f"{'every one a customer (filed)' if args.customers else 'no customers'}")
        print(f"  floor (build + smtplib, one connection): median {statistics.median(bare):6.0f} messages/s "
              f"({min(bare):.0f}-{max(bare):.0f})")
        print(f"  mass.run (claim, build, send, record): median {statistics.median(ours):6.0f} messages/s "
              f"({min(ours):.0f}-{max(ours):.0f})")
        print(f"  ratio per round: {', '.join(f'{r:.0%}' for r in ratios)}; median {statistics.median(ratios):.0%}")
    finally:
        sink.stdin.close()
        sink.wait(timeout=10)


if __name__ == "__main__":
    main()
