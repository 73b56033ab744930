"""Preset data for a new installation, loaded idempotently by `tradeport presets`."""

from django.db import transaction
from django.utils.translation import gettext_noop

from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account, SeatGuard
from tradeport.accounts.services import template_reset
from tradeport.system.models import PresetLoad

# ACC-06: one manager and five salespeople; each initial password is the
# account name, changed at first login. Employee codes match the preset
# employees, so the account-employee link (ACC-12) holds from the start.
PRESET_ACCOUNTS = (
    ("manager", "经理", "0001", MANAGER_TEMPLATE),
    *((f"sales{n}", f"业务员{n}", f"{n + 1:04d}", EMPLOYEE_TEMPLATE) for n in range(1, 6)),
)
gettext_noop("Preset accounts")


def _once(name: str, loader) -> bool:
    """Run `loader` the first time only; returns whether it ran."""
    with transaction.atomic():
        _, created = PresetLoad.objects.get_or_create(name=name)
        if created:
            loader()
        return created


def load_accounts() -> None:
    if not Account.objects.filter(username="admin").exists():
        admin = Account(username="admin", employee_name="系统管理员", is_superuser=True,
                        is_staff=True, must_change_password=True)
        admin.set_password("admin")
        admin.save()
    for username, name, code, template in PRESET_ACCOUNTS:
        if Account.objects.filter(username=username).exists():
            continue
        account = Account(username=username, employee_name=name, must_change_password=True)
        if not Account.objects.filter(employee_code=code).exists():
            account.employee_code = code
        account.set_password(username)
        account.save()
        account.groups.add(template_reset(template))


def load_all(only: tuple[str, ...] | None = None) -> list[str]:
    """Load every preset set (or those named in `only`) not loaded before; returns the names loaded."""
    SeatGuard.objects.get_or_create(pk=1)
    template_reset(MANAGER_TEMPLATE)
    template_reset(EMPLOYEE_TEMPLATE)
    loaded = []
    from tradeport.codes.presets import load_codes
    from tradeport.org.presets import load_departments_and_employees, load_regions

    sets = (("accounts", load_accounts), ("departments", load_departments_and_employees),
            ("regions", load_regions), ("codes", load_codes))
    for name, loader in sets:
        if only is not None and name not in only:
            continue
        if _once(name, loader):
            loaded.append(name)
    return loaded
