"""Function and management permissions (GEN-01, PERM-01..07, PERM-13)."""

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from conftest import make_account
from matrix import check_matrix
from scopetest.models import Note
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.accounts.permissions import function_required
from tradeport.audit.models import OperationLogEntry

pytestmark = pytest.mark.django_db

# PERM-04, written out from the specification rather than derived from the code.
EMPLOYEE_FUNCTIONS = {
    "fn_customer_new", "fn_customer_maintenance", "fn_customer_query",
    "fn_followup_management", "fn_contact_input", "fn_followup_query",
    "fn_send_message", "fn_view_messages", "fn_personal_mailbox", "fn_change_password",
    "fn_personalization", "fn_address_book", "fn_common_phrases",
}
MANAGEMENT_PERMISSIONS = {"system_mail", "external_access", "view_personal_mailboxes", "all_customers_inspection"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def console(client, admin_account, signed_in):
    return signed_in(client, admin_account)


def menu_functions(html: str) -> set[str]:
    return set(re.findall(r'data-function="([a-z_]+)"', html))


def reload(account: Account) -> Account:
    """A fresh instance, so Django's permission cache does not hide a change."""
    return Account.objects.get(pk=account.pk)


def all_function_codenames() -> set[str]:
    return set(Permission.objects.filter(content_type__app_label="accounts", codename__startswith="fn_")
               .values_list("codename", flat=True))


# PERM-03, PERM-04, PERM-05: templates and catalogue ------------------------------

def test_employee_template_holds_exactly_the_perm_04_functions(presets):
    """PERM-04: customer new/maintenance/query, follow-up management/contact input/query, all personal functions."""
    granted = set(Group.objects.get(name=EMPLOYEE_TEMPLATE).permissions.values_list("codename", flat=True))
    assert granted == EMPLOYEE_FUNCTIONS


def test_manager_template_holds_every_function_and_management_permission(presets):
    """PERM-03, PERM-06: every module, every function, and every management permission."""
    granted = set(Group.objects.get(name=MANAGER_TEMPLATE).permissions.values_list("codename", flat=True))
    assert granted == all_function_codenames() | MANAGEMENT_PERMISSIONS
    assert granted > EMPLOYEE_FUNCTIONS


def test_function_catalogue_has_every_perm_05_function(db):
    """PERM-05: 3 basic, 7 customer, 7 follow-up, 2 inspection, 7 statistics, 7 personal, 4 system functions."""
    assert len(all_function_codenames()) == 3 + 7 + 7 + 2 + 7 + 7 + 4
    names = dict(Permission.objects.filter(content_type__app_label="accounts")
                 .values_list("codename", "name"))
    assert names["fn_client_binding"] == "Client binding"
    assert names["external_access"] == "External network access"
    assert set(names) >= MANAGEMENT_PERMISSIONS


def test_preset_accounts_carry_their_templates(presets):
    """ACC-06, PERM-03, PERM-04: `manager` has the manager template, sales1..5 the employee template."""
    manager = Account.objects.get(username="manager")
    assert manager.has_perm("accounts.fn_departments")
    assert manager.has_perm("accounts.all_customers_inspection")
    for n in range(1, 6):
        sales = Account.objects.get(username=f"sales{n}")
        assert sales.has_perm("accounts.fn_customer_new")
        assert not sales.has_perm("accounts.fn_departments")
        assert not sales.has_perm("accounts.system_mail")


# GEN-01, PERM-01: menu and guards ------------------------------------------------

def test_menu_shows_only_the_granted_functions(client, salesperson, signed_in):
    """GEN-01, PERM-01: the salesperson's menu holds exactly the employee-template functions."""
    signed_in(client, salesperson)
    response = client.get(reverse("workbench"))
    assert response.status_code == 200
    assert menu_functions(response.content.decode()) == EMPLOYEE_FUNCTIONS
    modules = {entry["module"].key for entry in response.context["nav_modules"]()}
    assert modules == {"customers", "followup", "personal"}


def test_manager_menu_shows_every_function(client, manager, signed_in):
    """GEN-01, PERM-03: the manager sees every module and function."""
    signed_in(client, manager)
    html = client.get(reverse("workbench")).content.decode()
    assert menu_functions(html) == all_function_codenames()


def test_account_without_grants_sees_an_empty_menu(client, outsider, signed_in):
    """GEN-01: no function granted, no menu entry, and a hint to ask the administrator."""
    signed_in(client, outsider)
    response = client.get(reverse("workbench"))
    assert response.status_code == 200
    assert menu_functions(response.content.decode()) == set()
    assert response.context["nav_modules"]() == []
    assert "No function has been granted to your account yet." in response.content.decode()


def test_a_single_grant_adds_its_menu_entry(client, outsider, signed_in):
    """PERM-01: granting one function to an account adds exactly that entry."""
    outsider.user_permissions.add(Permission.objects.get(codename="fn_client_binding"))
    signed_in(client, outsider)
    html = client.get(reverse("workbench")).content.decode()
    assert menu_functions(html) == {"fn_client_binding"}
    assert reverse("accounts:binding_list") in html


def test_personalization_needs_its_function(roles):
    """GEN-01, PERM-01: accounts:preferences is refused (403) to an account without fn_personalization."""
    check_matrix(reverse("accounts:preferences"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)


def test_client_binding_needs_its_function(roles):
    """GEN-01, SYS-07: accounts:binding_list needs fn_client_binding, which salespeople lack."""
    check_matrix(reverse("accounts:binding_list"), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_refused_posts_change_nothing(client, salesperson, signed_in):
    """GEN-01: a direct POST to a function that is not granted is refused and has no effect."""
    signed_in(client, salesperson)
    response = client.post(reverse("accounts:binding_list"), {"account": salesperson.pk, "network": "10.0.0.0/8"})
    assert response.status_code == 403
    assert not salesperson.ip_bindings.exists()


def test_function_required_rejects_an_unknown_function():
    """PERM-05: guarding a view with a function that is not in the catalogue is a programming error."""
    with pytest.raises(ValueError, match="unknown function"):
        function_required("fn_does_not_exist")


# PERM-02: one account's permissions ------------------------------------------------

def test_permission_editor_shows_template_grants_as_fixed(console, salesperson):
    """PERM-02: the editor ticks and greys out what the account's template grants."""
    response = console.get(reverse("console:account_permissions", args=[salesperson.pk]))
    assert response.status_code == 200
    assert response.context["template"] == EMPLOYEE_TEMPLATE
    assert response.context["from_template"] >= EMPLOYEE_FUNCTIONS
    html = response.content.decode()
    assert re.search(r'value="fn_customer_new"[^>]*checked[^>]*disabled', html)
    assert not re.search(r'value="fn_departments"[^>]*checked', html)


def test_admin_account_has_no_permission_editor(console, admin_account):
    """PERM-14: `admin` holds everything; its permissions cannot be edited."""
    assert console.get(reverse("console:account_permissions", args=[admin_account.pk])).status_code == 404


def test_editing_an_accounts_permissions_grants_and_revokes(console, outsider):
    """PERM-01, PERM-02, GEN-05: saving the tree grants and revokes, and each change is logged."""
    url = reverse("console:account_permissions", args=[outsider.pk])
    response = console.post(url, {"template": "", "perm": ["fn_departments", "fn_regions", "external_access"]})
    assert response.status_code == 302
    account = reload(outsider)
    assert account.has_perm("accounts.fn_departments")
    assert account.has_perm("accounts.fn_regions")
    assert account.has_perm("accounts.external_access")
    assert not account.has_perm("accounts.fn_employees")
    grants = OperationLogEntry.objects.filter(action="grant", object_type="accounts.account", object_id=str(outsider.pk))
    assert sorted((e.changes for e in grants), key=str) == [
        {"functions": ["fn_departments", "fn_regions"]},
        {"management": ["external_access"]},
    ]
    assert all(e.username == "admin" for e in grants)

    response = console.post(url, {"template": "", "perm": ["fn_regions"]})
    assert response.status_code == 302
    account = reload(outsider)
    assert account.has_perm("accounts.fn_regions")
    assert not account.has_perm("accounts.fn_departments")
    assert not account.has_perm("accounts.external_access")
    revokes = OperationLogEntry.objects.filter(action="revoke", object_id=str(outsider.pk))
    assert sorted((e.changes for e in revokes), key=str) == [
        {"functions": ["fn_departments"]},
        {"management": ["external_access"]},
    ]


def test_saving_unchanged_permissions_logs_nothing(console, outsider):
    """GEN-05: only real changes are written to the operation log."""
    url = reverse("console:account_permissions", args=[outsider.pk])
    console.post(url, {"template": "", "perm": ["fn_departments"]})
    before = OperationLogEntry.objects.count()
    console.post(url, {"template": "", "perm": ["fn_departments"]})
    assert OperationLogEntry.objects.count() == before


def test_permission_editor_sets_the_role_template(console, outsider, presets):
    """PERM-02, PERM-04: choosing the employee template gives its functions, and the change is logged."""
    url = reverse("console:account_permissions", args=[outsider.pk])
    console.post(url, {"template": EMPLOYEE_TEMPLATE})
    account = reload(outsider)
    assert list(account.groups.values_list("name", flat=True)) == [EMPLOYEE_TEMPLATE]
    assert account.has_perm("accounts.fn_customer_query")
    assert OperationLogEntry.objects.filter(action="grant", object_id=str(outsider.pk),
                                            changes={"template": [EMPLOYEE_TEMPLATE]}).exists()
    console.post(url, {"template": ""})
    account = reload(outsider)
    assert not account.groups.exists()
    assert not account.has_perm("accounts.fn_customer_query")
    assert OperationLogEntry.objects.filter(action="revoke", object_id=str(outsider.pk),
                                            changes={"template": [EMPLOYEE_TEMPLATE]}).exists()


def test_granted_function_takes_effect_on_the_next_request(console, salesperson, signed_in):
    """PERM-01: after the administrator grants Client binding, the salesperson can open it."""
    user = signed_in(Client(), salesperson)
    assert user.get(reverse("accounts:binding_list")).status_code == 403
    console.post(reverse("console:account_permissions", args=[salesperson.pk]),
                 {"template": EMPLOYEE_TEMPLATE, "perm": ["fn_client_binding"]})
    assert user.get(reverse("accounts:binding_list")).status_code == 200


def test_unknown_permission_names_in_the_post_are_ignored(console, outsider):
    """PERM-02: a tampered form cannot grant something outside the catalogue."""
    console.post(reverse("console:account_permissions", args=[outsider.pk]),
                 {"template": "", "perm": ["add_account", "fn_departments"]})
    account = reload(outsider)
    assert account.has_perm("accounts.fn_departments")
    assert not account.has_perm("accounts.add_account")


# Template editor ----------------------------------------------------------------------

def test_template_editor_change_applies_to_every_member(console, presets):
    """PERM-02, PERM-04: a function added to the employee template reaches every salesperson at once."""
    url = reverse("console:template_permissions", args=[EMPLOYEE_TEMPLATE])
    page = console.get(url)
    assert page.status_code == 200
    assert {m.username for m in page.context["members"]} == {f"sales{n}" for n in range(1, 6)}

    chosen = (EMPLOYEE_FUNCTIONS - {"fn_customer_query"}) | {"fn_departments"}
    response = console.post(url, {"perm": sorted(chosen)})
    assert response.status_code == 302
    for n in range(1, 6):
        sales = Account.objects.get(username=f"sales{n}")
        assert sales.has_perm("accounts.fn_departments")
        assert not sales.has_perm("accounts.fn_customer_query")
    # The manager template is untouched.
    assert Account.objects.get(username="manager").has_perm("accounts.fn_customer_query")
    group = Group.objects.get(name=EMPLOYEE_TEMPLATE)
    assert OperationLogEntry.objects.filter(action="grant", object_type="auth.group", object_id=str(group.pk),
                                            changes={"permissions": ["fn_departments"]}).exists()
    assert OperationLogEntry.objects.filter(action="revoke", object_type="auth.group", object_id=str(group.pk),
                                            changes={"permissions": ["fn_customer_query"]}).exists()


def test_template_editor_refuses_unknown_templates(console):
    """PERM-02: only the manager and employee templates exist."""
    assert console.get(reverse("console:template_permissions", args=["boss"])).status_code == 404


def test_template_editor_member_list_follows_assignments(console, manager, salesperson):
    """PERM-03: the manager template page lists the accounts using it."""
    response = console.get(reverse("console:template_permissions", args=[MANAGER_TEMPLATE]))
    assert [m.username for m in response.context["members"]] == ["boss"]


# PERM-06, PERM-07: management permissions matrix ---------------------------------------

def test_management_matrix_grants_and_revokes(console, salesperson, outsider):
    """PERM-07: ticking a cell grants that management permission, clearing it revokes, both logged."""
    url = reverse("console:management_matrix")
    page = console.get(url)
    assert page.status_code == 200
    assert f'value="{salesperson.pk}:system_mail"' in page.content.decode()

    response = console.post(url, {"grant": [f"{salesperson.pk}:system_mail", f"{outsider.pk}:external_access"]})
    assert response.status_code == 302
    assert reload(salesperson).has_perm("accounts.system_mail")
    assert not reload(salesperson).has_perm("accounts.external_access")
    assert reload(outsider).has_perm("accounts.external_access")
    assert OperationLogEntry.objects.filter(action="grant", object_id=str(salesperson.pk),
                                            changes={"management": ["system_mail"]}).exists()

    console.post(url, {"grant": [f"{outsider.pk}:external_access"]})
    assert not reload(salesperson).has_perm("accounts.system_mail")
    assert reload(outsider).has_perm("accounts.external_access")
    assert OperationLogEntry.objects.filter(action="revoke", object_id=str(salesperson.pk),
                                            changes={"management": ["system_mail"]}).exists()


def test_management_matrix_keeps_function_grants(console, outsider):
    """PERM-06: management permissions are separate; saving the matrix leaves function grants alone."""
    outsider.user_permissions.add(Permission.objects.get(codename="fn_departments"))
    console.post(reverse("console:management_matrix"), {"grant": [f"{outsider.pk}:system_mail"]})
    account = reload(outsider)
    assert account.has_perm("accounts.fn_departments")
    assert account.has_perm("accounts.system_mail")


def test_management_matrix_shows_template_grants_as_inherited(console, manager):
    """PERM-03, PERM-07: the manager's management permissions come from the template and show greyed."""
    response = console.get(reverse("console:management_matrix"))
    row = next(r for r in response.context["rows"] if r["account"] == manager)
    assert row["inherited"] >= MANAGEMENT_PERMISSIONS
    assert f'value="{manager.pk}:system_mail"' not in response.content.decode()


def test_management_matrix_lists_no_admin_and_no_disabled_accounts(console, admin_account, salesperson):
    """PERM-07, PERM-14: only enabled company accounts are rows."""
    make_account("gone", is_active=False)
    response = console.get(reverse("console:management_matrix"))
    assert {r["account"].username for r in response.context["rows"]} == {"lily"}


# PERM-13: data scope ---------------------------------------------------------------------

@pytest.fixture
def note(salesperson):
    return Note.objects.create(owner=salesperson, text="Lily's customer note")


def test_owner_sees_own_record(client, salesperson, note, signed_in):
    """PERM-13: the owner can open the record."""
    signed_in(client, salesperson)
    response = client.get(reverse("note_detail", args=[note.pk]))
    assert response.status_code == 200
    assert response.content.decode() == "Lily's customer note"


def test_other_salesperson_gets_404_like_a_missing_record(client, note, signed_in):
    """PERM-13, 0.2: a record the user may not see answers exactly like one that does not exist."""
    colleague = make_account("mike", template=EMPLOYEE_TEMPLATE)
    signed_in(client, colleague)
    assert client.get(reverse("note_detail", args=[note.pk])).status_code == 404
    assert client.get(reverse("note_detail", args=[note.pk + 1000])).status_code == 404


def test_all_customers_inspection_holder_sees_every_record(client, note, signed_in):
    """PERM-11, PERM-13: holding all_customers_inspection lifts the ownership restriction."""
    inspector = make_account("inspector", template=EMPLOYEE_TEMPLATE)
    inspector.user_permissions.add(Permission.objects.get(codename="all_customers_inspection"))
    signed_in(client, inspector)
    assert client.get(reverse("note_detail", args=[note.pk])).status_code == 200


def test_system_mail_permission_does_not_open_other_peoples_records(client, note, signed_in):
    """PERM-13: PERM-08 does not give the right to other people's customers."""
    mail_admin = make_account("mailadmin", template=EMPLOYEE_TEMPLATE)
    mail_admin.user_permissions.add(Permission.objects.get(codename="system_mail"))
    signed_in(client, mail_admin)
    assert client.get(reverse("note_detail", args=[note.pk])).status_code == 404


def test_manager_template_sees_every_record(client, manager, note, signed_in):
    """PERM-03, PERM-13: the manager template includes all_customers_inspection."""
    signed_in(client, manager)
    assert client.get(reverse("note_detail", args=[note.pk])).status_code == 200


def test_anonymous_is_sent_to_login_for_scoped_records(client, note):
    """PERM-13: anonymous users are sent to the login page."""
    response = client.get(reverse("note_detail", args=[note.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_visible_to_filters_querysets(salesperson, note):
    """PERM-13: visible_to() returns the owner's rows only, and none for a disabled or anonymous user."""
    from django.contrib.auth.models import AnonymousUser

    other = make_account("mike", template=EMPLOYEE_TEMPLATE)
    Note.objects.create(owner=other, text="Mike's")
    assert list(Note.objects.visible_to(salesperson)) == [note]
    assert Note.objects.visible_to(AnonymousUser()).count() == 0
    salesperson.is_active = False
    assert Note.objects.visible_to(salesperson).count() == 0
