"""Reminders (FUP-11..18, QUE-12, QUE-13): created from follow-up days, next dates and level days; listed by
query from stored dates; postponed, cancelled and completed; one salesperson's own."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import days_from_today, moment_from_now, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.followup import reminders
from tradeport.followup.models import Reminder
from tradeport.mail import triage
from tradeport.mail.models import Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def client_of(username: str) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    return client


def arrived(world, days_ago: int = 0, n: int = 1) -> Mail:
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de", message_id=f"<r{n}@hanse.de>")).mail
    Mail.objects.filter(pk=mail.pk).update(date=timezone.now() - datetime.timedelta(days=days_ago))
    return Mail.objects.get(pk=mail.pk)


def test_follow_up_days_make_a_reminder_due_in_that_many_days(world):
    """FUP-11, FUP-15, QUE-12: followed up with 3 days, the customer is due on the third day of the
    salesperson's calendar, not before; the counter and the list show it then."""
    mail = arrived(world)
    lily = Account.objects.get(username="lily")
    triage.mark_followed_up(mail, employee=world["lily"], actor=lily, followed_up=True, follow_up_days=3)
    reminder = Reminder.objects.get()
    assert reminder.due_date == timezone.localdate() + datetime.timedelta(days=3)
    assert reminder.employee == world["lily"]
    assert list(reminders.due_list(world["lily"])) == []
    later = timezone.localdate() + datetime.timedelta(days=3)
    assert list(reminders.due_list(world["lily"], today=later)) == [reminder]
    Reminder.objects.filter(pk=reminder.pk).update(due_date=timezone.localdate())
    page = client_of("lily").get(reverse("mail:followup_queue", args=["reminders"])).content.decode()
    assert f'data-reminder="{reminder.pk}"' in page
    assert 'data-counter="reminders">1<' in page


def test_the_newest_date_wins_and_other_owners_get_nothing(world):
    """FUP-11, FUP-18: one open reminder per customer and salesperson, moved by the newest date; the other
    owner of the customer gets no reminder."""
    first = reminders.schedule(world["customer"], world["lily"], timezone.localdate() + datetime.timedelta(days=9),
                               source="mail")
    second = reminders.schedule(world["customer"], world["lily"], timezone.localdate() + datetime.timedelta(days=2),
                                source="record")
    assert first.pk == second.pk
    assert Reminder.objects.get().due_date == timezone.localdate() + datetime.timedelta(days=2)
    assert [h["action"] for h in Reminder.objects.get().history] == ["created", "rescheduled"]
    far = timezone.localdate() + datetime.timedelta(days=30)
    assert list(reminders.due_list(world["tom"], today=far)) == []


def test_level_days_make_customers_due_after_no_contact(world):
    """FUP-14: a level A customer (7 days) whose last contact was 8 days ago is due; one contacted 2 days ago
    is not; the reminder is written once, however often the list is read."""
    group = CodeGroup.objects.create(key="customer_level", name_zh="客户级别", name_en="Customer level")
    level_a = CodeItem.objects.create(group=group, code="A", name_zh="A 级", name_en="A", reminder_days=7)
    world["customer"].level = level_a
    world["customer"].save()
    arrived(world, days_ago=8)
    due = list(reminders.due_list(world["lily"]))
    assert [r.customer for r in due] == [world["customer"]]
    assert due[0].source == Reminder.Source.LEVEL
    assert due[0].due_date == timezone.localdate() - datetime.timedelta(days=1)
    assert due[0].overdue_days == 1
    reminders.due_list(world["lily"])
    assert Reminder.objects.filter(employee=world["lily"]).count() == 1
    # Tom co-owns the customer and is due too, with his own reminder.
    assert len(reminders.due_list(world["tom"])) == 1
    reminders.cancel(due[0], actor=Account.objects.get(username="lily"))
    assert list(reminders.due_list(world["lily"])) == []  # cancelled since the last contact: not again
    arrived(world, days_ago=2, n=2)
    assert list(reminders.due_list(world["lily"])) == []


