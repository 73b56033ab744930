"""Search: fuzzy lookup over the ten CUST-18 fields, owner drop-down, category search, region tree, query page."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from conftest import make_account
from customers.conftest import client_for, listed_codes, make_customer, make_employee
from tradeport.customers import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def silk(people, world, codes):
    """杭州丝绸有限公司 (000001), owned by 张三, with every searchable field filled."""
    return make_customer(
        "杭州丝绸有限公司", world["xihu"], actor=people["zhang"], main_email="info@hz-silk.com",
        backups=["export.dept@hz-silk.com"], phone="0571-8765 4321", fax="0571-8765 9999",
        contacts=[{"name": "Anna Schmidt", "email": "anna.s@silk-partner.de", "fax": "040-5550123"}],
        customer_type=codes("customer_type", "IMP"), level=codes("customer_level", "A"),
        source=codes("customer_source", "FAIR"), industry=codes("industry", "TEX"),
        products=[codes("product", "P01")])


@pytest.fixture
def steel(people, world, codes):
    """Munich Steel AG (000002), owned by 张三 and 李四."""
    return make_customer(
        "Munich Steel AG", world["munich"], owners=[people["zhang"].employee, people["li"].employee],
        actor=people["zhang"], main_email="buy@munich-steel.de", phone="+49 89 1111",
        customer_type=codes("customer_type", "IMP"), level=codes("customer_level", "B"),
        source=codes("customer_source", "WEB"), industry=codes("industry", "MAC"),
        products=[codes("product", "P06")])


def search(client, **params):
    return listed_codes(client.get(reverse("customers:customer_list"), params))


FUZZY = {
    "customer code": "00001",
    "customer name (Chinese, partial)": "丝绸",
    "phone (partial)": "8765 4321",
    "main email (partial)": "hz-silk",
    "fax": "8765 9999",
    "backup email (partial)": "export.dept",
    "mnemonic (pinyin initials)": "hzsc",
    "mnemonic, upper case": "HZSC",
    "contact name, other case": "anna SCHMIDT",
    "contact email (partial)": "silk-partner",
    "contact fax": "5550123",
}


def test_fuzzy_search_finds_the_customer_by_each_of_the_ten_fields(people, silk, steel):
    """CUST-17, CUST-18: a 'contains' search ignoring case over code, name, phone, emails, fax, mnemonic and contacts."""
    client = client_for(people["zhang"])
    missed = {field: text for field, text in FUZZY.items() if search(client, q=text) != [silk.code]}
    assert missed == {}


def test_fuzzy_search_ignores_fields_outside_the_list(people, silk, steel):
    """CUST-18: remarks and addresses are not searched; unknown text finds nothing."""
    client = client_for(people["zhang"])
    assert search(client, q="nothing like this") == []
    assert search(client, q="  munich   STEEL ") == [steel.code]


def test_a_contact_added_later_is_found(people, silk):
    """CUST-18, CUST-21: the search reads contacts added from the customer page."""
    client = client_for(people["zhang"])
    client.post(reverse("customers:contact_create", args=[silk.pk]), {"name": "Jonas Weber", "email": "jw@x.de"})
    assert search(client, q="jonas") == [silk.code]
    assert search(client, q="jw@x") == [silk.code]


def test_the_owner_drop_down_lists_one_salespersons_customers(manager, people, silk, steel):
    """CUST-17: [Owner] narrows the list to the customers a salesperson currently owns."""
    client = client_for(manager)
    assert search(client, owner=people["li"].employee.pk) == [steel.code]
    assert search(client, owner=people["zhang"].employee.pk) == [silk.code, steel.code]


def test_category_filters_combine_with_and(people, silk, steel, codes):
    """CUST-19: type, level, source and industry filters combine with AND."""
    client = client_for(people["zhang"])
    importer = codes("customer_type", "IMP").pk
    assert search(client, customer_type=importer) == [silk.code, steel.code]
    assert search(client, customer_type=importer, level=codes("customer_level", "B").pk) == [steel.code]
    assert search(client, customer_type=importer, source=codes("customer_source", "FAIR").pk,
                  industry=codes("industry", "TEX").pk) == [silk.code]
    assert search(client, customer_type=importer, industry=codes("industry", "CHE").pk) == []
    assert search(client, q="steel", level=codes("customer_level", "A").pk) == []


def test_a_product_filter_matches_any_chosen_product(people, silk, steel, codes):
    """CUST-19: products match when the customer has any of the chosen ones."""
    client = client_for(people["zhang"])
    garments, fittings, lighting = (codes("product", c).pk for c in ("P01", "P06", "P05"))
    assert search(client, products=[garments]) == [silk.code]
    assert search(client, products=[garments, fittings]) == [silk.code, steel.code]
    assert search(client, products=[lighting]) == []


def test_a_region_node_lists_its_customers_and_those_below(people, silk, steel, world):
    """CUST-14: clicking a region lists its visible customers, including sub-regions."""
    client = client_for(people["zhang"])
    assert search(client, region=world["zhejiang"].pk) == [silk.code]
    assert search(client, region=world["xihu"].pk) == [silk.code]
    assert search(client, region=world["ningbo"].pk) == []
    assert search(client, region=world["europe"].pk) == [steel.code]


def test_the_list_shows_columns_and_is_paginated(people, world):
    """CUST-14: the list has code, name, region, owners columns and pages."""
    for number in range(27):
        make_customer(f"Customer {number:02d}", world["china"], actor=people["zhang"])
    client = client_for(people["zhang"])
    first = client.get(reverse("customers:customer_list"))
    assert len(first.context["listing"].page) == 25
    html = first.content.decode()
    assert "Customer 26" in html
    assert "China" in html
    assert "张三" in html
    assert len(client.get(reverse("customers:customer_list"), {"page": 2}).context["listing"].page) == 2
    by_name = client.get(reverse("customers:customer_list"), {"sort": "name"})
    assert [c.name for c in by_name.context["listing"].page][:2] == ["Customer 00", "Customer 01"]


def test_search_only_reaches_visible_customers(people, silk, steel, world):
    """CUST-22, PERM-13: 李四 searching 丝绸 or its address finds nothing of 张三's."""
    client = client_for(people["li"])
    assert search(client, q="丝绸") == []
    assert search(client, q="hz-silk") == []
    assert search(client, q="steel") == [steel.code]
    assert search(client, owner=people["zhang"].employee.pk) == [steel.code]


