"""System, operation and archive logs (ADM-08..10, GEN-05)."""

import csv
import datetime
import io
import json
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.accounts.services import template_reset
from tradeport.audit.models import ArchiveLogEntry, OperationLogEntry, SystemLogEntry
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
Action = OperationLogEntry.Action


def new_employee(code: str, name: str, **fields) -> Employee:
    """An employee row; gives it a department when the model requires one."""
    model_fields = {f.name: f for f in Employee._meta.concrete_fields}
    department = model_fields.get("department")
    if department is not None and not department.null and "department" not in fields:
        fields["department"], _ = department.related_model.objects.get_or_create(
            code="T01", defaults={"name": "测试部"})
    return Employee.objects.create(code=code, name=name, **fields)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def console(client, admin_account, signed_in):
    template_reset(MANAGER_TEMPLATE)
    template_reset(EMPLOYEE_TEMPLATE)
    return signed_in(client, admin_account)


# The entries' calendar: day 1 is 60 days ago, so "day 31" is still in the past.
DAY_ONE = timezone.localdate() - datetime.timedelta(days=60)


def day(n: int) -> str:
    """Day n of the entries' calendar, as the date filters take it."""
    return (DAY_ONE + datetime.timedelta(days=n - 1)).isoformat()


def at(n: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(DAY_ONE + datetime.timedelta(days=n - 1), datetime.time(hour), SHANGHAI)


def account_data(**overrides) -> dict:
    data = {
        "username": "wangwei", "employee_name": "王伟", "employee_code": "0100", "is_active": "on",
        "mobile": "", "notify_email": "", "remarks": "", "template": EMPLOYEE_TEMPLATE,
        "password1": "Harbour-Lights-42", "password2": "Harbour-Lights-42",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def account_rows(account_pk, action=None):
    rows = OperationLogEntry.objects.filter(object_type="accounts.account", object_id=str(account_pk))
    return rows.filter(action=action) if action else rows


def shown(response) -> list[int]:
    """The pks of the rows on the page, in page order."""
    return [e.pk for e in response.context["listing"].page]


# GEN-05, ADM-09: account operations are logged ----------------------------------------------

def test_creating_an_account_logs_its_values_without_the_password(console, admin_account):
    """GEN-05, ADM-09: [New account] writes a 'create' row with the values; the password shows as ******."""
    console.post(reverse("console:account_create"), account_data())
    account = Account.objects.get(username="wangwei")
    row = account_rows(account.pk, Action.CREATE).get()
    assert (row.username, row.account, row.module, row.ip_address) == ("admin", admin_account, "accounts", "127.0.0.1")
    assert row.object_repr == "wangwei (王伟)"
    assert row.changes["username"] == [None, "wangwei"]
    assert row.changes["employee_name"] == [None, "王伟"]
    assert row.changes["employee_code"] == [None, "0100"]
    assert row.changes["password"] == [None, "******"]
    text = json.dumps(list(OperationLogEntry.objects.values_list("changes", flat=True)), ensure_ascii=False)
    assert "Harbour-Lights-42" not in text
    assert account.password not in text
    # The template given on the form is logged as a grant.
    assert account_rows(account.pk, Action.GRANT).filter(changes={"template": [EMPLOYEE_TEMPLATE]}).exists()


def test_modifying_an_account_logs_before_and_after(console):
    """GEN-05, ADM-09: [Modify] writes an 'update' row with only the changed fields, before and after."""
    account = make_account("wangwei", employee_name="王伟", template=EMPLOYEE_TEMPLATE)
    console.post(reverse("console:account_update", args=[account.pk]), account_data(
        employee_name="王伟伟", mobile="13800000000", password1="", password2=""))
    row = account_rows(account.pk, Action.UPDATE).get()
    assert row.username == "admin"
    assert row.changes["employee_name"] == ["王伟", "王伟伟"]
    assert row.changes["mobile"] == ["", "13800000000"]
    assert "password" not in row.changes
    assert "remarks" not in row.changes
    assert "last_login" not in row.changes


def test_changing_a_password_in_the_console_is_logged_without_its_value(console):
    """GEN-05, ADM-09: a new password is recorded as changed, shown only as ******."""
    account = make_account("wangwei", employee_name="王伟", employee_code="0100", template=EMPLOYEE_TEMPLATE)
    old_hash = account.password
    console.post(reverse("console:account_update", args=[account.pk]), account_data(
        password1="Tea-Garden-88", password2="Tea-Garden-88"))
    account.refresh_from_db()
    assert account.check_password("Tea-Garden-88")
    rows = account_rows(account.pk, Action.UPDATE)
    assert rows.exists(), "the password change left no trace in the operation log"
    row = rows.get()
    assert "password" in row.changes
    assert set(row.changes["password"]) == {"******"}
    text = json.dumps(row.changes)
    assert old_hash not in text
    assert account.password not in text
    assert "Tea-Garden-88" not in text


def test_deleting_an_account_logs_its_last_values(console):
    """GEN-05, ADM-09: deleting a never-used account writes a 'delete' row with the values it had."""
    account = make_account("temp", employee_name="临时工", employee_code="0400")
    pk = account.pk
    console.post(reverse("console:account_delete", args=[pk]))
    assert not Account.objects.filter(pk=pk).exists()
    row = account_rows(pk, Action.DELETE).get()
    assert row.username == "admin"
    assert row.changes["username"] == ["temp", None]
    assert row.changes["employee_name"] == ["临时工", None]
    assert row.changes["password"] == ["******", None]


def test_disabling_an_account_with_history_is_logged_as_a_modification(console, salesperson):
    """GEN-05, ACC-11: the delete that becomes a disable is logged as is_active True → False."""
    SystemLogEntry.objects.create(event="login", username="lily", account=salesperson)
    console.post(reverse("console:account_delete", args=[salesperson.pk]))
    row = account_rows(salesperson.pk, Action.UPDATE).get()
    assert row.changes["is_active"] == [True, False]


def test_changes_made_outside_a_request_are_attributed_to_the_system(db):
    """GEN-05: rows written by jobs and commands name the actor 'system'."""
    account = make_account("cron")
    row = account_rows(account.pk, Action.CREATE).get()
    assert (row.username, row.account, row.ip_address) == ("system", None, None)


def test_employee_changes_are_logged_in_the_org_module(db):
    """GEN-05: employees are tracked too (ORG module)."""
    employee = new_employee("0500", "赵六")
    employee.status = Employee.Status.LEFT
    employee.save()
    rows = OperationLogEntry.objects.filter(object_type="org.employee", object_id=str(employee.pk))
    assert set(rows.values_list("module", flat=True)) == {"org"}
    assert rows.get(action=Action.UPDATE).changes["status"] == ["active", "left"]


# ADM-09: logs cannot be edited -------------------------------------------------------------------

@pytest.mark.parametrize("model", [SystemLogEntry, OperationLogEntry, ArchiveLogEntry])
def test_log_entries_cannot_be_changed_or_deleted(model):
    """ADM-09: no one can edit the log: changing or deleting an entry raises PermissionDenied."""
    fields = {
        SystemLogEntry: {"event": "login", "username": "lily"},
        OperationLogEntry: {"module": "accounts", "action": "create", "object_type": "x", "username": "admin"},
        ArchiveLogEntry: {"operator": "scheduled", "scope": "全部邮件", "result": "success"},
    }[model]
    entry = model.objects.create(**fields)
    changed = model.objects.get(pk=entry.pk)
    for name in ("username", "operator"):
        if hasattr(changed, name):
            setattr(changed, name, "someone-else")
    with pytest.raises(PermissionDenied):
        changed.save()
    with pytest.raises(PermissionDenied):
        entry.delete()
    stored = model.objects.get(pk=entry.pk)
    assert all(getattr(stored, k) == v for k, v in fields.items())


def test_deleting_an_account_keeps_its_log_entries(db):
    """ACC-11, ADM-08: log rows outlive the account they name."""
    account = make_account("shortlived")
    entry = SystemLogEntry.objects.create(event="failed", username="shortlived")
    account.delete()
    assert SystemLogEntry.objects.filter(pk=entry.pk).exists()


# ADM-08: system log ----------------------------------------------------------------------------

@pytest.fixture
def system_entries(db):
    make = SystemLogEntry.objects.create
    return {
        "early": make(event="login", username="lily", created_at=at(1), ip_address="10.0.0.1", user_agent="Firefox"),
        "middle": make(event="failed", username="mike", created_at=at(5), reason="wrong username or password",
                       ip_address="10.0.0.2", user_agent="Chrome"),
        "late_night": make(event="logout", username="lily", created_at=at(6, 23), ip_address="10.0.0.1"),
        "late": make(event="refused", username="mike", created_at=at(10), reason="network: 203.0.113.9",
                     ip_address="203.0.113.9"),
    }


def test_system_log_lists_every_entry_newest_first(console, system_entries):
    """ADM-08: account, event, time, IP address, browser and reason of every entry."""
    response = console.get(reverse("console:system_log"))
    assert response.status_code == 200
    e = system_entries
    assert shown(response) == [e["late"].pk, e["late_night"].pk, e["middle"].pk, e["early"].pk]
    html = response.content.decode()
    assert "203.0.113.9" in html
    assert "Firefox" in html
    assert "Login refused" in html


def test_system_log_filters_by_date_range(console, system_entries):
    """ADM-08: from/to are whole local days, both ends included."""
    e = system_entries
    response = console.get(reverse("console:system_log"), {"from": day(5), "to": day(6)})
    assert shown(response) == [e["late_night"].pk, e["middle"].pk]
    response = console.get(reverse("console:system_log"), {"from": day(6)})
    assert shown(response) == [e["late"].pk, e["late_night"].pk]
    response = console.get(reverse("console:system_log"), {"to": day(1)})
    assert shown(response) == [e["early"].pk]


def test_system_log_filters_by_account_and_event(console, system_entries):
    """ADM-08: filter by account and by event."""
    e = system_entries
    response = console.get(reverse("console:system_log"), {"account": "lily"})
    assert shown(response) == [e["late_night"].pk, e["early"].pk]
    response = console.get(reverse("console:system_log"), {"event": "failed"})
    assert shown(response) == [e["middle"].pk]
    response = console.get(reverse("console:system_log"), {"account": "mike", "event": "refused"})
    assert shown(response) == [e["late"].pk]
    response = console.get(reverse("console:system_log"), {"event": "no-such-event"})
    assert len(shown(response)) == 4


def test_system_log_search_covers_reason_and_browser(console, system_entries):
    """ADM-08: the search box looks in account, reason and browser."""
    e = system_entries
    assert shown(console.get(reverse("console:system_log"), {"q": "network"})) == [e["late"].pk]
    assert shown(console.get(reverse("console:system_log"), {"q": "chrome"})) == [e["middle"].pk]


def test_system_log_ignores_malformed_dates(console, system_entries):
    """ADM-08: a date that is not a date filters nothing instead of failing."""
    response = console.get(reverse("console:system_log"), {"from": "yesterday", "to": "2026-02-30"})
    assert response.status_code == 200
    assert len(shown(response)) == 4


def test_system_log_paginates(console):
    """ADM-08: 30 entries show 25 on the first page and 5 on the second."""
    for n in range(30):
        SystemLogEntry.objects.create(event="login", username=f"user{n}")
    first = console.get(reverse("console:system_log"))
    second = console.get(reverse("console:system_log"), {"page": 2})
    assert len(shown(first)) == 25
    assert len(shown(second)) == 5
    assert not set(shown(first)) & set(shown(second))


def test_system_log_records_real_logins(console, salesperson):
    """ADM-08, ACC-02: a real login attempt appears in the system log page."""
    Client().post(reverse("accounts:login"), {"username": "lily", "password": "nope"},
                  REMOTE_ADDR="10.3.3.3", HTTP_USER_AGENT="Opera/1")
    response = console.get(reverse("console:system_log"), {"account": "lily", "event": "failed"})
    assert len(shown(response)) == 1
    assert "10.3.3.3" in response.content.decode()


# ADM-09: operation log -----------------------------------------------------------------------

@pytest.fixture
def operations(db):
    make = OperationLogEntry.objects.create
    return {
        "grant": make(created_at=at(2), username="admin", module="accounts", action="grant",
                      object_type="accounts.account", object_id="7", object_repr="lily (李丽)",
                      changes={"functions": ["fn_departments"]}),
        "org": make(created_at=at(4), username="boss", module="org", action="create",
                    object_type="org.employee", object_id="3", object_repr="0003 张三",
                    changes={"name": [None, "张三"]}),
        "option": make(created_at=at(8), username="admin", module="system", action="update",
                       object_type="system.systemoption", object_id="1", object_repr="idle_timeout_minutes",
                       changes={"value": [30, 45]}),
    }


def test_operation_log_shows_changes_before_and_after(console, operations):
    """ADM-09: time, account, module, action, object and the summary of changes."""
    response = console.get(reverse("console:operation_log"), {"module": "system"})
    assert shown(response) == [operations["option"].pk]
    html = response.content.decode()
    assert "idle_timeout_minutes" in html
    assert "30 → 45" in html


def test_operation_log_filters_by_module_account_action_and_date(console, operations):
    """ADM-09: filters: account, date, module (and action)."""
    o = operations
    url = reverse("console:operation_log")
    assert shown(console.get(url, {"module": "org"})) == [o["org"].pk]
    assert shown(console.get(url, {"account": "boss"})) == [o["org"].pk]
    assert shown(console.get(url, {"action": "grant"})) == [o["grant"].pk]
    assert shown(console.get(url, {"from": day(1), "to": day(4)})) == [o["org"].pk, o["grant"].pk]
    assert shown(console.get(url, {"account": "admin", "from": day(5), "to": day(31)})) == [o["option"].pk]


def test_operation_log_search_matches_the_object(console, operations):
    """ADM-09: the search box finds rows by object name (Chinese included)."""
    response = console.get(reverse("console:operation_log"), {"q": "张三"})
    assert shown(response) == [operations["org"].pk]


def test_operation_log_module_filter_offers_the_modules_in_the_log(console, operations):
    """ADM-09: the module filter lists the modules that occur."""
    response = console.get(reverse("console:operation_log"))
    modules = next(f for f in response.context["choice_filters"] if f["name"] == "module")
    assert {value for value, _text, _selected in modules["options"]} >= {"accounts", "org", "system"}


def test_operation_log_paginates(console):
    """ADM-09: the operation log is paginated."""
    for n in range(27):
        OperationLogEntry.objects.create(module="bulk", action="create", object_type="x", object_id=str(n),
                                         username="admin")
    first = console.get(reverse("console:operation_log"), {"module": "bulk"})
    second = console.get(reverse("console:operation_log"), {"module": "bulk", "page": 2})
    assert len(shown(first)) == 25
    assert len(shown(second)) == 2


def csv_rows(response) -> tuple[bytes, list[list[str]]]:
    raw = b"".join(response.streaming_content)
    return raw, list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_operation_log_csv_export_keeps_chinese_for_excel(console, operations):
    """ADM-09: CSV export is text/csv, starts with a UTF-8 BOM, and keeps Chinese text intact."""
    response = console.get(reverse("console:operation_log_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    raw, rows = csv_rows(response)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert rows[0][:5] == ["Time", "Account", "IP address", "Module", "Action"]
    by_object = {r[7]: r for r in rows[1:]}
    assert by_object["0003 张三"][1] == "boss"
    assert "张三" in by_object["0003 张三"][8]
    assert by_object["idle_timeout_minutes"][8] == "value: 30 → 45"
    assert by_object["lily (李丽)"][4] == "Grant"


def test_operation_log_csv_follows_the_filters(console, operations):
    """ADM-09: the export contains the rows the filters select, and only those."""
    _raw, rows = csv_rows(console.get(reverse("console:operation_log_csv"), {"module": "org"}))
    assert [r[7] for r in rows[1:]] == ["0003 张三"]
    _raw, rows = csv_rows(console.get(reverse("console:operation_log_csv"), {"q": "李丽"}))
    assert [r[7] for r in rows[1:]] == ["lily (李丽)"]


def test_operation_log_csv_of_console_work_never_shows_a_password(console):
    """ADM-09: the export of account changes shows ****** and never the password or its hash."""
    console.post(reverse("console:account_create"), account_data())
    _raw, rows = csv_rows(console.get(reverse("console:operation_log_csv"), {"module": "accounts"}))
    text = "\n".join(",".join(r) for r in rows)
    assert "王伟" in text
    assert "******" in text
    assert "Harbour-Lights-42" not in text
    assert Account.objects.get(username="wangwei").password not in text


# ADM-10: archive log ----------------------------------------------------------------------------

def test_archive_log_renders_entries_and_filters_by_result(console):
    """ADM-10: time, operator or 'scheduled', scope, location, size and result."""
    ok = ArchiveLogEntry.objects.create(created_at=at(3), operator="scheduled", scope="客户数据导出",
                                        location="/srv/archive/customers-2026-03.zip", size_bytes=2 * 1024 * 1024,
                                        result="success")
    bad = ArchiveLogEntry.objects.create(created_at=at(4), operator="admin", scope="邮件归档", result="failure",
                                         detail="磁盘已满")
    response = console.get(reverse("console:archive_log"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("客户数据导出", "/srv/archive/customers-2026-03.zip", "2.0\xa0MB", "scheduled", "磁盘已满", "Failed"):
        assert text in html
    assert shown(console.get(reverse("console:archive_log"), {"result": "failure"})) == [bad.pk]
    assert shown(console.get(reverse("console:archive_log"), {"account": "scheduled"})) == [ok.pk]
    assert shown(console.get(reverse("console:archive_log"), {"q": "customers"})) == [ok.pk]
