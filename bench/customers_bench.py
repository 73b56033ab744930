"""Customer search and maintenance list at scale (issue: 100,000 customers, 300,000 contacts).

    python bench/customers_bench.py generate --customers 100000
    python bench/customers_bench.py run --repeat 40

Use its own database: TRADEPORT_DATA_DIR=var/bench (SQLite) or
TRADEPORT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/tradeport_bench.
Requests go through the whole Django stack (middleware, views, templates)
with the test client; the figures are per request, in milliseconds.
"""

import os
import random
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradeport.settings")
os.environ.setdefault("TRADEPORT_ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from timing import generate_or_run, signed_in_client, time_requests  # noqa: E402

from tradeport.customers.models import Contact, Customer, EmailAddress, Ownership  # noqa: E402
from tradeport.customers.services import _search_text, digits, mnemonic_for, name_key  # noqa: E402
from tradeport.org.models import Department, Employee, Region  # noqa: E402
from tradeport.system.presets import load_all  # noqa: E402

SYLLABLES = ["华", "美", "通", "达", "丰", "盛", "泰", "嘉", "宏", "远", "航", "海", "联", "创", "新", "科", "信", "恒", "鑫", "源", "安", "利", "兴", "隆", "佳", "瑞", "德", "中", "汇", "金"]
WORDS = ["Global", "Trading", "Import", "Textile", "Home", "Tools", "Supply", "Ocean", "Star", "Bright",
         "Euro", "Pacific", "Nordic", "Prime", "Union", "Metro", "Alpha", "Delta", "Green", "Royal"]
BATCH = 2000


def generate(count: int, seed: int = 7) -> None:
    call_command("migrate", verbosity=0)
    load_all()
    rng = random.Random(seed)
    department = Department.objects.get(code="01")
    salespeople = list(Employee.objects.filter(is_salesperson=True))
    for n in range(6, 26):  # 25 salespeople in all
        employee, _ = Employee.objects.get_or_create(code=f"{n + 1:04d}", defaults={
            "name": f"业务员{n}", "department": department, "is_salesperson": True})
        salespeople.append(employee)
    regions = list(Region.objects.filter(level__gte=2).values_list("pk", flat=True))
    start = Customer.objects.count()
    began = time.perf_counter()
    for offset in range(start, count, BATCH):
        size = min(BATCH, count - offset)
        with transaction.atomic():
            customers = []
            for i in range(offset, offset + size):
                chinese = rng.random() < 0.5
                name = ("".join(rng.choices(SYLLABLES, k=4)) + "贸易有限公司") if chinese else \
                    f"{rng.choice(WORDS)} {rng.choice(WORDS)} {i} Ltd"
                domain = f"c{i}.example.com"
                customers.append(Customer(
                    code=f"{i + 1:06d}", name=name, mnemonic=mnemonic_for(name), region_id=rng.choice(regions),
                    main_email=f"info@{domain}", backup_emails=[f"sales@{domain}"],
                    phone=f"+86 571 {rng.randrange(10**7, 10**8)}"))
            Customer.objects.bulk_create(customers)
            customers = list(Customer.objects.filter(code__in=[c.code for c in customers]))
            contacts, addresses, owners = [], [], []
            for customer in customers:
                domain = customer.main_email.split("@")[1]
                mine = [Contact(customer=customer, name=f"Contact {k} {customer.code}",
                                email=f"p{k}@{domain}") for k in range(3)]
                contacts += mine
                addresses += [EmailAddress(address=customer.main_email, domain=domain, customer=customer, role="main"),
                              EmailAddress(address=f"sales@{domain}", domain=domain, customer=customer, role="backup")]
                owners += [Ownership(customer=customer, employee=e) for e in rng.sample(salespeople, k=rng.choice((1, 1, 2)))]
            Contact.objects.bulk_create(contacts)
            addresses += [EmailAddress(address=c.email, domain=c.email.split("@")[1], customer=c.customer,
                                       contact=c, role="contact") for c in contacts]
            EmailAddress.objects.bulk_create(addresses)
            Ownership.objects.bulk_create(owners)
            by_customer = {}
            for contact in contacts:
                by_customer.setdefault(contact.customer_id, []).append(contact)
            for customer in customers:
                customer.search_text = _search_text(customer, by_customer[customer.pk])
                customer.phone_digits = digits(customer.phone)
                customer.name_key = name_key(customer.name)
            Customer.objects.bulk_update(customers, ["search_text", "phone_digits", "name_key"])
        print(f"{offset + size} customers ({time.perf_counter() - began:.0f} s)", flush=True)


def run(repeat: int) -> None:
    manager, sales = signed_in_client("manager"), signed_in_client("sales1")
    sample = Customer.objects.order_by("?").first() if connection.vendor == "sqlite" else Customer.objects.order_by("pk")[5000]
    chinese = Customer.objects.filter(name__contains="贸易").order_by("pk")[1234]
    cases = {
        "maintenance list, first page (manager)": (manager, "/customers/"),
        "maintenance list, first page (salesperson)": (sales, "/customers/"),
        "search: Chinese name fragment": (manager, f"/customers/?q={chinese.name[:3]}"),
        "search: pinyin initials": (manager, f"/customers/?q={chinese.mnemonic[:4].lower()}"),
        "search: partial email": (manager, f"/customers/?q=p2@{sample.main_email.split('@')[1][:6]}"),
        "search: customer code": (manager, f"/customers/?q={sample.code}"),
        "search: contact name (salesperson)": (sales, "/customers/?q=contact 1 0001"),
        "search: no match": (manager, "/customers/?q=zzzzqqq"),
    }
    print(f"{connection.vendor}: {Customer.objects.count()} customers, {Contact.objects.count()} contacts, "
          f"{repeat} requests each")
    time_requests(cases, repeat)


def main(argv=None) -> None:
    generate_or_run(__doc__, generate, run, size_option="customers", size_default=100_000, argv=argv)


if __name__ == "__main__":
    sys.exit(main())
