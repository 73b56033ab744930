"""The follow-up screen's queues at scale (triage issue: lists stay fast at 10⁶ mails).

    python bench/queues.py generate --mails 1000000
    python bench/queues.py run --repeat 40

`run` exits with status 1 when a page of the regression list (BUDGETS) answers
with a p95 over its budget, and prints each page's query count and slowest query.

Use its own database: TRADEPORT_DATA_DIR=var/bench-queues (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench_queues.
Mail rows are inserted directly (intake has its own benchmark): 2,000 customers
owned by 25 salespeople, one delivery per mail, 1% still pending, 0.5% of the
mail from strangers and untriaged; then 1,000 sent mails with a bounce each, so
the reading pane lists reports (generating again adds only what is missing).
Requests go through the whole Django stack
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
from timing import generate_or_run, over_budget, signed_in_client, time_requests  # noqa: E402

from tradeport.accounts.models import Account  # noqa: E402
from tradeport.customers.models import Customer, Ownership  # noqa: E402
from tradeport.mail.models import Delivery, Mail, Mailbox, RawMessage  # noqa: E402
from tradeport.org.models import Department, Employee, Region  # noqa: E402
from tradeport.system.presets import load_all  # noqa: E402

BATCH = 5000
SENT_WITH_BOUNCE = 1000
# The regression list: (p95 of the page, slowest single query) budgets in ms at 10⁶ mails on the 2-core
# development machine. Loose enough for a machine shared with other work (a quiet run gives a third of
# the page budget); a lost index is caught by either: the reading pane once took p95 527 ms, one query 311.
REGRESSION_LIST = (
    "workbench with counters (salesperson)",
    "pending: known customers (salesperson)",
    "daily mail: inbox, first page (salesperson)",
    "daily mail: inbox, deep page (salesperson)",
    "undistributed queue (manager)",
    "reading pane (salesperson)",
    "reading pane, sent mail with a bounce (salesperson)",
    "system mail, first page (manager)",
)
BUDGETS = dict.fromkeys(REGRESSION_LIST, (250, 50))


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
    customers = list(Customer.objects.filter(code__startswith="Q").order_by("code"))  # a second run adds to them
    if not customers:
        customers = Customer.objects.bulk_create([
            Customer(code=f"Q{n:06d}", name=f"Queue Customer {n}", region=region,
                     main_email=f"buyer{n}@customer{n}.example") for n in range(2000)])
        Ownership.objects.bulk_create([Ownership(customer=c, employee=salespeople[n % len(salespeople)])
                                       for n, c in enumerate(customers)])
    owner_of = {c.pk: salespeople[n % len(salespeople)] for n, c in enumerate(customers)}
    mailbox, _ = Mailbox.objects.get_or_create(address="sales@tradeport.example", defaults={"protocol": "none"})
    raw, _ = RawMessage.objects.get_or_create(sha256="0" * 64, defaults={"size": 1, "path": "raw/00/bench"})
    now = timezone.now()
    made = Mail.objects.filter(message_id__startswith="<q").count()
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
    if not Mail.objects.filter(report_for__isnull=False).exists():
        _sent_with_bounces(rng, customers, owner_of, mailbox, raw, now)


def _sent_with_bounces(rng, customers, owner_of, mailbox, raw, now) -> None:
    """Sent mail to customers, each with a delivery failure report linked to it, as link_reports leaves it."""
    picked = rng.sample(customers, SENT_WITH_BOUNCE)
    with transaction.atomic():
        sent = Mail.objects.bulk_create([Mail(
            mailbox=mailbox, raw=raw, direction=Mail.Direction.OUT, message_id=f"<sent{n}@tradeport.example>",
            thread_key=f"<sent{n}@tradeport.example>", subject=f"报价 Quotation {n}", from_address=mailbox.address,
            to=[customer.main_email], date=now - timezone.timedelta(hours=n), text="Our quotation.",
            customer=customer, route=Mail.Route.OUTGOING, route_reason="bench", sent_by=owner_of[customer.pk],
            received_at=now - timezone.timedelta(hours=n)) for n, customer in enumerate(picked)], batch_size=1000)
        Mail.objects.bulk_create([Mail(
            mailbox=mailbox, raw=raw, kind="dsn", message_id=f"<bounce{n}@mx.example>",
            thread_key=f"<bounce{n}@mx.example>", subject="Undelivered Mail Returned to Sender",
            from_address="mailer-daemon@mx.example", date=original.date + timezone.timedelta(minutes=5),
            received_at=original.received_at + timezone.timedelta(minutes=5), text="550 5.1.1 User unknown",
            customer=original.customer, route=Mail.Route.CUSTOMER, route_reason="bench", triaged_at=now,
            triage_action="report", report_for=original, followed_up_at=now) for n, original in enumerate(sent)],
            batch_size=1000)
    print(f"  {SENT_WITH_BOUNCE:,} sent mails with a bounce each", flush=True)


def run(repeat: int) -> None:
    manager, sales = signed_in_client("manager"), signed_in_client("sales1")
    employee = Account.objects.get(username="sales1").employee
    pending = Mail.objects.filter(deliveries__employee=employee, deliveries__state="pending").order_by("-id")
    delivered = Mail.objects.filter(deliveries__employee=employee).order_by("-id").values_list("pk", flat=True)
    middle = delivered[delivered.count() // 2]
    bounced = Mail.objects.filter(sent_by=employee, reports__isnull=False).order_by("-id").first()
    cases = {
        "workbench with counters (salesperson)": (sales, "/"),
        "pending: known customers (salesperson)": (sales, "/mail/followup/known/"),
        "daily mail: inbox, first page (salesperson)": (sales, "/mail/followup/inbox/"),
        "daily mail: inbox, deep page (salesperson)": (sales, f"/mail/followup/inbox/?before={middle}"),
        "undistributed queue (manager)": (manager, "/mail/followup/undistributed/"),
        "reading pane (salesperson)": (sales, f"/mail/{pending.first().pk}/"),
        "system mail, first page (manager)": (manager, "/mail/system/"),
    }
    if bounced is not None:
        cases["reading pane, sent mail with a bounce (salesperson)"] = (sales, f"/mail/{bounced.pk}/")
    print(f"{connection.vendor}: {Mail.objects.count():,} mails, {Delivery.objects.count():,} deliveries, "
          f"{repeat} requests each")
    over = over_budget(time_requests(cases, repeat, BUDGETS), BUDGETS)
    if over:
        print(f"over budget: {', '.join(over)}")
        sys.exit(1)


def main(argv=None) -> None:
    generate_or_run(__doc__, generate, run, size_option="mails", size_default=1_000_000, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
