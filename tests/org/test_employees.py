"""Employees (ORG-06..14): list, fields, flags, codes, "left", delete, log and permissions."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account
from matrix import check_matrix
from org.referrer import refer_to
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.accounts.models import OnlineSession
from tradeport.audit.models import OperationLogEntry, SystemLogEntry
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def trade(make_department):
    return make_department("01", "外贸部")


@pytest.fixture
def staff(trade, make_department, make_employee):
    """外贸部 with a sub-department 外贸一部 and a separate 开发部, staffed."""
    team = make_department("0101", "外贸一部", trade)
    develop = make_department("02", "开发部")
    people = {
        "zhang": make_employee("E001", "张伟", trade, name_en="Wei Zhang", mobile="13900000001",
                               is_salesperson=True),
        "li": make_employee("E002", "李娜", team, name_en="Na Li", mobile="13900000002",
                            email="lina@example.com", is_salesperson=True),
        "wang": make_employee("E003", "王芳", develop, mobile="13900000003"),
        "zhao": make_employee("E004", "赵强", team, status=Employee.Status.LEFT, is_salesperson=True),
    }
    return {"trade": trade, "team": team, "develop": develop, **people}


def employee_data(department, **overrides) -> dict:
    data = {
        "code": "E100", "name": "王伟", "name_en": "Wei Wang", "department": department.pk,
        "is_salesperson": "on", "is_doc_clerk": "on", "is_merchandiser": "on", "status": "active",
        "gender": "m", "position": "外贸经理", "phone": "0571-88000000", "mobile": "13800000000",
        "email": "wangwei@example.com", "date_joined": "2024-03-01", "date_left": "",
        "remarks": "负责欧洲市场",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def listed(response) -> list[str]:
    return [e.code for e in response.context["listing"].page]


# Permission matrix (GEN-01) ---------------------------------------------------------

@pytest.mark.parametrize("name", ["employee_list", "employee_create", "employee_update", "employee_delete"])
def test_every_employee_page_needs_the_employees_function(roles, trade, make_employee, name):
    """ORG-06..11, GEN-01: employee pages need fn_employees; salespeople and outsiders get 403."""
    employee = make_employee("E001", "张伟", trade)
    args = [employee.pk] if name in ("employee_update", "employee_delete") else []
    check_matrix(reverse(f"org:{name}", args=args), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_a_refused_employee_post_changes_nothing(client, salesperson, signed_in, trade):
    """GEN-01, ORG-07: a salesperson's direct POST to add an employee is refused and stores nothing."""
    signed_in(client, salesperson)
    assert client.post(reverse("org:employee_create"), employee_data(trade)).status_code == 403
    assert not Employee.objects.exists()


# The list (ORG-06, ORG-12, ORG-13) ----------------------------------------------------

def test_employees_are_listed_by_department_including_sub_departments(manager_client, staff):
    """ORG-06: clicking a department lists its active employees and those of its sub-departments."""
    url = reverse("org:employee_list")
    assert listed(manager_client.get(url, {"department": staff["trade"].pk})) == ["E001", "E002"]
    assert listed(manager_client.get(url, {"department": staff["team"].pk})) == ["E002"]
    assert listed(manager_client.get(url, {"department": staff["develop"].pk})) == ["E003"]
    assert listed(manager_client.get(url)) == ["E001", "E002", "E003"]


def test_employee_list_shows_the_department_tree_and_roles(manager_client, staff):
    """ORG-06, ORG-09: the page has the department tree on the left and shows each employee's role flags."""
    response = manager_client.get(reverse("org:employee_list"), {"department": staff["trade"].pk})
    html = response.content.decode()
    assert [d.code for d in response.context["departments"]] == ["01", "0101", "02"]
    assert "Employees · 外贸部" in html
    assert 'data-employee="E002"' in html
    assert '<span class="badge text-bg-light">salesperson</span>' in html
    assert f'{reverse("org:employee_create")}?department={staff["trade"].pk}' in html


