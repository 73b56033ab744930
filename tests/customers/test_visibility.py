"""Visibility (CUST-22, PERM-13) and the permission matrix of every customer and ownership page."""

import pytest
from django.urls import reverse

from conftest import make_account
from customers.conftest import client_for, listed_codes, make_customer, strict
from matrix import check_matrix
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE
from tradeport.customers import services
from tradeport.customers.models import Customer, RegionOwnership, SavedQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def owned(people, world):
    """A customer of 张三 ('owner' in the matrix); 李四 ('other') does not own it."""
    return make_customer("Alpha", world["hangzhou"], actor=people["zhang"], main_email="info@alpha.com")


# The matrix -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["customer_detail", "customer_update", "customer_delete"])
def test_record_pages_404_for_a_salesperson_who_does_not_own_the_customer(users, owned, name):
    """CUST-22, PERM-13, GEN-01: anonymous 302, outsider 403, owner 200, another salesperson 404, PERM-11 200."""
    check_matrix(reverse(f"customers:{name}", args=[owned.pk]), users=users,
                 anonymous=302, outsider=403, owner=200, other=404, manager=200, admin=200)


def test_adding_a_contact_to_anothers_customer_is_404(users, owned):
    """CUST-21, PERM-13: the contact POST reads through visibility too; nothing is added."""
    check_matrix(reverse("customers:contact_create", args=[owned.pk]), users=users, method="post",
                 data={"name": "Intruder", "email": "intruder@x.com"}, anonymous=302, outsider=403, other=404)
    assert not owned.contacts.exists()


def test_deleting_anothers_customer_is_404(users, owned):
    """CUST-16, PERM-13: another salesperson's delete POST is refused and changes nothing."""
    check_matrix(reverse("customers:customer_delete", args=[owned.pk]), users=users, method="post",
                 anonymous=302, outsider=403, other=404)
    owned.refresh_from_db()
    assert not owned.is_deleted


def test_modifying_anothers_customer_is_404(users, owned, world):
    """CUST-15, PERM-13: another salesperson's modify POST is refused and changes nothing."""
    from customers.conftest import form_data

    check_matrix(reverse("customers:customer_update", args=[owned.pk]), users=users, method="post",
                 data=form_data(world["hangzhou"], name="Stolen"), anonymous=302, outsider=403, other=404)
    owned.refresh_from_db()
    assert owned.name == "Alpha"


def test_customer_pages_need_the_employee_functions(users):
    """GEN-01, PERM-04: the employee template opens the customer pages; an outsider gets 403."""
    for name in ("customer_list", "customer_query", "customer_create", "customer_import", "customer_export"):
        check_matrix(reverse(f"customers:{name}"), users=users,
                     anonymous=302, outsider=403, salesperson=200, manager=200, admin=200)


def test_ownership_pages_need_their_functions(users):
    """GEN-01, PERM-05: ownership set-up, query and transfer are not in the employee template."""
    for name in ("ownership_setup", "ownership_query", "ownership_query_csv", "ownership_transfer"):
        check_matrix(reverse(f"customers:{name}"), users=users,
                     anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)


def test_ownership_posts_need_their_functions(users, owned, world):
    """GEN-01, OWN-24: a salesperson's direct POST to an ownership action is refused and changes nothing."""
    from tradeport.system import options

    region = world["china"].pk
    for name, args in (("ownership_mode", []), ("ownership_move", []), ("region_setting", [region]),
                       ("region_push_down", [region]), ("saved_query_save", []), ("saved_query_default", [1]),
                       ("saved_query_delete", [1])):
        check_matrix(reverse(f"customers:{name}", args=args), users=users, method="post",
                     data={"mode": "strict", "name": "q", "column": "employee_code", "op": "eq", "value": "E01",
                           "combinator": "and", "source": owned.pk, "target": owned.pk, "customer": owned.pk},
                     anonymous=302, outsider=403, salesperson=403)
    assert options.get("ownership_mode") == "non_strict"
    assert not RegionOwnership.objects.exists()
    assert not SavedQuery.objects.exists()


def test_restore_and_bulk_assignment_are_guarded(users, owned, people):
    """CUST-16, OWN-06, PERM-11: restoring needs PERM-11; bulk assignment only touches visible customers."""
    services.customer_delete(customer=owned, actor=people["zhang"])
    check_matrix(reverse("customers:customer_restore", args=[owned.pk]), users=users, method="post",
                 anonymous=302, outsider=403, owner=403, other=403)
    owned.refresh_from_db()
    assert owned.is_deleted
    services.customer_restore(customer=owned, actor=None)
    client_for(people["li"]).post(reverse("customers:customer_bulk_assign"), {
        "customer": [owned.pk], "owners": [people["li"].employee.pk], "mode": "replace"})
    assert list(owned.ownerships.current().values_list("employee__code", flat=True)) == ["E01"]


# What each user sees ------------------------------------------------------------------------------

def test_a_salesperson_sees_only_the_customers_he_or_she_owns(people, world):
    """CUST-22, PERM-13, OWN-02: in every list each salesperson sees only his or her own customers."""
    mine = make_customer("Mine", world["china"], actor=people["zhang"])
    theirs = make_customer("Theirs", world["china"], actor=people["li"])
    shared = make_customer("Shared", world["china"], actor=people["li"],
                           owners=[people["zhang"].employee, people["li"].employee])
    for name in ("customer_list", "customer_query"):
        assert listed_codes(client_for(people["zhang"]).get(reverse(f"customers:{name}"))) == [mine.code, shared.code]
        assert listed_codes(client_for(people["li"]).get(reverse(f"customers:{name}"))) == [theirs.code, shared.code]
        assert listed_codes(client_for(people["wang"]).get(reverse(f"customers:{name}"))) == []


