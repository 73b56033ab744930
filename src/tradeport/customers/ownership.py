"""Regional ownership rules (OWN-07..12): effective settings with live inheritance."""

from django.db.models import Q

from tradeport.customers.models import RegionOwnership
from tradeport.org.models import Employee, Region
from tradeport.system import options


def strict_mode() -> bool:
    return options.get("ownership_mode") == "strict"


def effective_setting(region: Region) -> RegionOwnership | None:
    """The setting that governs `region`: its own, or the nearest ancestor's when it inherits or has none."""
    chain = [*region.ancestors(), region]
    settings = {s.region_id: s for s in RegionOwnership.objects.filter(region__in=chain)}
    for node in reversed(chain):
        setting = settings.get(node.pk)
        if setting is not None and not setting.inherit_from_parent:
            return setting
    return None


def creators_for(region: Region) -> list[Employee]:
    setting = effective_setting(region)
    return list(setting.creators.filter(status=Employee.Status.ACTIVE)) if setting else []


def default_owners_for(region: Region) -> list[Employee]:
    setting = effective_setting(region)
    return list(setting.default_owners.filter(status=Employee.Status.ACTIVE)) if setting else []


def default_owner_region_filter(employee_code: str, field: str = "region__path") -> Q | None:
    """PERM-13 in strict mode: the regions whose effective setting names this employee a default owner.

    Each own (non-inheriting) setting governs its subtree, except the parts
    below it that have their own setting; those are matched by their own terms.
    """
    if not strict_mode():
        return None
    own = list(RegionOwnership.objects.filter(inherit_from_parent=False)
               .values_list("region__path", flat=True))
    mine = set(RegionOwnership.objects.filter(inherit_from_parent=False, default_owners__code=employee_code)
               .values_list("region__path", flat=True))
    condition = None
    for path in mine:
        term = Q(**{f"{field}__startswith": path})
        for inner in own:
            if inner != path and inner.startswith(path):
                term &= ~Q(**{f"{field}__startswith": inner})
        condition = term if condition is None else condition | term
    return condition


def may_create_in(user, region: Region) -> bool:
    """CUST-12, OWN-12: in strict mode only effective authorised creators (or PERM-11 holders)."""
    if not strict_mode() or user.is_administrator or user.has_perm("accounts.all_customers_inspection"):
        return True
    return any(e.code == user.employee_code for e in creators_for(region)) if user.employee_code else False
