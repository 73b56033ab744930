"""The catalogue of function modules (PERM-05) and management permissions (PERM-06).

Both are Django permissions on the `accounts` app. A function whose page has
not been built yet has `url_name=None`: it can be granted, and shows in the
menu as not yet available.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Function:
    codename: str
    label: str
    url_name: str | None = None
    in_employee_template: bool = False

    @property
    def perm(self) -> str:
        return f"accounts.{self.codename}"


@dataclass(frozen=True)
class Module:
    key: str
    label: str
    icon: str
    functions: tuple[Function, ...]


MODULES: tuple[Module, ...] = (
    Module("basic", _("Basic information"), "diagram-3", (
        Function("fn_departments", _("Departments"), "org:department_list"),
        Function("fn_employees", _("Employees"), "org:employee_list"),
        Function("fn_regions", _("Regions"), "org:region_list"),
    )),
    Module("customers", _("Customer management"), "people", (
        Function("fn_customer_new", _("New customer"), "customers:customer_create", True),
        Function("fn_customer_maintenance", _("Customer record maintenance"), "customers:customer_list", True),
        Function("fn_customer_query", _("Customer query"), "customers:customer_query", True),
        Function("fn_ownership_setup", _("Ownership set-up"), "customers:ownership_setup"),
        Function("fn_ownership_query", _("Ownership query"), "customers:ownership_query"),
        Function("fn_ownership_transfer", _("Transfer customers by salesperson"), "customers:ownership_transfer"),
        Function("fn_address_rule_transfer", _("Address distribution transfer"), "mail:address_transfer"),
    )),
    Module("followup", _("Follow-up"), "envelope-paper", (
        Function("fn_followup_management", _("Follow-up management"), "mail:followup", True),
        Function("fn_contact_input", _("Contact input"), "followup:contact_input", True),
        Function("fn_followup_query", _("Follow-up query"), "followup:customer_views", True),
        Function("fn_mail_distribution", _("Mail distribution"), "mail:undistributed"),
        Function("fn_mass_mail", _("Mass mail"), "mail:mass_list"),
        Function("fn_mail_reviewer_setup", _("Mail reviewer set-up"), "mail:reviewer_setup"),
        Function("fn_reminder_days_setup", _("Reminder days set-up"), "followup:reminder_days"),
    )),
    Module("inspection", _("Work inspection"), "binoculars", (
        Function("fn_inspection", _("Work inspection (by salesperson)")),
        Function("fn_mail_inspection", _("Work mail inspection")),
    )),
    Module("statistics", _("Statistics"), "bar-chart", (
        Function("fn_stat_customer_type", _("Customer type analysis")),
        Function("fn_stat_region", _("Regional distribution")),
        Function("fn_stat_source", _("Customer source analysis")),
        Function("fn_stat_industry", _("Industry analysis")),
        Function("fn_stat_product_detail", _("Product detail query")),
        Function("fn_stat_product", _("Product statistics")),
        Function("fn_stat_followup", _("Follow-up by salesperson")),
    )),
    Module("personal", _("Personal functions"), "person-gear", (
        Function("fn_send_message", _("Send message"), in_employee_template=True),
        Function("fn_view_messages", _("View messages"), in_employee_template=True),
        Function("fn_personal_mailbox", _("Personal mailbox"), "mail:personal_mailbox", True),
        Function("fn_change_password", _("Change password"), "accounts:password_change", True),
        Function("fn_personalization", _("Personalization"), "accounts:preferences", True),
        Function("fn_address_book", _("Personal address book"), "mail:address_book", True),
        Function("fn_common_phrases", _("Common phrases"), "mail:phrase_list", True),
    )),
    Module("system", _("System management"), "gear", (
        Function("fn_code_groups", _("Code groups"), "codes:group_list"),
        Function("fn_system_mailbox", _("System mailbox"), "mail:mailbox_list"),
        Function("fn_system_mail_admin", _("System mail management"), "mail:system_mail"),
        Function("fn_client_binding", _("Client binding"), "accounts:binding_list"),
    )),
)

FUNCTIONS: dict[str, Function] = {f.codename: f for m in MODULES for f in m.functions}


@dataclass(frozen=True)
class ManagementPermission:
    codename: str
    category: str
    label: str
    description: str
    is_advanced: bool = False

    @property
    def perm(self) -> str:
        return f"accounts.{self.codename}"


MANAGEMENT_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("customer_data", _("Customer data management")),
    ("mail", _("Mail management")),
    ("documents", _("Document management")),
)

# PERM-12: the document category is reserved and ships empty.
MANAGEMENT_PERMISSIONS: tuple[ManagementPermission, ...] = (
    ManagementPermission(
        "system_mail", "mail", _("System mail management"),
        _("Distribute mail and view every mail in the system."),
    ),
    ManagementPermission(
        "external_access", "customer_data", _("External network access"),
        _("Use the system from outside the trusted internal networks."),
    ),
    ManagementPermission(
        "view_personal_mailboxes", "mail", _("View salespeople's personal mailboxes"),
        _("Read all correspondence in salespeople's personal mailboxes."),
        is_advanced=True,
    ),
    ManagementPermission(
        "all_customers_inspection", "customer_data", _("All customers and business inspection"),
        _("View and modify every customer regardless of ownership, and use work inspection."),
        is_advanced=True,
    ),
)
MANAGEMENT: dict[str, ManagementPermission] = {p.codename: p for p in MANAGEMENT_PERMISSIONS}

# Role templates are groups (PERM-03, PERM-04).
MANAGER_TEMPLATE = "manager"
EMPLOYEE_TEMPLATE = "employee"


def template_codenames(template: str) -> list[str]:
    """Permission codenames a role template grants."""
    if template == MANAGER_TEMPLATE:
        return [*FUNCTIONS, *MANAGEMENT]
    if template == EMPLOYEE_TEMPLATE:
        return [f.codename for f in FUNCTIONS.values() if f.in_employee_template]
    raise ValueError(f"unknown template {template!r}")


def permission_meta() -> list[tuple[str, str]]:
    """(codename, name) pairs for Meta.permissions; names stay English in the database."""
    with_english = [(f.codename, str(f.label._args[0])) for f in FUNCTIONS.values()]
    with_english += [(p.codename, str(p.label._args[0])) for p in MANAGEMENT_PERMISSIONS]
    return with_english
