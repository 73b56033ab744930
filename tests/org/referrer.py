"""Real records that refer to codes, employees and regions, for the "in use" rules.

A customer refers to its region and its code items; an ownership row refers to
its employee. Created straight through the ORM: these tests are about the
refusals, not about creating customers.
"""

from tradeport.customers.models import Customer, Ownership
from tradeport.org.models import Region


def refer_to(*, code_item=None, employee=None, region=None) -> Customer:
    """A customer using `region` (or any region) and `code_item` as its level; owned by `employee`."""
    region = region or Region.objects.order_by("pk").first()
    if region is None:
        from tradeport.org.services import region_save

        region = region_save(region=Region(code="T-REGION", name_zh="测试区域", name_en="Test region",
                                           level=Region.Level.CONTINENT), parent=None)
    customer = Customer.objects.create(code=f"T{Customer.objects.count() + 1:05d}", name="Referring customer",
                                       region=region, level=code_item)
    if employee is not None:
        Ownership.objects.create(customer=customer, employee=employee)
    return customer
