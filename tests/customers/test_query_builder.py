"""The ownership query builder (OWN-14..21): allow-listed columns and operators, left-to-right AND/OR, saved queries, CSV."""

import csv
import datetime
import io
import zoneinfo

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers.conftest import client_for, make_customer, make_employee
from tradeport.customers import querybuilder, services
from tradeport.customers.models import Ownership, SavedQuery

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ladder(department, world, manager):
    """Employees 0005..0011, each owning one customer named after the code (C-0005 …)."""
    owners = {}
    for number in range(5, 12):
        code = f"{number:04d}"
        employee = make_employee(code, f"员工{number}", department)
        owners[code] = make_customer(f"C-{code}", world["china"], owners=[employee], actor=manager)
    return owners


def run(conditions) -> list[str]:
    q = querybuilder.compile_conditions(querybuilder.parse(conditions))
    return sorted(Ownership.objects.filter(q).values_list("customer__name", flat=True))


def cond(column, op, value, combinator="and"):
    return {"column": column, "op": op, "value": value, "combinator": combinator}


def test_the_manuals_example_finds_the_owners_of_employees_0006_to_0010(ladder):
    """OWN-15: employee code >= 0006 AND employee code <= 0010."""
    assert run([cond("employee_code", "gte", "0006"), cond("employee_code", "lte", "0010")]) == [
        "C-0006", "C-0007", "C-0008", "C-0009", "C-0010"]


@pytest.mark.parametrize(("condition", "expected"), [
    (cond("employee_code", "eq", "0007"), ["C-0007"]),
    (cond("employee_code", "gt", "0009"), ["C-0010", "C-0011"]),
    (cond("employee_code", "lt", "0006"), ["C-0005"]),
    (cond("employee_code", "ne", "0005"), ["C-0006", "C-0007", "C-0008", "C-0009", "C-0010", "C-0011"]),
    (cond("employee_name", "contains", "工1"), ["C-0010", "C-0011"]),
    (cond("customer_code", "eq", "000003"), ["C-0007"]),
    (cond("customer_name", "contains", "c-000"), ["C-0005", "C-0006", "C-0007", "C-0008", "C-0009"]),
])
def test_each_operator_works_on_its_column(ladder, condition, expected):
    """OWN-14: equals, greater/less than, not equal and contains (ignoring case) on the text columns."""
    assert run([condition]) == expected


def test_conditions_are_combined_left_to_right(ladder):
    """OWN-15: A OR B AND C means (A OR B) AND C, not A OR (B AND C)."""
    conditions = [cond("employee_code", "eq", "0005"), cond("employee_code", "eq", "0006", "or"),
                  cond("customer_name", "eq", "C-0006")]
    assert run(conditions) == ["C-0006"]
    conditions = [cond("employee_code", "eq", "0005"), cond("employee_code", "eq", "0006", "and"),
                  cond("customer_name", "eq", "C-0007", "or")]
    assert run(conditions) == ["C-0007"]


def test_the_assignment_date_and_latest_flag_columns(ladder, people):
    """OWN-13, OWN-14: dates compare by the local calendar day; the latest flag takes yes/no."""
    customer = ladder["0005"]
    services.ownership_set(customer=customer, employees=[people["li"].employee], actor=None)
    Ownership.objects.filter(customer=customer, employee__code="0005").update(
        assigned_at=datetime.datetime(2025, 3, 10, 1, 30, tzinfo=SHANGHAI))
    assert run([cond("assigned_at", "eq", "2025-03-10")]) == ["C-0005"]
    assert run([cond("assigned_at", "lt", "2025-03-11"), cond("is_latest", "eq", "no")]) == ["C-0005"]
    assert run([cond("is_latest", "eq", "no")]) == ["C-0005"]
    assert len(run([cond("is_latest", "eq", "是")])) == 7


