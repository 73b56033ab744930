"""Transfer customers by salesperson (OWN-22..24): one step, one log row, co-owners untouched."""

import pytest
from django.urls import reverse

from customers.conftest import client_for, current_owner_codes, make_customer
from tradeport.audit.models import OperationLogEntry
from tradeport.customers.models import Ownership

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(people, world):
    """张三 owns Alone and Shared (with 王五); 李四 owns Other."""
    zhang, wang = people["zhang"].employee, people["wang"].employee
    return {
        "alone": make_customer("Alone", world["china"], actor=people["zhang"]),
        "shared": make_customer("Shared", world["china"], actor=people["zhang"], owners=[zhang, wang]),
        "other": make_customer("Other", world["china"], actor=people["li"]),
    }


def transfer(client, source, target=None):
    return client.post(reverse("customers:ownership_transfer"),
                       {"source": source.pk, "target": target.pk if target else ""})


def test_the_form_offers_salespeople_who_own_customers_with_their_counts(manager, people, book):
    """OWN-22: step 1 lists the source salespeople with how many customers each owns."""
    response = client_for(manager).get(reverse("customers:ownership_transfer"))
    html = response.content.decode()
    assert "E01 张三 (2)" in html
    assert "E02 李四 (1)" in html
    assert "E03 王五 (1)" in html
    assert "Empty: remove the ownership of the source salesperson." in html


def test_transfer_gives_all_customers_of_a_to_b_and_keeps_co_owners(manager, people, book):
    """OWN-22, OWN-23, OWN-13: every customer of 张三 goes to 李四; 王五 keeps Shared; history rows are written."""
    response = transfer(client_for(manager), people["zhang"].employee, people["li"].employee)
    assert response.status_code == 200
    assert "2 customers moved from 张三 to 李四." in response.content.decode()
    assert current_owner_codes(book["alone"]) == ["E02"]
    assert current_owner_codes(book["shared"]) == ["E02", "E03"]
    assert current_owner_codes(book["other"]) == ["E02"]
    assert Ownership.objects.filter(employee__code="E01", is_latest=False).count() == 2
    assert not Ownership.objects.filter(employee__code="E01", is_latest=True).exists()
    assert client_for(people["zhang"]).get(book["alone"].get_absolute_url()).status_code == 404
    assert client_for(people["li"]).get(book["alone"].get_absolute_url()).status_code == 200


def test_transfer_writes_one_operation_log_row(manager, people, book):
    """OWN-24: the transfer is one log row naming source, target and the customers."""
    before = OperationLogEntry.objects.count()
    transfer(client_for(manager), people["zhang"].employee, people["li"].employee)
    assert OperationLogEntry.objects.count() == before + 1
    entry = OperationLogEntry.objects.latest("id")
    assert entry.username == "boss"
    assert (entry.changes["source"], entry.changes["target"]) == ("E01", "E02")
    assert sorted(entry.changes["customers"]) == sorted([book["alone"].code, book["shared"].code])


def test_an_empty_target_removes_the_ownership(manager, people, book):
    """OWN-22, OWN-23: the default target removes A's ownership; co-owned customers keep their other owners."""
    response = transfer(client_for(manager), people["zhang"].employee)
    assert "张三 no longer owns 2 customers." in response.content.decode()
    assert current_owner_codes(book["alone"]) == []
    assert current_owner_codes(book["shared"]) == ["E03"]
    entry = OperationLogEntry.objects.latest("id")
    assert entry.changes["target"] is None


def test_a_target_who_already_co_owns_is_not_doubled(manager, people, book):
    """OWN-23: giving Shared to its co-owner leaves one current row for him."""
    transfer(client_for(manager), people["zhang"].employee, people["wang"].employee)
    assert current_owner_codes(book["shared"]) == ["E03"]
    assert Ownership.objects.filter(customer=book["shared"], employee__code="E03").count() == 1
    assert current_owner_codes(book["alone"]) == ["E03"]


def test_the_source_cannot_be_the_target(manager, people, book):
    """OWN-22: transferring to oneself is refused with a message; nothing changes."""
    response = transfer(client_for(manager), people["zhang"].employee, people["zhang"].employee)
    assert response.status_code == 200
    assert "Choose a different salesperson as the target." in response.content.decode()
    assert current_owner_codes(book["alone"]) == ["E01"]


def test_a_salesperson_who_left_can_still_be_the_source(manager, people, staff, world, book):
    """OWN-22, ORG-13: the customers of someone who left are what usually needs moving."""
    make_customer("Orphaned", world["china"], actor=people["zhang"], owners=[staff["gone"]])
    client = client_for(manager)
    assert "E05 孙七 (1) · left" in client.get(reverse("customers:ownership_transfer")).content.decode()
    transfer(client, staff["gone"], people["li"].employee)
    assert not Ownership.objects.filter(employee=staff["gone"], is_latest=True).exists()


def test_the_target_must_be_an_active_salesperson(manager, people, staff, book):
    """OWN-22: the target picker offers salespeople; someone who left is refused."""
    response = transfer(client_for(manager), people["zhang"].employee, staff["gone"])
    assert response.status_code == 200
    assert response.context["form"].errors["target"]
    assert current_owner_codes(book["alone"]) == ["E01"]
