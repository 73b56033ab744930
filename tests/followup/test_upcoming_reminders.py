"""Upcoming reminders (QUE-12 ahead of time, FUP-11, FUP-14): the reminders of the next 7 or 30 days, beside
the due list, by date, paged, with the due list's actions; level reminders show the day their days run out."""

import datetime

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import days_from_today, sign_in
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeGroup, CodeItem
from tradeport.customers.models import Customer, Ownership
from tradeport.followup import reminders
from tradeport.followup.models import ContactRecord, Reminder

pytestmark = pytest.mark.django_db


def in_days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def client_of(username: str) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    return client


def customer_of(world, name: str, code: str, **fields) -> Customer:
    customer = Customer.objects.create(code=code, name=name, region=world["customer"].region, **fields)
    Ownership.objects.create(customer=customer, employee=world["lily"])
    return customer


def rows(html: str) -> list[str]:
    return [tr["data-customer"] for tr in BeautifulSoup(html, "html.parser").select("#reminder-table tr[data-customer]")]


@pytest.fixture
def level_a(db):
    group = CodeGroup.objects.create(key="customer_level", name_zh="客户级别", name_en="Customer level")
    return CodeItem.objects.create(group=group, code="A", name_zh="A 级", name_en="A", reminder_days=7)


@pytest.fixture
def ahead(world, level_a):
    """Lily: a reminder due today, one in 3 days, one in 20 days, and a level A customer last called 3 days ago."""
    method = CodeItem.objects.create(group=CodeGroup.objects.create(key="followup_method", name_zh="跟进方式",
                                                                    name_en="Follow-up method"),
                                     code="PHONE", name_zh="电话", name_en="Phone")
    soon = customer_of(world, "Soon GmbH", "C0101")
    later = customer_of(world, "Later AG", "C0102")
    levelled = customer_of(world, "Level Co", "C0103", level=level_a)
    ContactRecord.objects.create(customer=levelled, employee=world["lily"], method=method, subject="Call",
                                 occurred_at=timezone.now() - datetime.timedelta(days=3))
    return {
        "today": reminders.schedule(world["customer"], world["lily"], in_days(0), source="mail"),
        "soon": reminders.schedule(soon, world["lily"], in_days(3), source="record"),
        "later": reminders.schedule(later, world["lily"], in_days(20), source="reply"),
        "levelled": levelled,
    }


def test_the_next_7_and_30_days_by_date_with_level_reminders_computed(world, ahead):
    """QUE-12, FUP-11, FUP-14: 7 days: the reminder in 3 days and the level customer (due in 4 days, its days
    counted from the last call), not written; 30 days adds the one in 20 days; today's is in the due list."""
    stored = Reminder.objects.count()
    client = client_of("lily")
    week = client.get(reverse("followup:upcoming_reminders"), {"days": 7})
    assert week.status_code == 200
    assert rows(week.content.decode()) == ["C0101", "C0103"]
    level_row = next(r for r in week.context["rows"] if r.customer == ahead["levelled"])
    assert (level_row.pk, level_row.due_date, level_row.source) == (None, in_days(4), Reminder.Source.LEVEL)
    assert Reminder.objects.count() == stored  # looking ahead writes nothing
    html = week.content.decode()
    assert 'data-days-left="3"' in html
    assert "in 4 days" in html
    assert rows(client.get(reverse("followup:upcoming_reminders"), {"days": 30}).content.decode()) == [
        "C0101", "C0103", "C0102"]
    due = client.get(reverse("mail:followup_queue", args=["reminders"])).content.decode()
    assert rows(due) == ["C0012"]
    assert rows(client.get(reverse("followup:upcoming_reminders"), {"days": "999"}).content.decode()) == [
        "C0101", "C0103"]  # anything but 7 or 30 is the 7 days


def test_the_tabs_sit_beside_the_due_list(world, ahead):
    """QUE-12: the due list links to the next 7 and 30 days, and they back to it."""
    client = client_of("lily")
    due = BeautifulSoup(client.get(reverse("mail:followup_queue", args=["reminders"])).content, "html.parser")
    tabs = {a["data-reminder-view"]: a for a in due.select("#reminder-views a")}
    assert tabs["due"].get("aria-current") == "page"
    assert tabs["upcoming7"]["href"] == reverse("followup:upcoming_reminders") + "?days=7"
    assert tabs["upcoming30"]["href"] == reverse("followup:upcoming_reminders") + "?days=30"
    month = BeautifulSoup(client.get(reverse("followup:upcoming_reminders"), {"days": 30}).content, "html.parser")
    tabs = {a["data-reminder-view"]: a for a in month.select("#reminder-views a")}
    assert tabs["upcoming30"].get("aria-current") == "page"
    assert tabs["due"]["href"] == reverse("mail:followup_queue", args=["reminders"])


