from django.db import migrations


def file_orphans_under_first_department(apps, schema_editor):
    """Employees created before departments existed join the preset department."""
    Department = apps.get_model("org", "Department")
    Employee = apps.get_model("org", "Employee")
    if not Employee.objects.filter(department__isnull=True).exists():
        return
    department = Department.objects.filter(code="01").first()
    if department is None:
        department = Department.objects.create(code="01", name="外贸部", remarks="Foreign Trade Department")
        Department.objects.filter(pk=department.pk).update(path=f"{department.pk:08d}/")
    Employee.objects.filter(department__isnull=True).update(department=department)


class Migration(migrations.Migration):
    dependencies = [("org", "0002_departments_regions_employee_fields")]

    operations = [migrations.RunPython(file_orphans_under_first_department, migrations.RunPython.noop)]