def test_perm11_holders_see_every_customer(manager, admin_account, people, world):
    """PERM-11, PERM-13: accounts.all_customers_inspection shows every customer."""
    make_customer("Mine", world["china"], actor=people["zhang"])
    make_customer("Theirs", world["china"], actor=people["li"])
    for account in (manager, admin_account):
        assert len(listed_codes(client_for(account).get(reverse("customers:customer_list")))) == 2
    assert Customer.objects.visible_to(manager).count() == 2


def test_an_account_without_an_employee_or_inactive_sees_nothing(people, world):
    """PERM-13: no employee code (or a disabled account) means no customers, not all of them."""
    make_customer("Mine", world["china"], actor=people["zhang"])
    loose = make_account("loose", template=EMPLOYEE_TEMPLATE)
    assert listed_codes(client_for(loose).get(reverse("customers:customer_list"))) == []
    people["zhang"].is_active = False
    assert Customer.objects.visible_to(people["zhang"]).count() == 0


def test_a_former_owner_loses_sight_of_the_customer(people, world):
    """PERM-13, OWN-13: visibility follows the current ownership, not the history."""
    customer = make_customer("Mine", world["china"], actor=people["zhang"])
    services.ownership_set(customer=customer, employees=[people["li"].employee], actor=None)
    assert client_for(people["zhang"]).get(customer.get_absolute_url()).status_code == 404
    assert client_for(people["li"]).get(customer.get_absolute_url()).status_code == 200


def test_in_strict_mode_default_owners_see_the_regions_customers(people, world):
    """PERM-13, OWN-09: a default owner of Zhejiang sees its customers (and below) in strict mode only."""
    from customers.conftest import set_option

    hangzhou = make_customer("Hangzhou Co", world["hangzhou"], actor=people["zhang"])
    munich = make_customer("Munich Co", world["munich"], actor=people["zhang"])
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=[],
                                 default_owners=[people["wang"].employee])
    client = client_for(people["wang"])
    assert listed_codes(client.get(reverse("customers:customer_list"))) == []
    strict()
    assert listed_codes(client.get(reverse("customers:customer_list"))) == [hangzhou.code]
    assert client.get(hangzhou.get_absolute_url()).status_code == 200
    assert client.get(reverse("customers:customer_update", args=[hangzhou.pk])).status_code == 200
    assert client.get(munich.get_absolute_url()).status_code == 404
    set_option("ownership_mode", "non_strict")
    assert client.get(hangzhou.get_absolute_url()).status_code == 404


def test_a_sub_region_with_its_own_setting_is_not_seen_by_the_parents_default_owner(people, world):
    """PERM-13, OWN-09, OWN-10: a region with its own lists governs itself; one inheriting follows the parent."""
    strict()
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=[people["zhang"].employee],
                                 default_owners=[people["wang"].employee])
    services.region_setting_save(region=world["hangzhou"], inherit=False, creators=[people["zhang"].employee],
                                 default_owners=[people["li"].employee])
    services.region_setting_save(region=world["ningbo"], inherit=True, creators=[], default_owners=[])
    in_hangzhou = make_customer("Hangzhou Co", world["xihu"], actor=people["zhang"])
    in_ningbo = make_customer("Ningbo Co", world["ningbo"], actor=people["zhang"])
    assert sorted(Customer.objects.visible_to(people["wang"]).values_list("code", flat=True)) == [in_ningbo.code]
    assert sorted(Customer.objects.visible_to(people["li"]).values_list("code", flat=True)) == [in_hangzhou.code]


def test_the_customer_picker_offers_only_visible_customers(people, manager, world):
    """CUST-22, GEN-06: the picker searches and browses regions, but lists only customers the user may see."""
    mine = make_customer("Alpha Mine", world["hangzhou"], actor=people["zhang"])
    make_customer("Alpha Theirs", world["hangzhou"], actor=people["li"])
    url = reverse("customers:customer_picker")

    def picked(account, **params):
        response = client_for(account).get(url, {"target": "id_customer", **params})
        assert response.status_code == 200
        return [c.name for c in response.context["customers"]]

    assert picked(people["zhang"], q="alpha") == ["Alpha Mine"]
    assert picked(people["zhang"], region=world["zhejiang"].pk) == ["Alpha Mine"]
    assert picked(people["zhang"]) == []
    assert picked(manager, q="alpha") == ["Alpha Mine", "Alpha Theirs"]
    html = client_for(people["li"]).get(url, {"q": "alpha"}).content.decode()
    assert "Alpha Mine" not in html
    assert mine.code not in html
    assert client_for(people["zhang"]).get(url).status_code == 200
    from django.test import Client

    assert Client().get(url).status_code == 302


def test_ownership_set_up_reads_through_visibility_too(people, world):
    """CUST-22, PERM-13, OWN-03, OWN-05: a salesperson granted Ownership set-up lists and moves only visible customers."""
    from django.contrib.auth.models import Permission

    mine = make_customer("Mine", world["china"], actor=people["zhang"])
    theirs = make_customer("Theirs", world["china"], actor=people["li"])
    people["zhang"].user_permissions.add(Permission.objects.get(codename="fn_ownership_setup"))
    client = client_for(people["zhang"])
    assert listed_codes(client.get(reverse("customers:ownership_setup"), {"region": world["asia"].pk})) == [mine.code]
    assert listed_codes(client.get(reverse("customers:ownership_setup"), {
        "view": "salesperson", "salesperson": people["li"].employee.pk})) == []
    client.post(reverse("customers:ownership_move"), {
        "source": people["li"].employee.pk, "target": people["zhang"].employee.pk, "customer": [theirs.pk]})
    assert list(theirs.ownerships.current().values_list("employee__code", flat=True)) == ["E02"]
