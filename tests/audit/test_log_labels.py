"""The operation log in its reader's words (ADM-09, GEN-05): modules, objects, fields and values shown
with the labels of the pages, in Chinese or English; what the code no longer knows shows as stored."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from tradeport.audit.models import OperationLogEntry

pytestmark = pytest.mark.django_db


def page(admin_account, language: str, **params) -> str:
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE=language), admin_account)
    return client.get(reverse("console:operation_log"), params).content.decode()


@pytest.fixture
def account_change(admin_account):
    """A logged change of the fields the new user saw raw: is_superuser, date_joined, page_size."""
    account = make_account("wangwei", employee_name="王伟")
    account.is_superuser = True
    account.date_joined = timezone.now() - timezone.timedelta(days=3)
    account.page_size = 50
    account.save()
    return OperationLogEntry.objects.get(object_type="accounts.account", object_id=str(account.pk), action="update")


def test_account_changes_show_field_and_module_labels_in_chinese(admin_account, account_change):
    """ADM-09: 账号 module, 系统管理员 / 账号创建时间 / 列表每页行数, 是/否 instead of True/False."""
    html = page(admin_account, "zh-hans", module="accounts")
    for raw in ("is_superuser:", "date_joined:", "page_size:", ">accounts<", "accounts.account", "True", "False"):
        assert raw not in html, raw
    assert "系统管理员:</dt>" in html
    assert "账号创建时间:</dt>" in html
    assert "否 → 是" in html
    assert "25 → 50" in html
    assert ">账号</td>" in html


def test_account_changes_show_field_and_module_labels_in_english(admin_account, account_change):
    """ADM-09: the same row for an English reader."""
    html = page(admin_account, "en", module="accounts")
    assert "System administrator:</dt>" in html
    assert "Account created:</dt>" in html
    assert "List page size:</dt>" in html
    assert "No → Yes" in html
    assert ">Accounts</td>" in html
    assert "is_superuser" not in html


def test_grants_show_the_permission_names(admin_account):
    """ADM-09, PERM-02: a grant lists the functions by name, not by code."""
    OperationLogEntry.objects.create(module="accounts", action="grant", object_type="accounts.account",
                                     object_id="7", object_repr="lily (李丽)", username="admin",
                                     changes={"functions": ["fn_departments"], "template": ["manager"]})
    html = page(admin_account, "zh-hans")
    assert "fn_departments" not in html
    assert "部门" in html
    assert "经理模板" in html


def test_the_module_filter_offers_the_module_names(admin_account, account_change):
    """ADM-09: the module filter keeps the stored value and shows the app's name."""
    html = page(admin_account, "zh-hans")
    assert '<option value="accounts"' in html
    assert ">账号</option>" in html


def test_a_field_or_model_that_is_gone_shows_as_stored(admin_account):
    """ADM-09: old rows about code that has changed still read."""
    OperationLogEntry.objects.create(module="retired", action="update", object_type="retired.thing",
                                     object_id="1", object_repr="thing", username="admin",
                                     changes={"old_field": [1, 2]})
    OperationLogEntry.objects.create(module="accounts", action="update", object_type="accounts.account",
                                     object_id="1", object_repr="someone", username="admin",
                                     changes={"dropped_field": ["a", "b"]})
    html = page(admin_account, "en")
    assert "old_field:</dt>" in html
    assert "dropped_field:</dt>" in html
    assert "retired" in html
