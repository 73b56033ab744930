"""A new account chooses its own password at first login (ACC-06, ACC-09, PERS-04)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def console(client, admin_account, signed_in):
    return signed_in(client, admin_account)


def test_an_account_created_as_the_form_comes_must_change_its_password_at_first_login(console):
    """ACC-09, ACC-06: [New account] comes with [must change password] ticked; the new account's first
    login goes to the change-password page, and no other page opens until it has chosen one."""
    page = console.get(reverse("console:account_create")).content.decode()
    box = re.search(r'<input type="checkbox"[^>]*name="must_change_password"[^>]*>', page).group(0)
    data = {"username": "wangwei", "employee_name": "王伟", "employee_code": "", "is_active": "on",
            "template": EMPLOYEE_TEMPLATE, "password1": "Harbour-Lights-42", "password2": "Harbour-Lights-42"}
    if " checked" in box:  # what the browser sends for a ticked box
        data["must_change_password"] = "on"
    assert console.post(reverse("console:account_create"), data).status_code == 302
    assert Account.objects.get(username="wangwei").must_change_password

    newcomer = Client()
    login = newcomer.post(reverse("accounts:login"), {"username": "wangwei", "password": "Harbour-Lights-42"})
    assert login.status_code == 302
    assert newcomer.get(login.url).url == reverse("accounts:password_change")
    assert newcomer.get(reverse("workbench")).url == reverse("accounts:password_change")

    changed = newcomer.post(reverse("accounts:password_change"), {
        "old_password": "Harbour-Lights-42", "new_password1": "Quiet-River-77", "new_password2": "Quiet-River-77"})
    assert changed.status_code == 302
    assert not Account.objects.get(username="wangwei").must_change_password
    assert newcomer.get(reverse("workbench")).status_code == 200


def test_the_administrator_may_untick_it(console):
    """ACC-09: a cleared box is the administrator's choice and is kept."""
    console.post(reverse("console:account_create"), {
        "username": "temp", "is_active": "on", "template": "", "employee_code": "",
        "password1": "Harbour-Lights-42", "password2": "Harbour-Lights-42"})
    assert Account.objects.get(username="temp").must_change_password is False
