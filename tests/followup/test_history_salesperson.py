"""The Salesperson column (业务员) of the customer's history (VIEW-10, FUP-01) names our salesperson, never the
customer's sender: for received mail who followed it up, else who it was delivered to, else the owners."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse

from conftest import sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.customers.models import Ownership
from tradeport.followup.models import ContactRecord
from tradeport.mail import triage
from tradeport.mail.models import Delivery, Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def salesperson_column(world, username="lily") -> dict[str, str]:
    """Subject → the Salesperson cell of the history table."""
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    html = client.get(reverse("followup:customer_record", args=[world["customer"].pk])).content.decode()
    table = BeautifulSoup(html, "html.parser").select_one("#timeline-table")
    header = [th.get_text(strip=True) for th in table.select("thead th")]
    column = header.index("Salesperson")
    cells = {}
    for row in table.select("tbody tr[data-entry]"):
        tds = row.find_all("td", recursive=False)
        cells[tds[4].get_text(" ", strip=True)] = tds[column].get_text(strip=True)
    return cells


def received(world, subject: str, n: int) -> Mail:
    return message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "anna@hanse.de", subject=subject, message_id=f"<s{n}@hanse.de>")).mail


def test_received_mail_shows_who_followed_it_up_else_its_owners(world):
    """VIEW-10, FUP-01, MAIL-19: not the sender ("Sender", the customer's contact): the owners it waits for,
    then the one who followed it up."""
    waiting = received(world, "Waiting for us", 1)
    handled = received(world, "Handled by Tom", 2)
    assert Delivery.objects.filter(mail=waiting).count() == 2  # both owners of the customer
    triage.mark_followed_up(handled, employee=world["tom"], actor=Account.objects.get(username="tom"),
                            followed_up=True)
    cells = salesperson_column(world)
    assert cells["Waiting for us"] == "李丽, Tom"
    assert cells["Handled by Tom"] == "Tom"
    assert "Sender" not in cells.values()


def test_received_mail_without_deliveries_shows_the_customers_owner(world):
    """VIEW-10, FUP-01: mail filed to the customer without being delivered to anyone (imported as handled,
    or delivered before an ownership change) shows the customer's current owners."""
    mail = received(world, "Old mail", 3)
    Delivery.objects.filter(mail=mail).delete()
    Ownership.objects.filter(customer=world["customer"], employee=world["tom"]).update(is_latest=False)
    assert salesperson_column(world)["Old mail"] == "李丽"


def test_sent_mail_shows_the_sender_account_and_a_record_its_salesperson(world):
    """VIEW-10, FUP-01, FUP-06: sent mail names who sent it; a contact record names its salesperson."""
    load_codes()
    sent = message_ingest(mailbox=world["mailbox"], outgoing=True, raw=(
        b"From: info@tradeport.test\r\nTo: anna@hanse.de\r\nSubject: Our quotation\r\n"
        b"Message-ID: <q1@tradeport.test>\r\n\r\nPrice.\r\n")).mail
    Mail.objects.filter(pk=sent.pk).update(sent_by=world["tom"])
    ContactRecord.objects.create(customer=world["customer"], employee=world["lily"], subject="Phoned Anna",
                                 method=CodeItem.objects.get(group__key="followup_method", code="PHONE"))
    cells = salesperson_column(world)
    assert cells["Our quotation"] == "Tom"
    assert cells["Phoned Anna"] == "李丽"
