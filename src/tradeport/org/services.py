"""Writes for departments, employees and regions."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tradeport.org.models import Department, Employee, Region
from tradeport.system.usage import describe, references


def _place(node, parent) -> None:
    """Save a tree node under `parent`, keeping the materialised paths of its subtree right."""
    model = type(node)
    if parent is not None and node.pk is not None and parent.path.startswith(node.path or "\0"):
        raise ValidationError(_("It cannot be moved under itself or anything below it."))
    node.parent = parent
    old_path = node.path
    node.full_clean(exclude=["path"])
    node.save()
    new_path = f"{parent.path if parent else ''}{node.pk:08d}/"
    if new_path == old_path:
        return
    model.objects.filter(pk=node.pk).update(path=new_path)
    node.path = new_path
    if old_path:
        for descendant in model.objects.filter(path__startswith=old_path).exclude(pk=node.pk):
            model.objects.filter(pk=descendant.pk).update(path=new_path + descendant.path[len(old_path):])


@transaction.atomic
def department_save(*, department: Department, parent: Department | None) -> Department:
    """Create or modify a department (ORG-02..04)."""
    _place(department, parent)
    return department


@transaction.atomic
def department_delete(*, department: Department) -> None:
    """ORG-05: refused while the department has sub-departments or employees."""
    if department.children.exists():
        raise ValidationError(_("%(name)s still has sub-departments. Delete or move them first.")
                              % {"name": department.name})
    count = department.employees.count()
    if count:
        raise ValidationError(ngettext(
            "%(name)s still has %(count)s employee (active or left). Move them to another department first.",
            "%(name)s still has %(count)s employees (active or left). Move them to another department first.",
            count) % {"name": department.name, "count": count})
    department.delete()


@transaction.atomic
def employee_save(*, employee: Employee) -> Employee:
    """Create or modify an employee; marking one as left ends their login (ORG-14)."""
    was_left = (employee.pk is not None
                and Employee.objects.filter(pk=employee.pk, status=Employee.Status.LEFT).exists())
    if employee.has_left and employee.date_left is None:
        employee.date_left = timezone.localdate()
    if not employee.has_left:
        employee.date_left = None
    employee.full_clean()
    employee.save()
    _take_over_account_name(employee)
    if employee.has_left and not was_left:
        _end_logins_of(employee)
    return employee


def _take_over_account_name(employee: Employee) -> None:
    """An account made before its employee (ACC-12) kept the name itself; now the employee holds it.

    A plain UPDATE: the name does not change for anyone, so it is no operation to log.
    """
    from tradeport.accounts.models import Account

    Account.objects.filter(employee_code=employee.code).exclude(employee_name="").update(employee_name="")


def _end_logins_of(employee: Employee) -> None:
    from tradeport.accounts.models import OnlineSession
    from tradeport.accounts.services import online_session_end
    from tradeport.audit.models import SystemLogEntry

    for online in OnlineSession.objects.filter(account__employee_code=employee.code).select_related("account"):
        online_session_end(online=online, event=SystemLogEntry.Event.FORCED_LOGOUT, reason="employee left")


@transaction.atomic
def employee_delete(*, employee: Employee) -> None:
    """ORG-11: refused while anything refers to the employee; mark them left instead."""
    found = references(employee)
    if found:
        raise ValidationError(_("%(name)s cannot be deleted while these refer to them: %(what)s. Mark the employee as left instead.")
                              % {"name": employee.name, "what": describe(found)})
    from tradeport.accounts.models import Account

    # The name goes back to a linked account, so it does not lose it with the record.
    Account.objects.filter(employee_code=employee.code, employee_name="").update(employee_name=employee.name)
    employee.delete()


@transaction.atomic
def region_save(*, region: Region, parent: Region | None) -> Region:
    """ORG-17, ORG-18: create or modify a region; a child sits one level below its parent."""
    if parent is not None and region.level <= parent.level:
        raise ValidationError({"level": _("A region must be at a lower level than its parent (%(parent)s).")
                               % {"parent": parent.get_level_display()}})
    if region.pk is not None and region.children.filter(level__lte=region.level).exists():
        raise ValidationError({"level": _("A region must be at a higher level than the regions below it.")})
    _place(region, parent)
    return region


@transaction.atomic
def region_delete(*, region: Region) -> None:
    """ORG-18: refused while child regions or any record (customers, later) refer to it."""
    found = references(region, ignore=("children",))
    if region.children.exists():
        raise ValidationError(_("%(name)s still has sub-regions. Delete them first.") % {"name": region.name})
    if found:
        raise ValidationError(_("%(name)s is in use by %(what)s and cannot be deleted.")
                              % {"name": region.name, "what": describe(found)})
    region.delete()