def test_the_customer_query_is_read_only(department, silk, codes):
    """CUST-20: a user with only Customer query searches and opens records but gets no Modify or Delete."""
    services.ownership_add(customer=silk, employees=[make_employee("E06", "周八", department)], actor=None)
    reader = make_account("reader", employee_code="E06")
    reader.user_permissions.add(Permission.objects.get(codename="fn_customer_query"))
    client = client_for(reader)
    response = client.get(reverse("customers:customer_query"), {"q": "hzsc"})
    assert response.status_code == 200
    assert listed_codes(response) == [silk.code]
    assert "Customer query" in response.content.decode()
    detail = client.get(silk.get_absolute_url())
    assert detail.status_code == 200
    html = detail.content.decode()
    assert reverse("customers:customer_update", args=[silk.pk]) not in html
    assert reverse("customers:customer_delete", args=[silk.pk]) not in html
    assert client.get(reverse("customers:customer_update", args=[silk.pk])).status_code == 403
    assert client.post(reverse("customers:customer_delete", args=[silk.pk])).status_code == 403
    assert client.get(reverse("customers:customer_list")).status_code == 403


def test_the_customer_query_runs_category_search_too(people, silk, steel, codes):
    """CUST-19, CUST-20: the query page takes the same filters."""
    response = client_for(people["zhang"]).get(reverse("customers:customer_query"),
                                               {"industry": codes("industry", "MAC").pk})
    assert listed_codes(response) == [steel.code]