def test_active_left_and_all_filter(manager_client, staff):
    """ORG-13: active by default; "left" shows only those who left; "all" shows both."""
    url = reverse("org:employee_list")
    assert listed(manager_client.get(url)) == ["E001", "E002", "E003"]
    assert listed(manager_client.get(url, {"status": "active"})) == ["E001", "E002", "E003"]
    assert listed(manager_client.get(url, {"status": "left"})) == ["E004"]
    assert listed(manager_client.get(url, {"status": "all"})) == ["E001", "E002", "E003", "E004"]
    response = manager_client.get(url, {"status": "left", "department": staff["trade"].pk})
    assert listed(response) == ["E004"]
    assert "Left" in response.content.decode()


@pytest.mark.parametrize(("query", "expected"), [
    ("E002", ["E002"]),         # code
    ("e00", ["E001", "E002", "E003"]),  # code, case-insensitive
    ("王芳", ["E003"]),          # Chinese name
    ("zhang", ["E001"]),        # English name
    ("13900000002", ["E002"]),  # mobile
    ("lina@", ["E002"]),        # email
    ("nobody", []),
])
def test_quick_search_by_code_name_or_mobile(manager_client, staff, query, expected):
    """ORG-12: quick search over code, name, English name, mobile and email."""
    assert listed(manager_client.get(reverse("org:employee_list"), {"q": query})) == expected


def test_quick_search_combines_with_the_department_and_status(manager_client, staff):
    """ORG-12, ORG-13: the search narrows the chosen department and status, not the whole company."""
    url = reverse("org:employee_list")
    assert listed(manager_client.get(url, {"q": "139", "department": staff["team"].pk})) == ["E002"]
    assert listed(manager_client.get(url, {"q": "赵", "status": "all"})) == ["E004"]
    assert listed(manager_client.get(url, {"q": "赵"})) == []


def test_employee_list_sorts_by_column(manager_client, staff):
    """ORG-06: the columns sort both ways; an unknown sort key falls back to the code."""
    url = reverse("org:employee_list")
    assert listed(manager_client.get(url, {"sort": "-code"})) == ["E003", "E002", "E001"]
    by_department = listed(manager_client.get(url, {"sort": "department"}))
    assert by_department.index("E002") < by_department.index("E001")  # 外贸一部 < 外贸部 by name
    assert listed(manager_client.get(url, {"sort": "name"})) == sorted(
        ["E001", "E002", "E003"], key=lambda c: Employee.objects.get(code=c).name)
    assert listed(manager_client.get(url, {"sort": "mobile; drop"})) == ["E001", "E002", "E003"]


def test_employee_list_paginates_by_the_account_page_size(manager_client, manager, trade, make_employee):
    """ORG-06: long lists are paged by the user's page size."""
    manager.page_size = 10
    manager.save(update_fields=["page_size"])
    for n in range(23):
        make_employee(f"P{n:03d}", f"员工{n}", trade)
    url = reverse("org:employee_list")
    first = manager_client.get(url)
    assert listed(first) == [f"P{n:03d}" for n in range(10)]
    assert first.context["listing"].page.paginator.num_pages == 3
    assert listed(manager_client.get(url, {"page": 3})) == ["P020", "P021", "P022"]
    assert "Page 1 of 3" in first.content.decode()


def test_htmx_search_returns_only_the_table(manager_client, staff):
    """ORG-12: the live search swaps the table only, not the whole page."""
    response = manager_client.get(reverse("org:employee_list"), {"q": "李"},
                                  HTTP_HX_REQUEST="true", HTTP_HX_TARGET="employee-table")
    html = response.content.decode()
    assert 'data-employee="E002"' in html
    assert 'data-employee="E001"' not in html
    assert "<html" not in html
    assert 'role="tree"' not in html


