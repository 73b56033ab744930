"""Keep each person's name in one place: on the employee record of a linked account.

Until now the account and its employee each had a name, and they drifted apart. Where
they differ, the one changed last according to the operation log wins; with no history
the employee record's. The account then keeps no copy. Safe to run again; reversing it
copies the employee's name back onto the account.
"""

from django.db import migrations


def _last_change(log, object_type: str, object_id, field: str):
    entry = (log.objects.filter(object_type=object_type, object_id=str(object_id), changes__has_key=field)
             .order_by("-created_at", "-id").values_list("created_at", flat=True).first())
    return entry


def name_on_employee(apps, schema_editor):
    account_model = apps.get_model("accounts", "Account")
    employee_model = apps.get_model("org", "Employee")
    log = apps.get_model("audit", "OperationLogEntry")
    employees = {e.code: e for e in employee_model.objects.all()}
    for account in account_model.objects.exclude(employee_code="").exclude(employee_name=""):
        employee = employees.get(account.employee_code)
        if employee is None:
            continue  # no employee yet: the account is still the one place (ACC-12)
        name = account.employee_name.strip()
        if name and name != employee.name:
            renamed_account = _last_change(log, "accounts.account", account.pk, "employee_name")
            renamed_employee = _last_change(log, "org.employee", employee.pk, "name")
            if renamed_account is not None and (renamed_employee is None or renamed_account > renamed_employee):
                employee.name = name[:100]
                employee.save(update_fields=["name"])
        account.employee_name = ""
        account.save(update_fields=["employee_name"])


def name_on_both(apps, schema_editor):
    account_model = apps.get_model("accounts", "Account")
    employee_model = apps.get_model("org", "Employee")
    names = dict(employee_model.objects.values_list("code", "name"))
    for account in account_model.objects.exclude(employee_code="").filter(employee_name=""):
        if account.employee_code in names:
            account.employee_name = names[account.employee_code]
            account.save(update_fields=["employee_name"])


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0004_employee_record_and_labels"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(name_on_employee, name_on_both)]
