"""What a review found in follow-up: level reminders that undid a cancel or a postponement, reminders of
customers moved away still within reach, and damaged dates, ids and cursors that gave error pages or
quietly took entries out of their folders."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.codes.presets import load_codes
from tradeport.customers.models import Ownership
from tradeport.followup import reminders
from tradeport.followup.models import ContactRecord, CustomerFolder, Reminder
from tradeport.mail.models import Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db
IMPOSSIBLE_ID = "9" * 30


def lily() -> Client:
    return sign_in(Client(raise_request_exception=False), Account.objects.get(username="lily"))


def phone():
    return CodeItem.objects.get(group__key="followup_method", code="PHONE").pk


@pytest.fixture
def level_a_customer_who_wrote_since(world):
    """Level A asks for contact every 7 days; lily's reminder was set 10 days ago, the customer wrote 8 days ago."""
    load_codes()
    level = CodeItem.objects.get(group__key="customer_level", code="A")
    CodeItem.objects.filter(pk=level.pk).update(reminder_days=7)
    world["customer"].level_id = level.pk
    world["customer"].save()
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="reply")
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    Reminder.objects.filter(pk=reminder.pk).update(created_at=ten_days_ago, changed_at=ten_days_ago)
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de")).mail
    Mail.objects.filter(pk=mail.pk).update(date=timezone.now() - datetime.timedelta(days=8))
    return reminder


def test_a_cancelled_reminder_is_not_brought_back_by_the_level_days(world, level_a_customer_who_wrote_since):
    """FUP-13, FUP-14: cancelling takes the customer out of the list for good, until the next contact."""
    reminder = level_a_customer_who_wrote_since
    assert lily().post(reverse("followup:reminder_action", args=[reminder.pk, "cancel"])).status_code == 302
    assert list(reminders.due_list(world["lily"])) == []


def test_a_postponement_is_not_undone_by_the_level_days(world, level_a_customer_who_wrote_since):
    """FUP-12, FUP-14: a postponed reminder stays hidden until its new date."""
    reminder = level_a_customer_who_wrote_since
    later = timezone.localdate() + datetime.timedelta(days=30)
    lily().post(reverse("followup:reminder_action", args=[reminder.pk, "postpone"]), {"date": later.isoformat()})
    assert list(reminders.due_list(world["lily"])) == []
    assert Reminder.objects.get(pk=reminder.pk).due_date == later


def test_the_level_days_still_count_from_a_contact_after_the_last_change(world, level_a_customer_who_wrote_since):
    """FUP-14: with no change to the reminder since the customer's mail, the level days decide its date."""
    reminder = level_a_customer_who_wrote_since
    due = list(reminders.due_list(world["lily"]))
    assert [r.pk for r in due] == [reminder.pk]
    assert due[0].due_date == timezone.localdate() - datetime.timedelta(days=1)


def test_the_reminder_of_a_customer_moved_away_is_out_of_reach(world):
    """FUP-18, PERM-13: once the customer is no longer lily's, her old reminder can be neither postponed nor
    cancelled, and its customer's name is not shown."""
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail")
    Ownership.objects.filter(customer=world["customer"], employee=world["lily"]).update(is_latest=False)
    for action, data in (("postpone", {"date": (timezone.localdate() + datetime.timedelta(days=3)).isoformat()}),
                         ("cancel", {})):
        assert lily().post(reverse("followup:reminder_action", args=[reminder.pk, action]), data).status_code == 404
    assert Reminder.objects.get(pk=reminder.pk).state == Reminder.State.OPEN


@pytest.mark.parametrize(("date", "reason"), [("9999-12-31", "within the next two years"),
                                               ("2000-01-01", "after today")])
