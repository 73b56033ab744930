"""A customer's follow-up record with 5,000 entries (follow-up issue: first page p95 under 150 ms).

    python bench/timeline.py generate --entries 5000
    python bench/timeline.py run --repeat 60

Use its own database: TRADEPORT_DATA_DIR=var/bench-timeline (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_timeline.
One customer, owned by sales1, with 5,000 entries: 70% mail (in and out), 25%
contact records, and reminders postponed now and then; 50,000 mails of 200
other customers around it, so the indexes have company. Requests go through the
whole Django stack with the test client; figures are per request.
"""

import datetime
import os
import random
import sys
from urllib.parse import quote

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")
os.environ.setdefault("TRADEPORT_ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from timing import generate_or_run, signed_in_client, time_requests  # noqa: E402

from tradeport.accounts.models import Account  # noqa: E402
from tradeport.codes.models import CodeItem  # noqa: E402
from tradeport.customers.models import Customer, Ownership  # noqa: E402
from tradeport.followup.models import ContactRecord, Reminder  # noqa: E402
from tradeport.mail.models import Mail, Mailbox, RawMessage  # noqa: E402
from tradeport.org.models import Employee, Region  # noqa: E402
from tradeport.system.presets import load_all  # noqa: E402


def generate(count: int, seed: int = 8) -> None:
    call_command("migrate", verbosity=0)
    load_all()
    rng = random.Random(seed)
    sales1 = Employee.objects.get(code=Account.objects.get(username="sales1").employee_code)
    region = Region.objects.filter(level=2).first()
    customers = Customer.objects.bulk_create([Customer(code=f"T{n:05d}", name=f"Timeline Customer {n}",
                                                       region=region, main_email=f"buyer@timeline{n}.example")
                                              for n in range(201)])
    Ownership.objects.bulk_create([Ownership(customer=c, employee=sales1) for c in customers])
    target = customers[0]
    mailbox, _ = Mailbox.objects.get_or_create(address="sales@tradeport.example", defaults={"protocol": "none"})
    raw, _ = RawMessage.objects.get_or_create(sha256="1" * 64, defaults={"size": 1, "path": "raw/11/bench"})
    now = timezone.now()
    phone = CodeItem.objects.get(group__key="followup_method", code="PHONE")
    categories = list(CodeItem.objects.filter(group__key="category"))

    def mail(customer, n, at):
        outgoing = rng.random() < 0.4
        return Mail(mailbox=mailbox, raw=raw, direction="out" if outgoing else "in", message_id=f"<t{customer.pk}-{n}@b>",
                    subject=f"Order {n} for {customer.name}", from_address=customer.main_email, date=at,
                    received_at=at, customer=customer, route="customer", route_reason="bench",
                    category=rng.choice(categories), text="Quantity and price.")

    mails = [mail(target, n, now - datetime.timedelta(minutes=37 * n)) for n in range(int(count * 0.7))]
    for other in customers[1:]:
        mails += [mail(other, n, now - datetime.timedelta(minutes=911 * n)) for n in range(250)]
    Mail.objects.bulk_create(mails, batch_size=2000)
    ContactRecord.objects.bulk_create([ContactRecord(
        customer=target, employee=sales1, method=phone, subject=f"Call {n}", content="Talked about the order.",
        occurred_at=now - datetime.timedelta(minutes=53 * n)) for n in range(int(count * 0.25))], batch_size=2000)
    history = [{"at": (now - datetime.timedelta(days=d)).isoformat(), "action": "postponed", "by": "sales1",
                "date": (now - datetime.timedelta(days=d - 3)).date().isoformat()} for d in range(int(count * 0.05))]
    Reminder.objects.create(customer=target, employee=sales1, due_date=now.date(), source="mail",
                            state="done", history=history)
    print(f"customer {target.code}: {Mail.objects.filter(customer=target).count()} mails, "
          f"{ContactRecord.objects.filter(customer=target).count()} contact records, {len(history)} reminder events")


def run(repeat: int) -> None:
    target = Customer.objects.get(code="T00000")
    client = signed_in_client("sales1")
    url = reverse("followup:customer_record", args=[target.pk])
    print(f"{django.db.connection.vendor}: customer with "
          f"{Mail.objects.filter(customer=target).count() + ContactRecord.objects.filter(customer=target).count()} "
          "entries")
    time_requests({
        "follow-up record, first page": (client, url),
        "follow-up record, sent mail only": (client, url + "?show=sent"),
        "follow-up record, phone calls only": (client, url + "?method=PHONE"),
        "follow-up record, a page deep in history": (client, url + "?before=" + quote(deep_cursor(target))),
    }, repeat)


def deep_cursor(customer):
    """The [Older] cursor of a mail about 60 days back, as the page before it would link."""
    from tradeport.followup.timeline import MAIL, Cursor
    from tradeport.mail.models import Mail

    mail = Mail.objects.filter(customer=customer, date__lt=timezone.now() - datetime.timedelta(days=60)).order_by(
        "-date", "-id").first()
    return str(Cursor(mail.date, MAIL, (mail.pk,)))


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    generate_or_run(__doc__, generate, run, size_option="entries", size_default=5000)
