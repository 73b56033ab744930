# ruff: noqa: F811  (the fixtures imported from mailflow are test parameters)
"""Dates that break date code: 29 February (and the days either side), and 00:30 on 1 January in
Asia/Shanghai, when the salesperson's calendar is already in the new year and UTC still in the old.

Each test sets its clock (the `clock` fixture) before any of its data exists; the expected dates are
written out for that clock.
"""

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from conftest import sign_in
from mailflow.conftest import english, raw_mail, world  # noqa: F401
from mailflow.test_sending import compose_data, sendable  # noqa: F401
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.accounts.services import template_reset
from tradeport.audit.models import SystemLogEntry
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.codes.presets import load_codes
from tradeport.customers import querybuilder
from tradeport.customers.models import Ownership
from tradeport.followup import reminders
from tradeport.followup.models import ContactRecord, Reminder
from tradeport.mail.models import Mail, OutgoingMail
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee
from tradeport.org.services import employee_save

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# 00:30 on 1 January 2028 in Shanghai; 31 December 2027 in UTC, 17:30 that evening in Berlin.
NEW_YEAR_IN_SHANGHAI = datetime.datetime(2027, 12, 31, 16, 30, tzinfo=UTC)
date = datetime.date.fromisoformat


def noon_in_shanghai(day: str) -> datetime.datetime:
    return datetime.datetime.combine(date(day), datetime.time(12), SHANGHAI)


@pytest.fixture
def clock(request):
    """The clock set to the test's moment (a parameter), ticking; asked for first, so it runs before the
    fixtures that make data."""
    with time_machine.travel(request.param, tick=True):
        yield request.param


def lily() -> Client:
    return sign_in(Client(), Account.objects.get(username="lily"))


def contact_input(world, **fields):
    """Lily records a phone call made a minute ago, with a next follow-up."""
    data = {"customer": world["customer"].pk, "method": CodeItem.objects.get(group__key="followup_method",
                                                                              code="PHONE").pk,
            "occurred_at": timezone.localtime(timezone.now() - datetime.timedelta(minutes=1)).strftime(
                "%Y-%m-%dT%H:%M"),
            "subject": "Phoned about the samples", "needs_follow_up": "on", **fields}
    return lily().post(reverse("followup:contact_input"), data)


def postpone(reminder: Reminder, day: str):
    return lily().post(reverse("followup:reminder_action", args=[reminder.pk, "postpone"]), {"date": day},
                       follow=True)


def message_texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# 29 February ----------------------------------------------------------------------------------------------

AROUND_LEAP_DAY = [  # today, yesterday, the same day two years on (the furthest follow-up date)
    ("2028-02-28", "2028-02-27", "2030-02-28"),
    ("2028-02-29", "2028-02-28", "2030-03-01"),
    ("2028-03-01", "2028-02-29", "2030-03-01"),
]


@pytest.mark.parametrize(("clock", "today", "yesterday", "furthest"),
                         [(noon_in_shanghai(today), today, yesterday, furthest)
                          for today, yesterday, furthest in AROUND_LEAP_DAY],
                         indirect=["clock"], ids=[row[0] for row in AROUND_LEAP_DAY])
def test_follow_up_dates_around_29_february(clock, world, today, yesterday, furthest):
    """FUP-02, FUP-04, FUP-08: around 29 February a next follow-up may be today up to the same day two years
    on (1 March for 29 February, which 2030 lacks), not yesterday and not a day further."""
    load_codes()
    assert timezone.localdate() == date(today)
    assert reminders.furthest_date(date(today)) == date(furthest)
    refused = {
        yesterday: "Choose today or a later date.",
        (date(furthest) + datetime.timedelta(days=1)).isoformat(): "Choose a date within the next two years.",
    }
    for day, reason in refused.items():
        response = contact_input(world, next_follow_up=day)
        assert response.status_code == 200
        assert reason in response.context["form"].errors["next_follow_up"]
    assert not ContactRecord.objects.exists()
    for day in (today, furthest):
        assert contact_input(world, next_follow_up=day).status_code == 302
    assert sorted(str(d) for d in ContactRecord.objects.values_list("next_follow_up", flat=True)) == sorted(
        [today, furthest])
    assert Reminder.objects.get(state=Reminder.State.OPEN).due_date == date(furthest)