def test_employee_list_renders_chinese(client, presets, manager, signed_in):
    """ORG-06: a Chinese browser sees the preset department and employees in Chinese."""
    signed_in(client, manager)
    html = client.get(reverse("org:employee_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "外贸部" in html
    assert "业务员1" in html
    assert "员工设置" in html


# Add and modify (ORG-07..10) ---------------------------------------------------------

def test_add_employee_with_every_field_and_flag(manager_client, trade):
    """ORG-07, ORG-08, ORG-09: every field of the form and all three role flags are stored."""
    form = manager_client.get(reverse("org:employee_create") + f"?department={trade.pk}").context["form"]
    assert form["department"].value() == trade.pk
    response = manager_client.post(reverse("org:employee_create"), employee_data(trade), follow=True)
    assert response.redirect_chain[-1][0] == f"{reverse('org:employee_list')}?department={trade.pk}"
    assert "Employee 王伟 saved." in response.content.decode()
    employee = Employee.objects.get(code="E100")
    assert {
        "name": employee.name, "name_en": employee.name_en, "department": employee.department,
        "status": employee.status, "gender": employee.gender, "position": employee.position,
        "phone": employee.phone, "mobile": employee.mobile, "email": employee.email,
        "date_joined": employee.date_joined, "date_left": employee.date_left, "remarks": employee.remarks,
    } == {
        "name": "王伟", "name_en": "Wei Wang", "department": trade, "status": "active", "gender": "m",
        "position": "外贸经理", "phone": "0571-88000000", "mobile": "13800000000",
        "email": "wangwei@example.com", "date_joined": datetime.date(2024, 3, 1), "date_left": None,
        "remarks": "负责欧洲市场",
    }
    assert (employee.is_salesperson, employee.is_doc_clerk, employee.is_merchandiser) == (True, True, True)
    assert employee.roles == ["salesperson", "documentation clerk", "merchandiser"]
    assert 'data-employee="E100"' in response.content.decode()


def test_employee_form_requires_code_name_and_department(manager_client):
    """ORG-08: employee code, name and department are required."""
    response = manager_client.post(reverse("org:employee_create"), {"status": "active"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {"code", "name", "department"}
    assert not Employee.objects.exists()


def test_role_flags_default_off_and_can_be_set_one_by_one(manager_client, trade):
    """ORG-09: the flags are independent: a documentation clerk and merchandiser need not sell."""
    data = employee_data(trade, is_salesperson=None)
    manager_client.post(reverse("org:employee_create"), data)
    employee = Employee.objects.get(code="E100")
    assert (employee.is_salesperson, employee.is_doc_clerk, employee.is_merchandiser) == (False, True, True)
    assert employee not in Employee.objects.salespeople()


def test_duplicate_employee_code_gives_a_clear_error(manager_client, trade, make_employee):
    """ORG-08: employee codes are unique; a clash says so on the code field."""
    make_employee("E100", "王伟", trade)
    response = manager_client.post(reverse("org:employee_create"), employee_data(trade, name="另一个王伟"))
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Another employee already has this code."]
    assert "Another employee already has this code." in response.content.decode()
    assert Employee.objects.filter(code="E100").count() == 1


def test_changing_a_code_to_one_in_use_is_refused(manager_client, trade, make_employee):
    """ORG-08, ORG-10: modifying an employee onto another's code gives the same clear error."""
    make_employee("E100", "王伟", trade)
    other = make_employee("E200", "李娜", trade)
    response = manager_client.post(reverse("org:employee_update", args=[other.pk]),
                                   employee_data(trade, name="李娜"))
    assert response.context["form"].errors["code"] == ["Another employee already has this code."]
    other.refresh_from_db()
    assert other.code == "E200"


def test_date_left_before_date_joined_is_refused(manager_client, trade):
    """ORG-08: the date left cannot be before the date joined."""
    response = manager_client.post(reverse("org:employee_create"), employee_data(
        trade, status="left", date_joined="2024-03-01", date_left="2024-02-28"))
    assert response.status_code == 200
    assert response.context["form"].errors["date_left"] == ["The date left cannot be before the date joined."]
    assert not Employee.objects.exists()


def test_modify_employee_changes_department_and_flags(manager_client, staff):
    """ORG-10: [Modify] opens the filled-in form; [Save] stores the changes."""
    employee = staff["wang"]
    form = manager_client.get(reverse("org:employee_update", args=[employee.pk])).context["form"]
    assert form["code"].value() == "E003"
    response = manager_client.post(reverse("org:employee_update", args=[employee.pk]), employee_data(
        staff["team"], code="E003", name="王芳", is_doc_clerk=None, is_merchandiser=None))
    assert response.status_code == 302
    employee.refresh_from_db()
    assert employee.department == staff["team"]
    assert employee.is_salesperson
    assert employee in Employee.objects.salespeople()


def test_employee_form_shows_the_linked_account(manager_client, trade, make_employee):
    """ORG-08, ACC-12: the employee form says which account has this employee code as its number."""
    linked = make_employee("E100", "王伟", trade)
    unlinked = make_employee("E200", "李娜", trade)
    make_account("wangwei", employee_code="E100", employee_name="王伟")
    html = manager_client.get(reverse("org:employee_update", args=[linked.pk])).content.decode()
    assert "Linked to account wangwei." in html
    html = manager_client.get(reverse("org:employee_update", args=[unlinked.pk])).content.decode()
    assert "No account has this employee code as its employee number yet." in html
    assert linked.account.username == "wangwei"
    assert unlinked.account is None


# "Left" (ORG-13, ORG-14) ---------------------------------------------------------------

@pytest.fixture
def linked_account(trade, make_employee):
    """An active salesperson E100 whose account `wangwei` is logged in from its own browser."""
    employee = make_employee("E100", "王伟", trade, is_salesperson=True, date_joined=datetime.date(2024, 3, 1))
    make_account("wangwei", template=EMPLOYEE_TEMPLATE, employee_code="E100", password="Sesame-2026")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = browser.post(reverse("accounts:login"), {"username": "wangwei", "password": "Sesame-2026"})
    assert response.status_code == 302
    assert OnlineSession.objects.filter(account__username="wangwei").exists()
    return employee, browser


def test_marking_an_employee_left_ends_their_login(manager_client, trade, linked_account):
    """ORG-14: saving status "left" sets the date left, ends the account's login and logs why."""
    employee, browser = linked_account
    response = manager_client.post(reverse("org:employee_update", args=[employee.pk]),
                                   employee_data(trade, status="left"), follow=True)
    assert "王伟 is marked as left: their account can no longer log in" in response.content.decode()
    employee.refresh_from_db()
    assert employee.has_left
    assert employee.date_left == timezone.localdate()
    assert not OnlineSession.objects.filter(account__username="wangwei").exists()
    entry = SystemLogEntry.objects.get(event=SystemLogEntry.Event.FORCED_LOGOUT, username="wangwei")
    assert entry.reason == "employee left"
    # The browser that was logged in is sent to the login page on its next request.
    after = browser.get(reverse("workbench"))
    assert after.status_code == 302
    assert after["Location"].startswith(reverse("accounts:login"))


def test_an_employee_who_left_cannot_log_in(manager_client, trade, linked_account):
    """ORG-14, ACC-02: the account of a left employee is refused at login with the reason."""
    employee, _browser = linked_account
    manager_client.post(reverse("org:employee_update", args=[employee.pk]),
                        employee_data(trade, status="left", date_left="2025-06-30"))
    employee.refresh_from_db()
    assert employee.date_left == datetime.date(2025, 6, 30)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("accounts:login"), {"username": "wangwei", "password": "Sesame-2026"})
    assert response.status_code == 403
    assert "The employee linked to this account has left the company." in response.content.decode()
    assert SystemLogEntry.objects.filter(event=SystemLogEntry.Event.REFUSED, username="wangwei",
                                         reason="employee left").exists()


def test_an_employee_back_from_leaving_can_log_in_again(manager_client, trade, linked_account):
    """ORG-13, ORG-14: setting the status back to active clears the date left and allows login."""
    employee, _browser = linked_account
    url = reverse("org:employee_update", args=[employee.pk])
    manager_client.post(url, employee_data(trade, status="left"))
    manager_client.post(url, employee_data(trade, status="active"))
    employee.refresh_from_db()
    assert (employee.status, employee.date_left) == ("active", None)
    response = Client().post(reverse("accounts:login"), {"username": "wangwei", "password": "Sesame-2026"})
    assert response.status_code == 302


def test_leaving_keeps_the_employee_record_and_history(manager_client, trade, linked_account):
    """ORG-14: a left employee stays on file, in the "left" list, with department and operation history."""
    employee, _browser = linked_account
    manager_client.post(reverse("org:employee_update", args=[employee.pk]), employee_data(trade, status="left"))
    assert Employee.objects.filter(pk=employee.pk, department=trade).exists()
    listing = manager_client.get(reverse("org:employee_list"), {"status": "left"})
    assert [e.code for e in listing.context["listing"].page] == ["E100"]
    history = OperationLogEntry.objects.filter(object_type="org.employee", object_id=str(employee.pk))
    assert history.filter(action=OperationLogEntry.Action.CREATE).exists()
    update = history.get(action=OperationLogEntry.Action.UPDATE)
    assert update.changes["status"] == ["active", "left"]
    assert update.changes["date_left"] == [None, timezone.localdate().isoformat()]


def test_left_employees_vanish_from_pickers_and_salespeople(manager_client, staff):
    """ORG-14, GEN-06: a left salesperson is offered by no picker and is not a salesperson any more."""
    assert set(Employee.objects.salespeople()) == {staff["zhang"], staff["li"]}
    assert staff["zhao"] not in Employee.objects.active()
    html = manager_client.get(reverse("org:employee_picker")).content.decode()
    assert "E001" in html
    assert "E004" not in html
    html = manager_client.get(reverse("org:employee_picker"), {"salespeople": "1", "q": "赵"}).content.decode()
    assert "E004" not in html
    # Marking an active salesperson left takes them out as well.
    manager_client.post(reverse("org:employee_update", args=[staff["li"].pk]),
                        employee_data(staff["team"], code="E002", name="李娜", status="left"))
    assert set(Employee.objects.salespeople()) == {staff["zhang"]}
    assert "E002" not in manager_client.get(reverse("org:employee_picker")).content.decode()


# Delete (ORG-11) ------------------------------------------------------------------------

def test_delete_an_unreferenced_employee(manager_client, trade, make_employee):
    """ORG-10, ORG-11: an employee nothing refers to can be deleted after confirmation."""
    employee = make_employee("E100", "王伟", trade)
    confirm = manager_client.get(reverse("org:employee_delete", args=[employee.pk])).content.decode()
    assert "Delete employee 王伟?" in confirm
    assert "To keep an employee&#x27;s history, mark them as left instead." in confirm
    response = manager_client.post(reverse("org:employee_delete", args=[employee.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:employee_list")
    assert "Employee 王伟 deleted." in response.content.decode()
    assert not Employee.objects.exists()
    entry = OperationLogEntry.objects.get(object_type="org.employee", action=OperationLogEntry.Action.DELETE)
    assert entry.changes["code"] == ["E100", None]


def test_delete_of_a_referenced_employee_is_refused(manager_client, trade, make_employee, small_world):
    """ORG-11: while records refer to the employee, delete is refused and "mark as left" is suggested."""
    employee = make_employee("E100", "王伟", trade)
    refer_to(employee=employee, region=small_world["munich"])
    response = manager_client.post(reverse("org:employee_delete", args=[employee.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:employee_update", args=[employee.pk])
    assert ("王伟 cannot be deleted while these refer to them: ownership history (1). "
            "Mark the employee as left instead.") in response.content.decode()
    assert Employee.objects.filter(pk=employee.pk).exists()


# Operation log (GEN-05) -----------------------------------------------------------------

def test_creating_an_employee_is_in_the_operation_log(manager_client, manager, trade):
    """GEN-05, ORG-07: adding an employee writes an "org" create row with the new values."""
    manager_client.post(reverse("org:employee_create"), employee_data(trade))
    employee = Employee.objects.get(code="E100")
    entry = OperationLogEntry.objects.get(object_type="org.employee", object_id=str(employee.pk))
    assert (entry.module, entry.action, entry.username) == ("org", OperationLogEntry.Action.CREATE,
                                                             manager.username)
    assert entry.changes["code"] == [None, "E100"]
    assert entry.changes["name"] == [None, "王伟"]
    assert entry.changes["department"] == [None, trade.pk]
    assert entry.changes["is_salesperson"] == [None, True]
    assert entry.changes["date_joined"] == [None, "2024-03-01"]