def test_postpone_cancel_and_complete_from_the_queue(world):
    """QUE-13, FUP-12, FUP-13, FUP-16: [Postpone] hides it until the date; [Cancel reminder] ends it with who
    and when; a contact record completes it; another salesperson cannot act on it (404)."""
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail")
    lily = client_of("lily")
    url = reverse("followup:reminder_action", args=[reminder.pk, "postpone"])
    assert client_of("tom").post(url, {"date": days_from_today(3)}).status_code == 404
    assert lily.post(url, {"date": timezone.localdate().isoformat()}).status_code == 302
    reminder.refresh_from_db()
    assert reminder.due_date == timezone.localdate()  # a date that is not after today is refused
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    lily.post(url, {"date": tomorrow.isoformat()})
    reminder.refresh_from_db()
    assert reminder.due_date == tomorrow
    assert list(reminders.due_list(world["lily"])) == []
    assert list(reminders.due_list(world["lily"], today=tomorrow)) == [reminder]
    assert reminders.complete(world["customer"], world["lily"], actor=Account.objects.get(username="lily"),
                              how="phone")
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.DONE
    assert reminder.history[-1]["action"] == "completed:phone"
    again = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="record")
    lily.post(reverse("followup:reminder_action", args=[again.pk, "cancel"]))
    again.refresh_from_db()
    assert again.state == Reminder.State.CANCELLED
    assert again.closed_by.username == "lily"


def test_a_fax_without_a_gateway_is_recorded_and_says_so(world):
    """FUP-09, FUP-10, SHORT-02: with no fax gateway configured, recording a fax says plainly that it was
    recorded, not sent; the record keeps that, and it completes the customer's reminder."""
    from tradeport.codes.presets import load_codes

    load_codes()
    reminder = reminders.schedule(world["customer"], world["lily"], timezone.localdate(), source="mail")
    fax_method = CodeItem.objects.get(group__key="followup_method", code="FAX")
    lily = client_of("lily")
    form = lily.get(reverse("followup:contact_input"), {"customer": world["customer"].pk, "method": "FAX"})
    assert form.context["form"].initial["method"] == fax_method.pk
    assert 'id="fax-note"' in form.content.decode()
    response = lily.post(reverse("followup:contact_input"), {
        "customer": world["customer"].pk, "occurred_at": moment_from_now(hours=-1), "method": fax_method.pk,
        "subject": "Price list by fax"}, follow=True)
    page = response.content.decode()
    assert "No fax gateway is configured: this fax was recorded, not sent." in page
    assert 'id="fax-status"' in page
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.DONE


def test_the_manager_sets_the_days_per_level(world):
    """FUP-14, CODE-05: the set-up page saves each level's days (0: none); a level A customer then becomes due
    after that many days without contact; a salesperson may not open the page."""
    from conftest import make_account
    from tradeport.accounts.functions import MANAGER_TEMPLATE
    from tradeport.codes.presets import load_codes

    load_codes()
    level_a = CodeItem.objects.get(group__key="customer_level", code="A")
    level_d = CodeItem.objects.get(group__key="customer_level", code="D")
    manager = Client()
    sign_in(manager, make_account("boss", template=MANAGER_TEMPLATE))
    data = {f"days_{item.pk}": item.reminder_days or 0 for item in CodeItem.objects.filter(group__key="customer_level")}
    data[f"days_{level_a.pk}"], data[f"days_{level_d.pk}"] = "5", "0"
    assert manager.post(reverse("followup:reminder_days"), data).status_code == 302
    level_a.refresh_from_db()
    level_d.refresh_from_db()
    assert (level_a.reminder_days, level_d.reminder_days) == (5, None)
    bad = manager.post(reverse("followup:reminder_days"), {**data, f"days_{level_a.pk}": "-3"})
    assert "Enter a whole number of days" in bad.content.decode()
    assert client_of("lily").get(reverse("followup:reminder_days")).status_code == 403
    world["customer"].level = level_a
    world["customer"].save()
    arrived(world, days_ago=4)
    assert list(reminders.due_list(world["lily"])) == []
    Mail.objects.update(date=timezone.now() - datetime.timedelta(days=5))
    assert [r.customer for r in reminders.due_list(world["lily"])] == [world["customer"]]


def test_days_are_counted_in_the_salespersons_calendar(world):
    """FUP-11, FUP-15: "in 3 days" is three days of the local calendar: at 20:00 UTC it is already tomorrow
    in Shanghai, and across the spring clock change in Berlin three days stay three dates."""
    late_evening_utc = datetime.datetime(2026, 11, 27, 20, 0, tzinfo=datetime.UTC)
    with time_machine.travel(late_evening_utc, tick=False), timezone.override("Asia/Shanghai"):
        assert reminders.in_days(3) == datetime.date(2026, 12, 1)
    before_dst = datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)  # 00:30 on the 29th in Berlin
    with time_machine.travel(before_dst, tick=False), timezone.override("Europe/Berlin"):
        assert reminders.in_days(3) == datetime.date(2026, 4, 1)
        reminder = reminders.schedule(world["customer"], world["lily"], reminders.in_days(3), source="mail")
        assert list(reminders.due_list(world["lily"], today=datetime.date(2026, 3, 31))) == []
        assert list(reminders.due_list(world["lily"], today=datetime.date(2026, 4, 1))) == [reminder]
