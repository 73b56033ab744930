"""The follow-up screen's queues at scale (triage issue: lists stay fast at 10⁶ mails).

    python bench/queues.py generate --mails 1000000
    python bench/queues.py run --repeat 40

Use its own database: TRADEPORT_DATA_DIR=var/bench-queues (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_queues.
Mail rows are inserted directly (intake has its own benchmark): 2,000 customers
owned by 25 salespeople, one delivery per mail, 1% still pending, 0.5% of the
mail from strangers and untriaged. Requests go through the whole Django stack
with the test client; figures are per request, in milliseconds.
"""

import os
import random
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")
os.environ.setdefault("TRADEPORT_ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from timing import generate_or_run, signed_in_client, time_requests  # noqa: E402

from tradeport.accounts.models import Account  # noqa: E402
from tradeport.customers.models import Customer, Ownership  # noqa: E402
from tradeport.mail.models import Delivery, Mail, Mailbox, RawMessage  # noqa: E402
from tradeport.org.models import Department, Employee, Region  # noqa: E402
from tradeport.system.presets import load_all  # noqa: E402

BATCH = 5000


def generate(count: int, seed: int = 5) -> None:
    call_command("migrate", verbosity=0)
    load_all()
    rng = random.Random(seed)
    department = Department.objects.get(code="01")
    for n in range(6, 26):
        Employee.objects.get_or_create(code=f"{n + 1:04d}", defaults={
            "name": f"业务员{n}", "department": department, "is_salesperson": True})
    salespeople = list(Employee.objects.filter(is_salesperson=True).order_by("code"))
    region = Region.objects.filter(level=2).first()
    customers = Customer.objects.bulk_create([
        Customer(code=f"Q{n:06d}", name=f"Queue Customer {n}", region=region, main_email=f"buyer{n}@customer{n}.example")
        for n in range(2000)])
    Ownership.objects.bulk_create([Ownership(customer=c, employee=salespeople[n % len(salespeople)])
                                   for n, c in enumerate(customers)])
    owner_of = {c.pk: salespeople[n % len(salespeople)] for n, c in enumerate(customers)}
    mailbox, _ = Mailbox.objects.get_or_create(address="sales@tradeport.example", defaults={"protocol": "none"})
    raw, _ = RawMessage.objects.get_or_create(sha256="0" * 64, defaults={"size": 1, "path": "raw/00/bench"})
    now = timezone.now()
    made = Mail.objects.count()
    while made < count:
        size = min(BATCH, count - made)
        mails, plans = [], []
        for n in range(made, made + size):
            stranger = rng.random() < 0.005
            customer = None if stranger else customers[rng.randrange(len(customers))]
            pending = rng.random() < 0.01
            mails.append(Mail(
                mailbox=mailbox, raw=raw, message_id=f"<q{n}@bench.example>", thread_key=f"<q{n}@bench.example>",
                subject=f"询价 Inquiry {n}", from_address=f"x{n}@stranger.example" if stranger else customer.main_email,
                from_name="Buyer", date=now - timezone.timedelta(minutes=count - n), text="Please quote.",
                customer=customer, route="undistributed" if stranger else "customer",
                route_reason="bench", route_facts={"kind": "undistributed", "sender": "x"} if stranger else {},
                followed_up_at=None if (pending or stranger) else now))
            plans.append((customer, pending))
        with transaction.atomic():
            Mail.objects.bulk_create(mails, batch_size=1000)
            Delivery.objects.bulk_create([
                Delivery(mail=m, employee=owner_of[c.pk], reason="owner",
                         state=Delivery.State.PENDING if pending else Delivery.State.HANDLED)
                for m, (c, pending) in zip(mails, plans, strict=True) if c is not None], batch_size=1000)
        made += size
        print(f"  {made:,} mails", flush=True)


def run(repeat: int) -> None:
    manager, sales = signed_in_client("manager"), signed_in_client("sales1")
    employee = Account.objects.get(username="sales1").employee
    pending = Mail.objects.filter(deliveries__employee=employee, deliveries__state="pending").order_by("-id")
    delivered = Mail.objects.filter(deliveries__employee=employee).order_by("-id").values_list("pk", flat=True)
    middle = delivered[delivered.count() // 2]
    cases = {
        "workbench with counters (salesperson)": (sales, "/"),
        "pending: known customers (salesperson)": (sales, "/mail/followup/known/"),
        "daily mail: inbox, first page (salesperson)": (sales, "/mail/followup/inbox/"),
        "daily mail: inbox, deep page (salesperson)": (sales, f"/mail/followup/inbox/?before={middle}"),
        "undistributed queue (manager)": (manager, "/mail/followup/undistributed/"),
        "reading pane (salesperson)": (sales, f"/mail/{pending.first().pk}/"),
        "system mail, first page (manager)": (manager, "/mail/system/"),
    }
    print(f"{connection.vendor}: {Mail.objects.count():,} mails, {Delivery.objects.count():,} deliveries, "
          f"{repeat} requests each")
    time_requests(cases, repeat)


def main(argv=None) -> None:
    generate_or_run(__doc__, generate, run, size_option="mails", size_default=1_000_000, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