def test_a_postponement_far_off_or_in_the_past_is_refused(world, date, reason):
    """FUP-12: a date more than two years off is a typing slip, and the past is no postponement."""
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail")
    response = lily().post(reverse("followup:reminder_action", args=[reminder.pk, "postpone"]), {"date": date},
                           follow=True)
    assert any(reason in str(m) for m in response.context["messages"])
    assert Reminder.objects.get(pk=reminder.pk).due_date == timezone.localdate()


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("occurred_at", "0001-01-01T00:00", "not decades ago"),
    ("next_follow_up", lambda today: today - datetime.timedelta(days=1), "today or a later date"),
    ("next_follow_up", lambda today: reminders.furthest_date(today) + datetime.timedelta(days=1),
     "within the next two years"),
], ids=["year-1", "yesterday", "two-years-and-a-day"])
def test_contact_input_refuses_impossible_dates_and_keeps_what_was_typed(world, field, value, reason):
    """FUP-02, FUP-08: a year-1 contact time or a next follow-up yesterday or beyond two years is refused
    on the form, with the typed subject still there."""
    load_codes()
    if callable(value):  # a date counted from today when the test runs
        value = value(timezone.localdate()).isoformat()
    data = {"customer": world["customer"].pk, "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "subject": "Called Anna about samples", "method": phone(), "needs_follow_up": "on",
            "next_follow_up": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(), field: value}
    response = lily().post(reverse("followup:contact_input"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert len(errors) == 1, errors  # the reason alone, not also "choose a date"
    assert reason in errors[0]
    assert "Called Anna about samples" in response.content.decode()
    assert not ContactRecord.objects.exists()


@pytest.mark.parametrize("before", ["0001-01-01T00:00", "9999-12-31T23:59:59-12:00"])
def test_an_older_link_with_an_impossible_moment_shows_the_first_page(world, before):
    """VIEW-10: a cursor that cannot be told in UTC is no cursor: the first page, not an error."""
    load_codes()
    response = lily().get(reverse("followup:customer_record", args=[world["customer"].pk]), {"before": before})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["followup:contact_input", "followup:record_list"])
def test_a_customer_id_no_key_can_have_is_ignored(world, name):
    """FUP-02: ?customer= with a number too large for any key answers with the page."""
    load_codes()
    assert lily().get(reverse(name), {"customer": IMPOSSIBLE_ID}).status_code == 200


def test_moving_with_a_damaged_folder_id_moves_nothing(world):
    """FUP-17, VIEW-09: a folder id that is not one is refused; the entries stay where they were."""
    load_codes()
    folder = CustomerFolder.objects.create(customer=world["customer"], name="Contract 7")
    record = ContactRecord.objects.create(customer=world["customer"], employee=world["lily"], subject="Samples",
                                          method_id=phone(), folder=folder)
    url = reverse("followup:customer_folders", args=[world["customer"].pk, "move"])
    assert lily().post(url, {"entry": [f"record:{record.pk}"], "folder": "abc"}).status_code == 404
    assert lily().post(url, {"entry": ["mail:" + IMPOSSIBLE_ID], "folder": ""}).status_code == 302
    assert ContactRecord.objects.get(pk=record.pk).folder_id == folder.pk
    # An empty choice is "(no folder)": the entry goes back to the history.
    lily().post(url, {"entry": [f"record:{record.pk}"], "folder": ""})
    assert ContactRecord.objects.get(pk=record.pk).folder_id is None


def test_the_upgrade_takes_each_reminders_last_change_from_its_history(world):
    """FUP-14: reminders stored before `changed_at` existed get the moment of their last event."""
    import importlib

    from django.apps import apps

    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail")
    postponed_at = timezone.now() - datetime.timedelta(days=2)
    Reminder.objects.filter(pk=reminder.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=9), changed_at=timezone.now(),
        history=[*reminder.history, {"at": postponed_at.isoformat(), "action": "postponed", "by": "lily"}])
    Reminder.objects.filter(pk=reminder.pk).update(history=[
        {**event, "at": (timezone.now() - datetime.timedelta(days=9)).isoformat()} if event["action"] == "created"
        else event for event in Reminder.objects.get(pk=reminder.pk).history])
    importlib.import_module("tradeport.followup.migrations.0005_reminder_changed_at").changed_from_history(apps, None)
    assert Reminder.objects.get(pk=reminder.pk).changed_at == postponed_at
