"""Mass mail personalisation (MASS-02, MASS-03): nobody is greeted "Dear ," when the customer has a name to
use, and the draft shows, before [Send to all], who would still get an empty {name} or {company}."""

import email
import email.policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.customers.models import Contact, Customer
from tradeport.mail import mass
from tradeport.mail.models import MassMailing

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(world, smtp_sink) -> Client:
    mailbox = world["mailbox"]
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = smtp_sink.host, smtp_sink.port, "plain"
    mailbox.save()
    client = Client()
    sign_in(client, make_account("boss", template=MANAGER_TEMPLATE))
    return client


def new_mailing(client, world, body: str, subject: str = "Our new catalogue") -> MassMailing:
    response = client.post(reverse("mail:mass_create"), {"mailbox": world["mailbox"].pk, "subject": subject,
                                                         "body": body})
    assert response.status_code == 302
    return MassMailing.objects.latest("id")


def greetings(smtp_sink) -> dict[str, str]:
    found = {}
    for received in smtp_sink.messages:
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        found[received.recipients[0]] = message.get_content().splitlines()[0]
    return found


def test_name_falls_back_to_a_contact_then_to_the_customer(world, boss, smtp_sink):
    """MASS-02, MASS-03, CUST-09: {name} is the main contact's name; without a main contact, the first contact's
    (by id); without contacts, the customer's name. Backup emails greet the same person."""
    # Hanse Trade's only contact, Anna, is not marked main contact.
    Customer.objects.create(code="C0020", name="Nordic Lights AB", main_email="office@nordic.example",
                            region=world["customer"].region)
    both = Customer.objects.create(code="C0021", name="Levante SL", main_email="hola@levante.example",
                                   region=world["customer"].region)
    Contact.objects.create(customer=both, name="Zoe Ruiz")
    Contact.objects.create(customer=both, name="Mia Soler", is_main=True)
    mailing = new_mailing(boss, world, "Dear {name},\n\nour catalogue is attached.")
    boss.post(reverse("mail:mass_recipients", args=[mailing.pk, "customers"]) + "?filter=1", {"backup": "on"})
    boss.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    assert mass.run(mailing.pk, sleep=lambda seconds: None) == "done"
    assert greetings(smtp_sink) == {
        "info@hanse.de": "Dear Anna,", "sales@hanse.de": "Dear Anna,",
        "office@nordic.example": "Dear Nordic Lights AB,", "hola@levante.example": "Dear Mia Soler,"}


def test_the_draft_names_who_would_get_an_empty_field(world, boss):
    """MASS-02, MASS-04: addresses without a name or company are listed before sending, for each field the
    text uses, and can be shown on their own; a text without fields warns about nothing."""
    mailing = new_mailing(boss, world, "Dear {name},\n\nsee the attachment.", subject="Catalogue for {company}")
    upload = SimpleUploadedFile("list.csv", b"a@buyers.example\nb@buyers.example,Bea,Bea GmbH\n"
                                b"c@buyers.example,,Cee Ltd\n")
    boss.post(reverse("mail:mass_recipients", args=[mailing.pk, "upload"]), {"file": upload})
    detail = reverse("mail:mass_detail", args=[mailing.pk])
    html = boss.get(detail, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="empty-fields"' in html
    assert "2 recipients get an empty {name} / {姓名}: a@buyers.example, c@buyers.example" in html
    assert "1 recipient gets an empty {company} / {公司}: a@buyers.example" in html
    shown = boss.get(detail, {"empty": "name"})
    assert [r.address for r in shown.context["listing"].page] == ["a@buyers.example", "c@buyers.example"]

    plain = new_mailing(boss, world, "Hello,\n\nsee the attachment.")
    boss.post(reverse("mail:mass_recipients", args=[plain.pk, "upload"]), {"addresses": "a@buyers.example"})
    html = boss.get(reverse("mail:mass_detail", args=[plain.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="empty-fields"' not in html


def test_the_chinese_fields_are_checked_too(world, boss):
    """MASS-02: {姓名} counts as the name field."""
    mailing = new_mailing(boss, world, "{姓名}您好：\n\n附件是我们的新目录。")
    boss.post(reverse("mail:mass_recipients", args=[mailing.pk, "upload"]), {"addresses": "a@buyers.example"})
    assert mass.empty_fields(mailing) == {"name": (1, ["a@buyers.example"])}
