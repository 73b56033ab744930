"""Preset organisation data: the first department, the preset employees, the region tree."""

from django.db import transaction

from tradeport.org import region_data
from tradeport.org.models import PRESET_DEPARTMENT_REMARKS, Department, Employee, Region
from tradeport.org.services import employee_save

PRESET_DEPARTMENT = ("01", "外贸部")
# Codes match the preset accounts' employee numbers (tradeport.system.presets).
PRESET_EMPLOYEES = (
    ("0001", "经理", "Manager", False),
    *((f"{n + 1:04d}", f"业务员{n}", f"Salesperson {n}", True) for n in range(1, 6)),
)


def load_departments_and_employees() -> None:
    code, name = PRESET_DEPARTMENT
    department = Department.objects.filter(code=code).first()
    if department is None:
        department = Department.objects.create(code=code, name=name, remarks=PRESET_DEPARTMENT_REMARKS)
        Department.objects.filter(pk=department.pk).update(path=f"{department.pk:08d}/")
        department.refresh_from_db()
    for emp_code, emp_name, name_en, is_sales in PRESET_EMPLOYEES:
        if not Employee.objects.filter(code=emp_code).exists():
            employee_save(employee=Employee(code=emp_code, name=emp_name, name_en=name_en,
                                            department=department, is_salesperson=is_sales))


@transaction.atomic
def load_regions() -> int:
    """Create the preset regions that do not exist yet; returns how many were created."""
    existing = dict(Region.objects.values_list("code", "pk"))
    specs = [s for s in region_data.build() if s.code not in existing]
    created = Region.objects.bulk_create([
        Region(code=s.code, name_zh=s.name_zh, name_en=s.name_en, level=s.level,
               time_zones=s.time_zones, sort_order=s.sort_order, is_preset=True)
        for s in specs
    ])
    by_code = {region.code: region for region in created}
    # bulk_create may not return pks on every backend; read them back.
    pks = dict(Region.objects.filter(code__in=list(by_code)).values_list("code", "pk"))
    existing.update(pks)
    paths = dict(Region.objects.exclude(code__in=list(by_code)).values_list("code", "path"))
    updates = []
    for spec in specs:  # parents come before children
        region = by_code[spec.code]
        region.pk = pks[spec.code]
        region.parent_id = existing[spec.parent] if spec.parent else None
        region.path = f"{paths[spec.parent] if spec.parent else ''}{region.pk:08d}/"
        paths[spec.code] = region.path
        updates.append(region)
    Region.objects.bulk_update(updates, ["parent", "path"], batch_size=500)
    return len(specs)
