import pytest

from conftest import make_account
from tradeport.customers.models import Contact, Customer, EmailAddress, Ownership
from tradeport.mail.models import Mailbox
from tradeport.org.models import Department, Employee, Region
from tradeport.org.services import region_save


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def world(db):
    """Two salespeople with accounts, one customer they co-own, and a system mailbox."""
    department = Department.objects.create(code="01", name="外贸部", path="")
    department.path = f"{department.pk:08d}/"
    department.save()
    lily = Employee.objects.create(code="0002", name="李丽", department=department, is_salesperson=True)
    tom = Employee.objects.create(code="0003", name="Tom", department=department, is_salesperson=True)
    make_account("lily", template="employee", employee_code="0002")
    make_account("tom", template="employee", employee_code="0003")
    germany = region_save(region=Region(code="DE", name_zh="德国", name_en="Germany", level=2), parent=None)
    customer = Customer.objects.create(code="C0012", name="Hanse Trade", region=germany,
                                       main_email="info@hanse.de", backup_emails=["sales@hanse.de"])
    anna = Contact.objects.create(customer=customer, name="Anna", email="anna@hanse.de")
    EmailAddress.objects.bulk_create([
        EmailAddress(address="info@hanse.de", domain="hanse.de", customer=customer, role="main"),
        EmailAddress(address="sales@hanse.de", domain="hanse.de", customer=customer, role="backup"),
        EmailAddress(address="anna@hanse.de", domain="hanse.de", customer=customer, contact=anna, role="contact"),
    ])
    Ownership.objects.create(customer=customer, employee=lily)
    Ownership.objects.create(customer=customer, employee=tom)
    mailbox = Mailbox.objects.create(address="info@tradeport.test", protocol="none")
    return {"lily": lily, "tom": tom, "customer": customer, "anna": anna, "mailbox": mailbox,
            "department": department}


@pytest.fixture
def sendable(world, smtp_sink):
    """The world's system mailbox sends through the loopback SMTP server."""
    mailbox = world["mailbox"]
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = smtp_sink.host, smtp_sink.port, "plain"
    mailbox.save()
    return world


def raw_mail(sender: str, *, to: str = "info@tradeport.test", subject: str = "Inquiry",
             message_id: str = "<m1@hanse.de>", body: str = "Please quote.") -> bytes:
    return (f"From: Sender <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Date: Tue, 3 Mar 2026 10:00:00 +0100\r\nMessage-ID: {message_id}\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n").encode()