@pytest.mark.parametrize(("conditions", "message"), [
    ([cond("password", "eq", "x")], "Condition 1: choose a column."),
    ([cond("employee_code", "eq", "0005"), cond("customer__region__name", "eq", "x")], "Condition 2: choose a column."),
    ([cond("employee_code", "regex", ".*")], "Condition 1: choose an operator."),
    ([cond("employee_code", "eq", "1"), cond("employee_code", "eq", "2", "xor")], "Condition 2: choose AND or OR."),
    ([cond("assigned_at", "eq", "10/03/2025")], "Condition 1: Assignment date needs a date like {today}."),
    ([cond("assigned_at", "contains", "2025")], "Condition 1: 'contains' works only on text columns."),
    ([cond("is_latest", "eq", "maybe")], "Condition 1: Latest assignment needs yes or no."),
    ([cond("is_latest", "eq", "")], "Condition 1: enter a value."),
])
def test_invalid_conditions_give_a_clear_error(conditions, message):
    """OWN-14, OWN-15: anything off the allow-list, or a value of the wrong type, is refused with a message;
    a date's example is today's date."""
    with pytest.raises(querybuilder.ConditionError) as caught:
        querybuilder.compile_conditions(querybuilder.parse(conditions))
    assert str(caught.value) == message.replace("{today}", timezone.localdate().isoformat())


def query_url(*conditions) -> str:
    from urllib.parse import urlencode

    pairs = [(k, c[k]) for c in conditions for k in ("column", "op", "value", "combinator")]
    return f"{reverse('customers:ownership_query')}?{urlencode(pairs)}"


def test_the_query_page_lists_results_with_the_six_columns(manager, ladder):
    """OWN-15, OWN-21: [Query] shows employee code and name, customer code and name, date and latest flag."""
    response = client_for(manager).get(query_url(cond("employee_code", "gte", "0010")))
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Employee code", "Employee name", "Customer code", "Customer name", "Assignment date",
                 "Latest assignment", "0010", "员工10", "000006", "C-0010", "C-0011"):
        assert text in html, text
    assert "C-0009" not in html
    assert [o.customer.name for o in response.context["listing"].page] == ["C-0010", "C-0011"]
    by_customer = client_for(manager).get(query_url(cond("employee_code", "gte", "0010")) + "&sort=-customer_name")
    assert [o.customer.name for o in by_customer.context["listing"].page] == ["C-0011", "C-0010"]


def test_an_invalid_condition_shows_the_error_page_with_status_400(manager, ladder):
    """OWN-15: the page says what is wrong and shows no result table."""
    response = client_for(manager).get(query_url(cond("employee_code", "eq", "0005"),
                                                 cond("assigned_at", "gt", "yesterday")))
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Condition 2: Assignment date needs a date like {timezone.localdate().isoformat()}." in html
    assert 'id="query-results"' not in html


def test_a_value_is_data_never_sql(manager, ladder):
    """OWN-14: a value like SQL is compared literally and finds nothing."""
    response = client_for(manager).get(query_url(cond("customer_name", "eq", "x' OR '1'='1")))
    assert response.status_code == 200
    assert list(response.context["listing"].page) == []


def test_results_only_cover_visible_customers(people, ladder, world):
    """OWN-21, CUST-22: a salesperson allowed to query sees only assignments of customers he or she may see."""
    mine = make_customer("Mine", world["china"], actor=people["zhang"])
    people["zhang"].user_permissions.add(Permission.objects.get(codename="fn_ownership_query"))
    response = client_for(people["zhang"]).get(query_url(cond("customer_name", "contains", "")))
    assert [o.customer for o in response.context["listing"].page] == [mine]


def test_a_query_is_saved_loaded_and_opened_by_default_per_account(manager, admin_account, ladder):
    """OWN-16..20: [Save query] stores it per account; [Load] restores; [Set as default] opens it; [Clear] empties."""
    client = client_for(manager)
    save = reverse("customers:saved_query_save")
    response = client.post(save, {"name": "Six to ten", "column": ["employee_code", "employee_code"],
                                  "op": ["gte", "lte"], "value": ["0006", "0010"], "combinator": ["and", "and"],
                                  "is_default": "on"}, follow=True)
    assert "Query Six to ten saved." in response.content.decode()
    query = SavedQuery.objects.get()
    assert (query.account, query.is_default) == (manager, True)
    assert query.conditions == [cond("employee_code", "gte", "0006"), cond("employee_code", "lte", "0010")]
    assert len(response.context["listing"].page) == 5

    opened = client.get(reverse("customers:ownership_query"))
    assert opened.context["loaded"] == query
    assert len(opened.context["listing"].page) == 5
    cleared = client.get(reverse("customers:ownership_query"), {"clear": "1"})
    assert cleared.context["loaded"] is None
    assert not cleared.context["ran"]

    # Another account neither lists nor loads it.
    other = client_for(admin_account)
    assert list(other.get(reverse("customers:ownership_query")).context["saved"]) == []
    assert other.get(reverse("customers:ownership_query"), {"load": query.pk}).status_code == 404

    # Saving under the same name replaces the conditions (OWN-16 modify).
    client.post(save, {"name": "Six to ten", "column": ["employee_code"], "op": ["eq"], "value": ["0006"],
                       "combinator": ["and"]})
    query.refresh_from_db()
    assert query.conditions == [cond("employee_code", "eq", "0006")]
    assert SavedQuery.objects.count() == 1