@pytest.mark.parametrize("clock", [noon_in_shanghai("2028-02-29")], indirect=True)
def test_a_reminder_postponed_on_29_february(clock, world):
    """FUP-12, QUE-12, QUE-13: on 29 February the postponement must be after today: 1 March is taken and
    the reminder is back that day; the same day two years on (1 March 2030) is the furthest date."""
    reminder = reminders.schedule(world["customer"], world["lily"], date("2028-02-29"), source="mail")
    assert list(reminders.due_list(world["lily"])) == [reminder]
    assert message_texts(postpone(reminder, "2028-02-29")) == ["Choose a date after today."]
    assert message_texts(postpone(reminder, "2030-03-02")) == ["Choose a date within the next two years."]
    postpone(reminder, "2030-03-01")
    reminder.refresh_from_db()
    assert reminder.due_date == date("2030-03-01")
    postpone(reminder, "2028-03-01")
    reminder.refresh_from_db()
    assert reminder.due_date == date("2028-03-01")
    assert list(reminders.due_list(world["lily"])) == []
    with time_machine.travel(noon_in_shanghai("2028-03-01"), tick=True):
        assert list(reminders.due_list(world["lily"])) == [reminder]


@pytest.mark.parametrize("clock", [noon_in_shanghai("2028-02-28")], indirect=True)
def test_level_days_run_over_29_february(clock, world):
    """FUP-14, QUE-12: a level with 1 day and a mail on 28 February make the customer due on 29 February, not
    on 1 March; on 1 March the reminder is one day overdue."""
    group = CodeGroup.objects.create(key="customer_level", name_zh="客户级别", name_en="Customer level")
    world["customer"].level = CodeItem.objects.create(group=group, code="A", name_zh="A 级", name_en="A",
                                                      reminder_days=1)
    world["customer"].save()
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de")).mail
    Mail.objects.filter(pk=mail.pk).update(date=timezone.now())  # written at 12:00 on 28 February
    assert list(reminders.due_list(world["lily"])) == []
    with time_machine.travel(noon_in_shanghai("2028-02-29"), tick=True):
        [due] = reminders.due_list(world["lily"])
        assert due.due_date == date("2028-02-29")
        assert due.overdue_days == 0
    with time_machine.travel(noon_in_shanghai("2028-03-01"), tick=True):
        assert Reminder.objects.get(pk=due.pk).overdue_days == 1


# 00:30 on 1 January in Shanghai ---------------------------------------------------------------------------

@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_today_is_the_new_year_in_shanghai_while_utc_is_in_the_old(clock, world):
    """FUP-04, FUP-11, FUP-12, QUE-12: at 00:30 on 1 January in Shanghai "today" is 1 January 2028: a next
    follow-up on 1 January is taken and 31 December refused; a reminder due on 1 January is due now, and
    postponing it needs 2 January or later."""
    load_codes()
    assert timezone.now().date() == date("2027-12-31")
    assert timezone.localdate() == date("2028-01-01")
    assert reminders.in_days(3) == date("2028-01-04")
    refused = contact_input(world, next_follow_up="2027-12-31")
    assert "Choose today or a later date." in refused.context["form"].errors["next_follow_up"]
    assert contact_input(world, next_follow_up="2028-01-01").status_code == 302
    reminder = Reminder.objects.get(state=Reminder.State.OPEN)
    assert reminder.due_date == date("2028-01-01")
    assert list(reminders.due_list(world["lily"])) == [reminder]
    assert message_texts(postpone(reminder, "2028-01-01")) == ["Choose a date after today."]
    postpone(reminder, "2028-01-02")
    reminder.refresh_from_db()
    assert reminder.due_date == date("2028-01-02")
    assert list(reminders.due_list(world["lily"])) == []


