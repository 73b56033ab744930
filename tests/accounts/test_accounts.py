"""Account management in the admin console (ACC-07..12, PERM-14, ADM-06)."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from conftest import make_account
from matrix import check_matrix
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account, OnlineSession
from tradeport.accounts.services import template_reset
from tradeport.audit.models import SystemLogEntry
from tradeport.org.models import Employee
from tradeport.system import console_urls

pytestmark = pytest.mark.django_db


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
    """Messages are checked in English; the interface language follows LANGUAGE_CODE."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def console(client, admin_account, signed_in):
    """A test client logged in as the built-in administrator, with the role templates present."""
    template_reset(MANAGER_TEMPLATE)
    template_reset(EMPLOYEE_TEMPLATE)
    return signed_in(client, admin_account)


def account_data(**overrides) -> dict:
    """A complete, valid POST for the account form."""
    data = {
        "username": "wangwei", "employee_name": "王伟", "employee_code": "", "is_active": "on",
        "mobile": "", "notify_email": "", "remarks": "", "template": EMPLOYEE_TEMPLATE,
        "password1": "Harbour-Lights-42", "password2": "Harbour-Lights-42",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def page_messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ACC-07: the list ---------------------------------------------------------------

def test_account_list_shows_every_account_with_modify_and_delete(console, admin_account, salesperson):
    """ACC-07: the list shows all accounts, a [New account] button, and Modify/Delete per row."""
    response = console.get(reverse("console:account_list"))
    assert response.status_code == 200
    html = response.content.decode()
    listed = {a.username for a in response.context["listing"].page}
    assert listed == {"admin", "lily"}
    assert reverse("console:account_create") in html
    assert reverse("console:account_update", args=[salesperson.pk]) in html
    assert reverse("console:account_delete", args=[salesperson.pk]) in html
    # admin gets no Delete action (ACC-11).
    assert reverse("console:account_delete", args=[admin_account.pk]) not in html


def test_account_list_search_matches_name_number_and_mobile(console):
    """ACC-07: searching filters on login name, employee name, employee number and mobile."""
    make_account("zhangsan", employee_name="张三", employee_code="0101", mobile="13800000001")
    make_account("lisi", employee_name="李四", employee_code="0102", mobile="13900000002")
    make_account("wangwu", employee_name="王五", employee_code="0103")

    def found(query):
        response = console.get(reverse("console:account_list"), {"q": query})
        assert response.status_code == 200
        return {a.username for a in response.context["listing"].page}

    assert found("zhang") == {"zhangsan"}
    assert found("李四") == {"lisi"}
    assert found("0103") == {"wangwu"}
    assert found("13900000002") == {"lisi"}
    assert found("nobody-has-this") == set()


def test_account_list_search_by_htmx_returns_only_the_table(console):
    """ACC-07: live search (htmx) answers with the table partial, not the whole page."""
    make_account("zhangsan", employee_name="张三")
    response = console.get(reverse("console:account_list"), {"q": "zhang"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "zhangsan" in html
    assert "<html" not in html


def test_account_list_sorts_by_the_chosen_column_both_ways(console):
    """ACC-07: ?sort=code sorts by employee number, ?sort=-code reverses it."""
    make_account("c-acct", employee_code="0003")
    make_account("a-acct", employee_code="0001")
    make_account("b-acct", employee_code="0002")

    def order(sort):
        response = console.get(reverse("console:account_list"), {"sort": sort, "q": "-acct"})
        return [a.username for a in response.context["listing"].page]

    assert order("code") == ["a-acct", "b-acct", "c-acct"]
    assert order("-code") == ["c-acct", "b-acct", "a-acct"]
    assert order("username") == ["a-acct", "b-acct", "c-acct"]


def test_account_list_paginates_by_the_admins_page_size(console, admin_account):
    """ACC-07: the list is paginated with the viewer's page size (25 by default)."""
    for n in range(30):
        make_account(f"user{n:02d}")
    first = console.get(reverse("console:account_list"))
    second = console.get(reverse("console:account_list"), {"page": 2})
    assert first.context["listing"].page.paginator.count == 31  # 30 + admin
    assert len(first.context["listing"].page) == 25
    assert len(second.context["listing"].page) == 6
    on_first = {a.pk for a in first.context["listing"].page}
    on_second = {a.pk for a in second.context["listing"].page}
    assert not on_first & on_second
    assert "page=2" in first.content.decode()

    admin_account.page_size = 10
    admin_account.save()
    assert len(console.get(reverse("console:account_list")).context["listing"].page) == 10


# ACC-08, ACC-09: create ------------------------------------------------------------

def test_create_account_stores_fields_template_and_password(console):
    """ACC-08, ACC-09: [New account] with valid data creates the account with its template."""
    response = console.post(reverse("console:account_create"), account_data(
        mobile="13812345678", notify_email="wangwei@example.com", remarks="出口部",
    ))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:account_list")
    account = Account.objects.get(username="wangwei")
    assert (account.employee_name, account.mobile, account.notify_email, account.remarks) == (
        "王伟", "13812345678", "wangwei@example.com", "出口部")
    assert account.is_active
    assert account.check_password("Harbour-Lights-42")
    assert list(account.groups.values_list("name", flat=True)) == [EMPLOYEE_TEMPLATE]
    assert account.has_perm("accounts.fn_customer_new")
    assert not account.is_superuser


def test_new_account_form_asks_for_a_password_change_at_first_login_by_default(console):
    """ACC-09: the new-account form pre-ticks [must change password] and requires a password."""
    response = console.get(reverse("console:account_create"))
    form = response.context["form"]
    assert form.fields["must_change_password"].initial is True
    assert form.fields["password1"].required
    response = console.post(reverse("console:account_create"), account_data(password1="", password2=""))
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not Account.objects.filter(username="wangwei").exists()


@pytest.mark.parametrize(("username", "password", "expected"), [
    ("wangwei", "Ab-1x", "This password is too short. It must contain at least 8 characters."),
    ("wangwei", "73920581", "This password is entirely numeric."),
    ("wangwei2024", "wangwei2024", "The password is too similar to the username."),
])
def test_create_account_shows_password_policy_errors_in_the_form(console, username, password, expected):
    """ACC-09, PERS-04: a password breaking the policy is refused with the reason shown by the field."""
    response = console.post(reverse("console:account_create"),
                            account_data(username=username, password1=password, password2=password))
    assert response.status_code == 200
    assert expected in response.context["form"].errors["password1"]
    assert expected in response.content.decode()
    assert not Account.objects.filter(username=username).exists()


def test_create_account_refuses_two_different_passwords(console):
    """ACC-09: the confirmation must repeat the password."""
    response = console.post(reverse("console:account_create"),
                            account_data(password2="Harbour-Lights-43"))
    assert response.status_code == 200
    assert "The two passwords do not match." in response.context["form"].errors["password2"]
    assert not Account.objects.filter(username="wangwei").exists()


def test_create_account_refuses_a_login_name_already_taken(console, salesperson):
    """ACC-08: the login name is unique."""
    response = console.post(reverse("console:account_create"), account_data(username="lily"))
    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert Account.objects.filter(username="lily").count() == 1


def test_employee_number_is_unique_across_accounts(console):
    """ACC-08: an employee number already on another account is refused with a clear error."""
    make_account("first", employee_code="0007")
    response = console.post(reverse("console:account_create"), account_data(employee_code="0007"))
    assert response.status_code == 200
    assert "Another account already uses this employee number." in response.context["form"].errors["employee_code"]
    assert "Another account already uses this employee number." in response.content.decode()
    assert not Account.objects.filter(username="wangwei").exists()


def test_employee_number_uniqueness_ignores_surrounding_spaces(console):
    """ACC-08: ' 0007 ' is the same employee number as '0007'."""
    make_account("first", employee_code="0007")
    response = console.post(reverse("console:account_create"), account_data(employee_code=" 0007 "))
    assert response.status_code == 200
    assert "employee_code" in response.context["form"].errors


def test_several_accounts_may_leave_the_employee_number_empty(console):
    """ACC-08: the uniqueness of employee numbers does not apply to empty ones."""
    make_account("first", employee_code="")
    response = console.post(reverse("console:account_create"), account_data(employee_code=""))
    assert response.status_code == 302
    assert Account.objects.filter(employee_code="").count() >= 2


# ACC-10: modify ---------------------------------------------------------------------

def test_modify_form_opens_filled_in(console, salesperson):
    """ACC-10: [Modify] opens the same form with the account's values."""
    salesperson.employee_code = "0042"
    salesperson.save()
    response = console.get(reverse("console:account_update", args=[salesperson.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["username"] == "lily"
    assert form.initial["employee_name"] == "李丽"
    assert form.initial["employee_code"] == "0042"
    assert form.fields["template"].initial == EMPLOYEE_TEMPLATE
    assert not form.fields["password1"].required


def test_modify_with_empty_password_keeps_the_password(console, salesperson):
    """ACC-10: saving the form with the password left empty keeps the current password."""
    response = console.post(reverse("console:account_update", args=[salesperson.pk]), account_data(
        username="lily", employee_name="李丽丽", employee_code="0050", password1="", password2="",
    ))
    assert response.status_code == 302
    salesperson.refresh_from_db()
    assert salesperson.employee_name == "李丽丽"
    assert salesperson.employee_code == "0050"
    assert salesperson.check_password("Sesame-2026")


def test_modify_with_a_new_password_replaces_it(console, salesperson):
    """ACC-10: a typical use: the administrator enters the real password into an account."""
    response = console.post(reverse("console:account_update", args=[salesperson.pk]), account_data(
        username="lily", employee_name="李丽", password1="Tea-Garden-88", password2="Tea-Garden-88",
    ))
    assert response.status_code == 302
    salesperson.refresh_from_db()
    assert salesperson.check_password("Tea-Garden-88")
    assert not salesperson.check_password("Sesame-2026")


def test_modify_can_keep_its_own_employee_number(console):
    """ACC-08, ACC-10: the uniqueness check does not trip over the account's own number."""
    account = make_account("keeper", employee_code="0099", template=EMPLOYEE_TEMPLATE)
    response = console.post(reverse("console:account_update", args=[account.pk]), account_data(
        username="keeper", employee_code="0099", password1="", password2="",
    ))
    assert response.status_code == 302


def test_modify_can_disable_an_account(console, salesperson):
    """ACC-08: the enabled flag is part of the account and can be cleared."""
    response = console.post(reverse("console:account_update", args=[salesperson.pk]), account_data(
        username="lily", is_active=None, password1="", password2="",
    ))
    assert response.status_code == 302
    salesperson.refresh_from_db()
    assert not salesperson.is_active


@override_settings(TRADEPORT_SEATS=1)
def test_disabling_an_account_ends_its_login_and_frees_its_seat(console, salesperson):
    """ACC-04, ACC-10: an account disabled by [Modify] stops being online and no longer holds a seat."""
    make_account("mike")
    lily = Client()
    assert lily.post(reverse("accounts:login"), {"username": "lily", "password": "Sesame-2026"}).status_code == 302
    assert Client().post(reverse("accounts:login"), {"username": "mike", "password": "Sesame-2026"}).status_code == 403
    response = console.post(reverse("console:account_update", args=[salesperson.pk]), account_data(
        username="lily", employee_name="李丽", is_active=None, password1="", password2="",
    ))
    assert response.status_code == 302
    assert lily.get(reverse("workbench")).status_code == 302
    assert not OnlineSession.objects.filter(account=salesperson).exists()
    assert Client().post(reverse("accounts:login"), {"username": "mike", "password": "Sesame-2026"}).status_code == 302


# ACC-12: account and employee ---------------------------------------------------------

def test_employee_first_then_account_links_them(console):
    """ACC-12 (Ch2 order): an account typed with an existing employee's code is linked to it, no warning."""
    employee = new_employee("0100", "王伟", is_salesperson=True)
    response = console.post(reverse("console:account_create"), account_data(employee_code="0100"), follow=True)
    assert response.status_code == 200
    account = Account.objects.get(username="wangwei")
    assert account.employee == employee
    assert employee.account == account
    assert not any("No employee has the code" in m for m in page_messages(response))


def test_account_first_warns_and_links_when_the_employee_is_created(console):
    """ACC-12 (Ch1 order): a number with no employee yet warns, and links once the employee exists."""
    response = console.post(reverse("console:account_create"), account_data(employee_code="0200"), follow=True)
    assert response.status_code == 200
    account = Account.objects.get(username="wangwei")
    assert account.employee is None
    assert any("No employee has the code 0200 yet" in m for m in page_messages(response))

    employee = new_employee("0200", "王伟")
    account = Account.objects.get(pk=account.pk)
    assert account.employee == employee
    assert employee.account == account


def test_account_without_employee_number_has_no_employee_and_no_warning(console):
    """ACC-12: leaving the number empty links nothing and warns about nothing."""
    new_employee("0300", "某人")
    response = console.post(reverse("console:account_create"), account_data(employee_code=""), follow=True)
    assert Account.objects.get(username="wangwei").employee is None
    assert not any("No employee has the code" in m for m in page_messages(response))


# ACC-11: delete -------------------------------------------------------------------------

def test_admin_account_cannot_be_deleted(console, admin_account):
    """ACC-11: deleting `admin` is refused with a message, by GET and by POST."""
    url = reverse("console:account_delete", args=[admin_account.pk])
    response = console.post(url, follow=True)
    assert response.status_code == 200
    assert "The administrator account cannot be deleted." in page_messages(response)
    assert console.get(url).status_code == 302
    admin_account.refresh_from_db()
    assert admin_account.is_active


def test_delete_asks_for_confirmation_first(console, salesperson):
    """ACC-11: GET shows a confirmation page and deletes nothing."""
    response = console.get(reverse("console:account_delete", args=[salesperson.pk]))
    assert response.status_code == 200
    assert Account.objects.filter(pk=salesperson.pk).exists()


def test_never_used_account_is_deleted(console):
    """ACC-11: an account that never logged in and has no log history is removed."""
    account = make_account("temp", employee_code="0400")
    employee = new_employee("0400", "临时")
    response = console.post(reverse("console:account_delete", args=[account.pk]), follow=True)
    assert response.status_code == 200
    assert not Account.objects.filter(pk=account.pk).exists()
    assert "Account temp deleted." in page_messages(response)
    # Deleting the account never deletes the employee.
    assert Employee.objects.filter(pk=employee.pk).exists()


def test_account_with_log_history_is_disabled_instead_of_deleted(console, salesperson):
    """ACC-11: an account that has logged in is disabled; its log entries are kept."""
    other = Client()
    assert other.post(reverse("accounts:login"), {"username": "lily", "password": "Sesame-2026"}).status_code == 302
    entries = SystemLogEntry.objects.filter(account=salesperson).count()
    assert entries >= 1
    response = console.post(reverse("console:account_delete", args=[salesperson.pk]), follow=True)
    assert response.status_code == 200
    salesperson.refresh_from_db()
    assert not salesperson.is_active
    assert any("disabled instead of deleted" in m for m in page_messages(response))
    assert SystemLogEntry.objects.filter(account=salesperson).count() >= entries
    # Its login ended with the disabling.
    assert other.get(reverse("workbench")).status_code == 302


def test_account_with_failed_logins_only_is_disabled_instead_of_deleted(console, salesperson):
    """ACC-11: a refused or failed login is history too."""
    Client().post(reverse("accounts:login"), {"username": "lily", "password": "wrong"})
    console.post(reverse("console:account_delete", args=[salesperson.pk]))
    salesperson.refresh_from_db()
    assert not salesperson.is_active


# PERM-14: only admin in the console ----------------------------------------------------

CONSOLE_GET_PAGES = {
    "home": None,
    "option_list": None,
    "option_update": "option",
    "account_list": None,
    "account_create": None,
    "account_update": "account",
    "account_delete": "account",
    "account_permissions": "account",
    "template_permissions": "template",
    "management_matrix": None,
    "online_list": None,
    "online_force_logout": "online",
    "system_log": None,
    "operation_log": None,
    "operation_log_csv": None,
    "archive_log": None,
}


def test_every_console_url_is_in_the_access_matrix():
    """PERM-14: a console page added later must join the matrix below."""
    names = {p.name for p in console_urls.urlpatterns}
    assert names == set(CONSOLE_GET_PAGES)


def _console_url(name: str, arg: str | None, roles) -> str:
    if arg is None:
        return reverse(f"console:{name}")
    value = {
        "option": "idle_timeout_minutes",
        "account": roles["salesperson"].pk,
        "template": EMPLOYEE_TEMPLATE,
    }.get(arg)
    if arg == "online":
        now_online = OnlineSession.objects.update_or_create(
            account=roles["salesperson"], defaults={"session_key": "x" * 32})[0]
        value = now_online.pk
    return reverse(f"console:{name}", args=[value])


@pytest.mark.parametrize("name", [n for n in CONSOLE_GET_PAGES if n != "online_force_logout"])
def test_console_pages_are_for_admin_only(roles, name):
    """PERM-14, ADM-01: every console page: anonymous to login, company accounts 403, admin 200."""
    url = _console_url(name, CONSOLE_GET_PAGES[name], roles)
    check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=403, admin=200)


def test_console_force_logout_is_for_admin_only_and_needs_post(roles):
    """PERM-14, ACC-05: force logout refuses company accounts and answers GET with 405 for admin."""
    url = _console_url("online_force_logout", "online", roles)
    check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=403, admin=405)
    check_matrix(url, users=roles, method="post", outsider=403, manager=403)


def test_console_redirect_for_anonymous_goes_to_login(client, admin_account):
    """PERM-14: an anonymous request to the console is sent to the login page."""
    response = client.get(reverse("console:account_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_company_accounts_cannot_create_accounts_by_post(client, manager, signed_in):
    """PERM-14: a manager posting the account form directly is refused and nothing is created."""
    signed_in(client, manager)
    response = client.post(reverse("console:account_create"), account_data())
    assert response.status_code == 403
    assert not Account.objects.filter(username="wangwei").exists()


def test_admin_lands_on_the_console_and_company_accounts_on_the_workbench(client, admin_account, salesperson, signed_in):
    """ADM-01, GEN-02: the workbench sends admin to the console home."""
    signed_in(client, admin_account)
    response = client.get(reverse("workbench"))
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    other = signed_in(Client(), salesperson)
    assert other.get(reverse("workbench")).status_code == 200
