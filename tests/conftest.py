import datetime
import os

import pytest
from django.utils import timezone

from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account, OnlineSession
from tradeport.system.presets import load_all

pytest_plugins = ["mailserver.plugin", "clock"]

# Playwright's sync API runs an event loop in the test thread; the ORM calls
# made by fixtures around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (real concurrent transactions) are deselected on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    keep, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("postgres_only") else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def days_from_today(days: int) -> str:
    """A date `days` after today in Tradeport's calendar, as a date field is posted: never goes stale."""
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def moment_from_now(**delta) -> str:
    """A local moment `delta` from now, as a datetime-local field is posted (e.g. hours=-2)."""
    return timezone.localtime(timezone.now() + datetime.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def presets(db):
    """The preset templates, accounts, departments, employees and codes of a new installation."""
    load_all(only=("accounts", "departments", "codes"))


@pytest.fixture
def region_presets(db):
    """The preset region tree (about 800 regions; takes a second or two)."""
    load_all(only=("regions",))


def make_account(username: str, *, template: str | None = None, password: str = "Sesame-2026",
                 **fields) -> Account:
    from tradeport.accounts.services import template_reset

    account = Account(username=username, **fields)
    account.set_password(password)
    account.save()
    if template:
        account.groups.add(template_reset(template))
    return account


@pytest.fixture
def admin_account(db):
    return make_account("admin", is_superuser=True, is_staff=True, employee_name="系统管理员")


@pytest.fixture
def manager(db):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


@pytest.fixture
def salesperson(db):
    return make_account("lily", template=EMPLOYEE_TEMPLATE, employee_name="李丽")


@pytest.fixture
def outsider(db):
    """An enabled account with no function or management permission."""
    return make_account("nobody", employee_name="无权限")


def sign_in(client, account: Account):
    """Log the test client in with a seat, as a real login would leave it."""
    client.force_login(account)
    now = timezone.now()
    OnlineSession.objects.update_or_create(
        account=account,
        defaults={"session_key": client.session.session_key, "takes_seat": not account.is_superuser,
                  "ip_address": "127.0.0.1", "logged_in_at": now, "last_seen_at": now},
    )
    return client


@pytest.fixture
def signed_in():
    return sign_in


@pytest.fixture
def roles(admin_account, manager, salesperson, outsider):
    """The accounts check_matrix() signs in as, by role name."""
    return {"anonymous": None, "outsider": outsider, "salesperson": salesperson,
            "manager": manager, "admin": admin_account}
