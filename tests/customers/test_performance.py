"""Query counts: the maintenance list reads owners and codes in a fixed number of queries (CUST-14)."""

import pytest
from django.urls import reverse

from customers.conftest import client_for, listed_codes, make_customer

pytestmark = pytest.mark.django_db

# Measured at 16 for both 3 and 30 rows (session, guard, permissions, count,
# salespeople, five code lists, the page, owners and their employees): an
# N+1 over 30 rows would add at least 30.
MAX_QUERIES = 18


@pytest.mark.parametrize("count", [3, 30])
@pytest.mark.parametrize("viewer", ["manager", "owner"])
def test_the_maintenance_list_has_no_query_per_row(people, world, codes, manager, count, viewer,
                                                    django_assert_max_num_queries):
    """CUST-14, CUST-10, CUST-09, CUST-22: 3 or 30 customers, each with 2 owners and 2 contacts, cost the same queries."""
    owners = [people["zhang"].employee, people["li"].employee]
    level, kind = codes("customer_level", "A"), codes("customer_type", "IMP")
    for number in range(count):
        make_customer(f"Customer {number:02d}", world["hangzhou"], owners=owners, actor=manager, level=level,
                      customer_type=kind, products=[codes("product", "P01")],
                      contacts=[{"name": f"Anna {number}", "email": f"anna{number}@c{number}.com"},
                                {"name": f"Ben {number}", "email": f"ben{number}@c{number}.com"}])
    account = manager if viewer == "manager" else people["zhang"]
    account.page_size = 50
    account.save()
    client = client_for(account)
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(reverse("customers:customer_list"))
    assert response.status_code == 200
    assert len(listed_codes(response)) == count
    html = response.content.decode()
    assert html.count("张三") >= count
    assert html.count("李四") >= count
