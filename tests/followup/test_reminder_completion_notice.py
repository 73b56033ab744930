"""A contact record completes the customer's open reminder (FUP-16), and says so; the contact form shows the
open reminder with its date and lets the user keep it. The success message is shown once (FUP-08)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import moment_from_now, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.followup.models import Reminder
from tradeport.mail import triage
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db

COMPLETED = "The follow-up reminder of this customer is completed."


@pytest.fixture
def reminder_from_mail(world):
    """The user's story: a mail marked followed up with 2 follow-up days."""
    load_codes()
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de")).mail
    triage.mark_followed_up(mail, employee=world["lily"], actor=Account.objects.get(username="lily"),
                            followed_up=True, follow_up_days=2)
    return Reminder.objects.get(state=Reminder.State.OPEN)


def client_of(username: str) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    return client


def phone_call(world, **extra) -> dict:
    return {"customer": world["customer"].pk, "occurred_at": moment_from_now(minutes=-1),
            "method": CodeItem.objects.get(group__key="followup_method", code="PHONE").pk,
            "subject": "Phoned Anna", **extra}


def test_a_call_that_completes_the_reminder_says_so_once(world, reminder_from_mail):
    """FUP-16, FUP-08: the reminder is completed and the one success message says so; the message is not
    repeated on the page."""
    response = client_of("lily").post(reverse("followup:contact_input"), phone_call(world), follow=True)
    reminder_from_mail.refresh_from_db()
    assert reminder_from_mail.state == Reminder.State.DONE
    html = response.content.decode()
    assert html.count("Contact recorded in the follow-up record of Hanse Trade.") == 1
    assert html.count(COMPLETED) == 1


def test_the_form_shows_the_open_reminder_and_it_can_be_kept(world, reminder_from_mail):
    """FUP-16, FUP-11: the form names the open reminder's date and offers to keep it; kept, it stays open
    with its date, and the message says that instead."""
    client = client_of("lily")
    due = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    form = client.get(reverse("followup:contact_input"), {"customer": world["customer"].pk}).content.decode()
    assert 'name="keep_reminder"' in form
    assert f"This customer has an open follow-up reminder, due {due}." in form
    response = client.post(reverse("followup:contact_input"), phone_call(world, keep_reminder="on"), follow=True)
    reminder_from_mail.refresh_from_db()
    assert reminder_from_mail.state == Reminder.State.OPEN
    assert reminder_from_mail.due_date.isoformat() == due
    html = response.content.decode()
    assert COMPLETED not in html
    assert f"The follow-up reminder of this customer stays open (due {due})." in html


def test_no_box_and_no_notice_without_an_open_reminder(world):
    """FUP-16: a customer without an open reminder of the user: no box, no word about a reminder; another
    owner's reminder is his and stays open (FUP-18)."""
    load_codes()
    toms = Reminder.objects.create(customer=world["customer"], employee=world["tom"],
                                   due_date=timezone.localdate(), source=Reminder.Source.MAIL)
    client = client_of("lily")
    form = client.get(reverse("followup:contact_input"), {"customer": world["customer"].pk}).content.decode()
    assert 'name="keep_reminder"' not in form
    response = client.post(reverse("followup:contact_input"), phone_call(world), follow=True)
    assert "Contact recorded in the follow-up record of Hanse Trade." in response.content.decode()
    assert COMPLETED not in response.content.decode()
    toms.refresh_from_db()
    assert toms.state == Reminder.State.OPEN


def test_choosing_the_customer_in_the_picker_fetches_the_box(world, reminder_from_mail):
    """FUP-03, FUP-16: when the customer is chosen in the form, htmx asks for the box of that customer."""
    client = client_of("lily")
    url = reverse("followup:contact_input")
    page = client.get(url).content.decode()
    assert 'id="keep-reminder"' in page
    assert 'name="keep_reminder"' not in page  # no customer yet
    box = client.get(url, {"customer": world["customer"].pk},
                     headers={"HX-Request": "true", "HX-Target": "keep-reminder"}).content.decode()
    assert box.lstrip().startswith('<div class="col-12" id="keep-reminder"')
    assert 'name="keep_reminder"' in box
    assert "<html" not in box
