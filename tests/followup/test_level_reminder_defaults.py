"""Reminder days per customer level (FUP-14, CODE-05) come preset with a new installation, and the set-up page
says what they do and when level reminders are off."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import sign_in
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.customers.models import Customer, Ownership
from tradeport.followup import reminders
from tradeport.followup.models import Reminder
from tradeport.org.models import Employee, Region

pytestmark = pytest.mark.django_db


def manager_client() -> Client:
    manager = Account.objects.get(username="manager")
    manager.must_change_password = False
    manager.save()
    return sign_in(Client(), manager)


def test_a_new_installation_has_level_days_and_a_quiet_a_customer_comes_due(presets):
    """FUP-14, CODE-05: after the presets, A 7, B 14, C 30 and D 60 days; a level A customer of sales1 with no
    contact for 8 days is in sales1's due list."""
    days = dict(CodeItem.objects.of("customer_level").values_list("code", "reminder_days"))
    assert days == {"A": 7, "B": 14, "C": 30, "D": 60}
    sales1 = Employee.objects.get(code=Account.objects.get(username="sales1").employee_code)
    region = Region.objects.create(code="X-DE", name_zh="德国", name_en="Germany", level=2, path="")
    quiet = Customer.objects.create(code="C0001", name="Quiet GmbH", region=region,
                                    level=CodeItem.objects.of("customer_level").get(code="A"),
                                    created_at=timezone.now() - datetime.timedelta(days=8))
    Ownership.objects.create(customer=quiet, employee=sales1)
    due = list(reminders.due_list(sales1))
    assert [(r.customer, r.source, r.due_date) for r in due] == [
        (quiet, Reminder.Source.LEVEL, timezone.localdate() - datetime.timedelta(days=1))]


def test_the_page_says_what_the_days_do_and_what_a_new_installation_starts_with(presets):
    """FUP-14, GEN-05: the days with their meaning and the preset values; no warning while some level has days."""
    html = manager_client().get(reverse("followup:reminder_days")).content.decode()
    assert "has had no contact for this many days" in html
    assert "A new installation starts with these days: A 7, B 14, C 30, D 60." in html
    assert 'name="days_' in html
    assert 'id="level-reminders-off"' not in html


def test_the_page_warns_when_no_level_has_days(presets):
    """FUP-14: with every level at 0 (a manager's own levels, or all switched off) the page says level
    reminders are off."""
    CodeItem.objects.of("customer_level").update(reminder_days=None)
    html = manager_client().get(reverse("followup:reminder_days")).content.decode()
    assert 'id="level-reminders-off"' in html
    assert "Level reminders are off: no customer level has days." in html
