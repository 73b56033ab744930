"""Mail names its customer only to a reader who may see that customer (PERM-13, DAILY-04, READ-01):
a salesperson's own sent mail to a colleague's customer, and an internal copy, open without telling
who is behind the address."""

import pytest
from django.urls import reverse

from mailflow.conftest import raw_mail
from mailflow.test_sending import client_for, submitted
from tradeport.accounts.models import Account
from tradeport.customers.models import Contact, Customer, EmailAddress, Ownership
from tradeport.mail import sending, triage
from tradeport.mail.models import Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db

SECRET = "Beta Secret Imports GmbH"


@pytest.fixture
def beta(world):
    """A customer of 业务员2 (tom) only, with the contact Bruno Beta."""
    customer = Customer.objects.create(code="000002", name=SECRET, region=world["customer"].region,
                                       main_email="office@beta.example")
    bruno = Contact.objects.create(customer=customer, name="Bruno Beta", email="bruno@beta.example")
    EmailAddress.objects.bulk_create([
        EmailAddress(address="office@beta.example", domain="beta.example", customer=customer, role="main"),
        EmailAddress(address="bruno@beta.example", domain="beta.example", customer=customer, contact=bruno,
                     role="contact"),
    ])
    Ownership.objects.create(customer=customer, employee=world["tom"])
    return customer


def test_own_sent_mail_to_a_colleagues_customer_does_not_name_the_customer(sendable, beta):
    """PERM-13, DAILY-04, SEND-14: the copy is filed with the customer for its owner's history, but the
    sender's reading view shows neither the customer nor the contact's name."""
    world = sendable
    lily = Account.objects.get(username="lily")
    outgoing = submitted(client_for(lily), world, to="bruno@beta.example", subject="Our catalogue")
    assert sending.deliver(outgoing.pk) == "sent"
    outgoing.refresh_from_db()
    sent = outgoing.mail
    assert sent.direction == Mail.Direction.OUT
    assert sent.customer == beta

    page = client_for(lily).get(reverse("mail:mail_read", args=[sent.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Our catalogue" in text
    assert SECRET not in text
    assert "Bruno Beta" not in text

    owner_page = client_for(Account.objects.get(username="tom")).get(reverse("mail:mail_read", args=[sent.pk]))
    assert SECRET in owner_page.content.decode()

    listed = client_for(lily).get(reverse("mail:followup_queue", args=["sent"]))
    assert [m.pk for m in listed.context["rows"]] == [sent.pk]
    assert "Bruno Beta" not in listed.content.decode()
    assert SECRET not in listed.content.decode()


def test_an_internal_copy_does_not_name_a_customer_the_recipient_may_not_see(world, beta):
    """READ-19, PERM-13: tom copies a mail of his customer to lily; she reads the mail, not whose it is."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "bruno@beta.example", subject="Order 7", message_id="<copy-7@beta.example>")).mail
    assert mail.customer == beta
    triage.internal_copy(mail, employees=[world["lily"]], actor=Account.objects.get(username="tom"), note="FYI")
    text = client_for(Account.objects.get(username="lily")).get(
        reverse("mail:mail_read", args=[mail.pk])).content.decode()
    assert "Order 7" in text
    assert SECRET not in text
    assert "Bruno Beta" not in text