@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_compose_dates_at_the_new_year_in_shanghai(clock, sendable):
    """SEND-08, SEND-09: at 00:30 on 1 January in Shanghai the next contact date may be 1 January, not
    31 December; a time typed for the sender is Shanghai's (00:20 has passed, 09:00 is 01:00 UTC); one in the
    customer's time is Berlin's, where it is still 17:30 on 31 December (18:00 is ahead, 17:00 is past)."""
    region = sendable["customer"].region
    region.time_zones = ["Europe/Berlin"]
    region.save()
    client = lily()

    def compose(**fields):
        return client.post(reverse("mail:compose"), compose_data(sendable, **fields))

    refused = {
        "next_contact": ({"next_contact": "2027-12-31"}, "Choose today or a later date."),
        "send_at": ({"send_at": "2028-01-01T00:20"},
                    "Choose a moment in the future, or leave it empty to send at once."),
    }
    for field, (fields, reason) in refused.items():
        response = compose(**fields)
        assert response.status_code == 200
        assert response.context["form"].errors[field] == [reason]
    assert compose(send_at="2027-12-31T17:00", customer_time="on").context["form"].errors["send_at"]
    assert not OutgoingMail.objects.exists()

    assert compose(subject="Mine", send_at="2028-01-01T09:00", next_contact="2028-01-01").status_code == 302
    mine = OutgoingMail.objects.get(subject="Mine")
    assert mine.send_at == datetime.datetime(2028, 1, 1, 1, 0, tzinfo=UTC)
    assert mine.next_contact == date("2028-01-01")
    assert compose(subject="Theirs", send_at="2027-12-31T18:00", customer_time="on").status_code == 302
    theirs = OutgoingMail.objects.get(subject="Theirs")
    assert theirs.send_at == datetime.datetime(2027, 12, 31, 17, 0, tzinfo=UTC)
    assert theirs.send_at_zone == "Europe/Berlin"


@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_the_system_log_files_the_new_year_minutes_under_the_new_year(clock, client, admin_account):
    """ADM-08: a login at 00:30 on 1 January in Shanghai is found by the date filter for 1 January 2028,
    not by one ending on 31 December 2027."""
    template_reset(MANAGER_TEMPLATE)
    template_reset(EMPLOYEE_TEMPLATE)
    entry = SystemLogEntry.objects.create(event="login", username="lily", ip_address="10.0.0.1")
    console = sign_in(client, admin_account)
    url = reverse("console:system_log")

    def shown(**params) -> list[int]:
        return [e.pk for e in console.get(url, {"account": "lily", **params}).context["listing"].page]

    assert shown(**{"from": "2028-01-01", "to": "2028-01-01"}) == [entry.pk]
    assert shown(to="2027-12-31") == []
    assert shown(**{"from": "2027-12-31", "to": "2027-12-31"}) == []


@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_an_assignment_in_the_new_year_minutes_is_dated_1_january(clock, world):
    """OWN-13, OWN-14: an ownership assigned at 00:30 on 1 January in Shanghai has the assignment date
    1 January 2028 in the query builder."""
    def customers(day: str) -> list[str]:
        q = querybuilder.compile_conditions(querybuilder.parse([
            {"column": "assigned_at", "op": "eq", "value": day, "combinator": "and"},
            {"column": "employee_code", "op": "eq", "value": "0002", "combinator": "and"}]))
        return list(Ownership.objects.filter(q).values_list("customer__name", flat=True))

    assert customers("2028-01-01") == ["Hanse Trade"]
    assert customers("2027-12-31") == []


@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_an_employee_leaving_in_the_new_year_minutes_left_on_1_january(clock, world):
    """ORG-14: marked as left at 00:30 on 1 January in Shanghai, with no date given, the employee left on
    1 January 2028."""
    employee = Employee.objects.get(code="0003")
    employee.status = Employee.Status.LEFT
    employee_save(employee=employee)
    employee.refresh_from_db()
    assert employee.date_left == date("2028-01-01")


@pytest.mark.parametrize("clock", [NEW_YEAR_IN_SHANGHAI], indirect=True)
def test_the_customers_local_time_is_still_the_old_year(clock, world):
    """CUST-01 (detail), ORG-17: the customer record gives the customer's own time: in Berlin it is still
    17:30 on 31 December 2027."""
    region = world["customer"].region
    region.time_zones = ["Europe/Berlin"]
    region.save()
    with translation.override("en"):
        page = lily().get(reverse("customers:customer_detail", args=[world["customer"].pk])).content.decode()
    assert "2027-12-31 17:30" in page