def test_postpone_and_cancel_work_ahead_and_come_back_to_the_list(world, ahead):
    """QUE-13, FUP-12, FUP-13, FUP-14: a stored reminder and a computed level one are postponed and cancelled
    from the upcoming list, which the user comes back to; the level one is written when acted on."""
    client = client_of("lily")
    back = reverse("followup:upcoming_reminders") + "?days=7"
    response = client.post(reverse("followup:reminder_action", args=[ahead["soon"].pk, "postpone"]),
                           {"date": days_from_today(25), "next": back})
    assert response["Location"] == back
    ahead["soon"].refresh_from_db()
    assert ahead["soon"].due_date == in_days(25)
    levelled = ahead["levelled"]
    response = client.post(reverse("followup:level_reminder_action", args=[levelled.pk, "postpone"]),
                           {"date": days_from_today(12), "next": back})
    assert response["Location"] == back
    written = Reminder.objects.get(customer=levelled)
    assert (written.state, written.due_date, written.source) == (Reminder.State.OPEN, in_days(12), "level")
    assert [h["action"] for h in written.history] == ["created", "postponed"]
    assert rows(client.get(back).content.decode()) == []
    cancelled = client.post(reverse("followup:reminder_action", args=[written.pk, "cancel"]), {"next": back})
    assert cancelled["Location"] == back
    written.refresh_from_db()
    assert written.state == Reminder.State.CANCELLED
    assert "C0103" not in rows(client.get(reverse("followup:upcoming_reminders"), {"days": 30}).content.decode())
    # An outside address to come back to is ignored.
    outside = client.post(reverse("followup:reminder_action", args=[ahead["later"].pk, "cancel"]),
                          {"next": "https://evil.example/"})
    assert outside["Location"] == reverse("mail:followup_queue", args=["reminders"])


def test_a_level_reminder_ahead_can_be_cancelled_and_holds_until_the_next_contact(world, ahead):
    """FUP-13, FUP-14: cancelled from the upcoming list it is written as cancelled, leaves the list and does
    not come due; only the user's own customers may be acted on (404 otherwise)."""
    levelled = ahead["levelled"]
    assert client_of("tom").post(reverse("followup:level_reminder_action", args=[levelled.pk, "cancel"])
                                 ).status_code == 404
    client_of("lily").post(reverse("followup:level_reminder_action", args=[levelled.pk, "cancel"]))
    assert Reminder.objects.get(customer=levelled).state == Reminder.State.CANCELLED
    assert levelled not in [r.customer for r in reminders.upcoming_list(world["lily"], 30)]
    assert levelled not in [r.customer for r in reminders.due_list(world["lily"], today=in_days(10))]
    # Nothing left to act on: a second cancel is a 404, not a second reminder.
    assert client_of("lily").post(reverse("followup:level_reminder_action", args=[levelled.pk, "cancel"])
                                  ).status_code == 404


def test_the_list_is_paged(world, ahead):
    """QUE-12, GEN-03: pages of the user's page size, in date order across pages."""
    Account.objects.filter(username="lily").update(page_size=2)
    client = client_of("lily")
    url = reverse("followup:upcoming_reminders")
    first = client.get(url, {"days": 30})
    assert rows(first.content.decode()) == ["C0101", "C0103"]
    assert "Page 1 of 2" in first.content.decode()
    assert rows(client.get(url, {"days": 30, "page": 2}).content.decode()) == ["C0102"]


def test_customers_out_of_reach_leave_the_list(world, ahead):
    """PERM-13, FUP-18: a customer transferred away leaves its old owner's upcoming list."""
    Ownership.objects.filter(customer__code="C0101", employee=world["lily"]).update(is_latest=False)
    assert [r.customer.code for r in reminders.upcoming_list(world["lily"], 7)] == ["C0103"]
    assert rows(client_of("tom").get(reverse("followup:upcoming_reminders"), {"days": 30}).content.decode()) == []


def test_the_upcoming_page_joins_the_permission_matrix(roles):
    """GEN-01, QUE-12: whoever has the follow-up screen may look ahead."""
    from matrix import check_matrix

    check_matrix(reverse("followup:upcoming_reminders"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)