def test_the_default_can_be_moved_and_a_saved_query_deleted(manager, ladder):
    """OWN-19: one default per account; deleting a query removes it."""
    client = client_for(manager)
    first = SavedQuery.objects.create(account=manager, name="A", conditions=[cond("employee_code", "eq", "0005")],
                                      is_default=True)
    second = SavedQuery.objects.create(account=manager, name="B", conditions=[cond("employee_code", "eq", "0006")])
    client.post(reverse("customers:saved_query_default", args=[second.pk]))
    assert list(SavedQuery.objects.filter(is_default=True)) == [second]
    assert [o.customer.name for o in client.get(reverse("customers:ownership_query")).context["listing"].page] == [
        "C-0006"]
    client.post(reverse("customers:saved_query_delete", args=[first.pk]))
    assert list(SavedQuery.objects.all()) == [second]


def test_a_query_is_not_saved_without_a_name_or_with_a_bad_condition(manager, ladder):
    """OWN-17: the name is required and the conditions must be valid."""
    client = client_for(manager)
    save = reverse("customers:saved_query_save")
    response = client.post(save, {"name": "", "column": ["employee_code"], "op": ["eq"], "value": ["1"],
                                  "combinator": ["and"]}, follow=True)
    assert "Give the query a name." in response.content.decode()
    response = client.post(save, {"name": "Bad", "column": ["nope"], "op": ["eq"], "value": ["1"],
                                  "combinator": ["and"]}, follow=True)
    assert "Condition 1: choose a column." in response.content.decode()
    assert not SavedQuery.objects.exists()


def test_the_result_exports_as_csv(manager, ladder):
    """OWN-21: the CSV has a BOM, the six column headers, and one row per assignment."""
    url = query_url(cond("employee_code", "gte", "0010")).replace(
        reverse("customers:ownership_query"), reverse("customers:ownership_query_csv"))
    response = client_for(manager).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Employee code", "Employee name", "Customer code", "Customer name", "Assignment date",
                       "Latest assignment"]
    assert [r[:4] for r in rows[1:]] == [["0010", "员工10", "000006", "C-0010"], ["0011", "员工11", "000007", "C-0011"]]
    assert all(r[5] == "yes" for r in rows[1:])


def test_the_csv_gives_the_same_assignment_date_as_the_page(manager, ladder):
    """OWN-21: an assignment made at 01:30 in Shanghai is dated that day in the CSV, as on the page and in the filter."""
    Ownership.objects.filter(employee__code="0005").update(
        assigned_at=datetime.datetime(2025, 3, 10, 1, 30, tzinfo=SHANGHAI))
    condition = cond("assigned_at", "eq", "2025-03-10")
    client = client_for(manager)
    page = client.get(query_url(condition)).content.decode()
    assert "<td>2025-03-10</td>" in page
    url = query_url(condition).replace(reverse("customers:ownership_query"), reverse("customers:ownership_query_csv"))
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode().lstrip("\ufeff"))))
    assert rows[1][3:5] == ["C-0005", "2025-03-10"]


def test_an_invalid_csv_query_is_refused_with_the_reason(manager, ladder):
    """OWN-15, OWN-21: the CSV export gives 400 and the message for a bad condition."""
    response = client_for(manager).get(reverse("customers:ownership_query_csv"),
                                       {"column": "bogus", "op": "eq", "value": "1", "combinator": "and"})
    assert response.status_code == 400
    assert response.content.decode() == "Condition 1: choose a column."
