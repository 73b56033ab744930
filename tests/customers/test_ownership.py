"""Regional ownership (OWN-01..13, OWN-23, OWN-24): modes, region settings, move, bulk assignment, history."""

import pytest
from django.urls import reverse

from customers.conftest import (
    client_for,
    current_owner_codes,
    form_data,
    listed_codes,
    make_customer,
    strict,
)
from tradeport.audit.models import OperationLogEntry
from tradeport.customers import ownership as rules
from tradeport.customers import services
from tradeport.customers.models import Customer, Ownership, RegionOwnership
from tradeport.system import options

pytestmark = pytest.mark.django_db


def employees(people, *names):
    return [people[n].employee for n in names]


# Mode (OWN-01, OWN-02) ---------------------------------------------------------------------------

def test_the_mode_is_non_strict_by_default_and_switched_company_wide_with_a_log(manager):
    """OWN-01, OWN-24: the default is non-strict; switching stores the option, confirms, and is logged."""
    client = client_for(manager)
    page = client.get(reverse("customers:ownership_setup")).content.decode()
    assert options.get("ownership_mode") == "non_strict"
    assert 'id="mode-non-strict" checked' in page
    assert "Change the company-wide ownership mode?" in page
    response = client.post(reverse("customers:ownership_mode"), {"mode": "strict"}, follow=True)
    assert "Ownership is now strict by region." in response.content.decode()
    assert options.get("ownership_mode") == "strict"
    entry = OperationLogEntry.objects.filter(module="system").latest("id")
    assert entry.changes["value"][1] == "strict"
    assert entry.username == "boss"
    client.post(reverse("customers:ownership_mode"), {"mode": "anything"})
    assert options.get("ownership_mode") == "strict"


def test_in_non_strict_mode_anyone_creates_anywhere_and_still_sees_only_their_own(people, world):
    """OWN-02: every salesperson may create in any region; each still sees only his or her customers."""
    services.region_setting_save(region=world["china"], inherit=False, creators=employees(people, "li"),
                                 default_owners=employees(people, "li"))
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"),
                                                 form_data(world["hangzhou"], name="Alpha"))
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert current_owner_codes(customer) == ["E01"]
    assert client_for(people["li"]).get(customer.get_absolute_url()).status_code == 404


# Strict mode creation (CUST-12, OWN-08, OWN-09, OWN-12) -------------------------------------------

def test_in_strict_mode_only_authorised_creators_may_create_in_a_region(people, world):
    """CUST-12, OWN-08, OWN-12: a non-creator is refused on the region field; a creator may create there."""
    strict()
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=[])
    refused = client_for(people["li"]).post(reverse("customers:customer_create"),
                                            form_data(world["hangzhou"], name="Alpha"))
    assert refused.status_code == 400
    assert ("Ownership is strict by region, and you are not an authorised creator for Hangzhou."
            in refused.context["form"].errors["region"])
    assert not Customer.objects.exists()
    allowed = client_for(people["zhang"]).post(reverse("customers:customer_create"),
                                               form_data(world["hangzhou"], name="Alpha"))
    assert allowed.status_code == 302


def test_a_region_without_settings_lets_only_perm11_holders_create(people, manager, world):
    """OWN-12: nothing set anywhere up the tree: salespeople are refused, PERM-11 holders may create."""
    strict()
    refused = client_for(people["zhang"]).post(reverse("customers:customer_create"),
                                               form_data(world["munich"], name="Alpha"))
    assert refused.status_code == 400
    allowed = client_for(manager).post(reverse("customers:customer_create"), form_data(
        world["munich"], name="Alpha", owners=[people["li"].employee.pk]))
    assert allowed.status_code == 302
    assert current_owner_codes(Customer.objects.get()) == ["E02"]


def test_in_strict_mode_the_owners_are_the_default_owners_plus_the_creator(people, world):
    """OWN-09, OWN-12, CUST-10: a new customer is owned by its creator and the region's default owners."""
    strict()
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=employees(people, "li", "wang"))
    client_for(people["zhang"]).post(reverse("customers:customer_create"), form_data(world["xihu"], name="Alpha"))
    customer = Customer.objects.get()
    assert current_owner_codes(customer) == ["E01", "E02", "E03"]
    assert client_for(people["wang"]).get(customer.get_absolute_url()).status_code == 200


def test_a_default_owner_who_left_is_not_made_owner(people, staff, world):
    """OWN-09, ORG-13: only active default owners are given new customers."""
    strict()
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=[staff["gone"], staff["li"]])
    customer = make_customer("Alpha", world["xihu"], actor=people["zhang"])
    assert current_owner_codes(customer) == ["E01", "E02"]


# Inherit and push down (OWN-10, OWN-11) -------------------------------------------------------------

def test_an_inheriting_region_follows_its_parent_live(people, world):
    """OWN-10: with [Inherit from parent] the parent's lists apply, and a later change to them applies at once."""
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=employees(people, "li"))
    services.region_setting_save(region=world["hangzhou"], inherit=True, creators=employees(people, "wang"),
                                 default_owners=employees(people, "wang"))
    assert [e.code for e in rules.creators_for(world["xihu"])] == ["E01"]
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "li"),
                                 default_owners=employees(people, "zhang"))
    assert [e.code for e in rules.creators_for(world["hangzhou"])] == ["E02"]
    assert [e.code for e in rules.default_owners_for(world["xihu"])] == ["E01"]
    services.region_setting_save(region=world["hangzhou"], inherit=False, creators=employees(people, "wang"),
                                 default_owners=[])
    assert [e.code for e in rules.creators_for(world["xihu"])] == ["E03"]
    assert rules.default_owners_for(world["xihu"]) == []


def test_region_settings_are_saved_from_the_setup_page_and_logged(manager, people, world):
    """OWN-07, OWN-08, OWN-09, OWN-24: [Set] stores creators and default owners; the log has before and after."""
    client = client_for(manager)
    response = client.post(reverse("customers:region_setting", args=[world["germany"].pk]), {
        "setting-creators": [people["zhang"].employee.pk, people["li"].employee.pk],
        "setting-default_owners": [people["wang"].employee.pk]}, follow=True)
    assert "Ownership settings of Germany saved." in response.content.decode()
    setting = RegionOwnership.objects.get(region=world["germany"])
    assert sorted(setting.creators.values_list("code", flat=True)) == ["E01", "E02"]
    assert list(setting.default_owners.values_list("code", flat=True)) == ["E03"]
    entry = OperationLogEntry.objects.filter(object_type="customers.regionownership").latest("id")
    assert entry.changes["creators"] == [[], ["E01", "E02"]]
    assert entry.changes["default_owners"] == [[], ["E03"]]
    page = client.get(reverse("customers:ownership_setup"), {"region": world["munich"].pk}).content.decode()
    assert "Effective settings come from Germany." in page


def test_push_down_copies_the_settings_to_every_descendant_and_replaces_theirs(manager, people, world):
    """OWN-11, OWN-24: [Push down] gives all regions below the same lists, as their own, with a log row."""
    services.region_setting_save(region=world["bavaria"], inherit=False, creators=employees(people, "wang"),
                                 default_owners=employees(people, "wang"))
    services.region_setting_save(region=world["germany"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=employees(people, "li"))
    response = client_for(manager).post(reverse("customers:region_push_down", args=[world["germany"].pk]), follow=True)
    assert "Settings of Germany copied to 2 regions below it." in response.content.decode()
    for region in (world["bavaria"], world["munich"]):
        setting = RegionOwnership.objects.get(region=region)
        assert not setting.inherit_from_parent
        assert list(setting.creators.values_list("code", flat=True)) == ["E01"]
        assert list(setting.default_owners.values_list("code", flat=True)) == ["E02"]
    assert not RegionOwnership.objects.filter(region=world["europe"]).exists()
    # A one-off copy: a later change to Germany does not reach them.
    services.region_setting_save(region=world["germany"], inherit=False, creators=employees(people, "wang"),
                                 default_owners=[])
    assert [e.code for e in rules.creators_for(world["munich"])] == ["E01"]
    assert OperationLogEntry.objects.filter(object_repr="push down ownership of Germany").exists()


# The set-up page views (OWN-03, OWN-04, OWN-23) -------------------------------------------------------

def test_customers_are_listed_by_region_or_by_salesperson(manager, people, world):
    """OWN-03: [By region] lists a region's customers, [By salesperson] a salesperson's."""
    hangzhou = make_customer("Hangzhou Co", world["hangzhou"], actor=people["zhang"])
    munich = make_customer("Munich Co", world["munich"], actor=people["li"])
    make_customer("Supplier Co", world["munich"], actor=people["li"], kind=Customer.Kind.SUPPLIER)
    client = client_for(manager)
    url = reverse("customers:ownership_setup")
    assert listed_codes(client.get(url)) == []
    assert listed_codes(client.get(url, {"region": world["zhejiang"].pk})) == [hangzhou.code]
    assert listed_codes(client.get(url, {"region": world["germany"].pk})) == [munich.code]
    assert listed_codes(client.get(url, {"view": "salesperson", "salesperson": people["li"].employee.pk})) == [
        munich.code]


def test_the_salesperson_counts_match_the_listed_customers(manager, people, world):
    """OWN-03: the count beside a salesperson is the number of customers listed for him or her (deleted ones excluded)."""
    keep = make_customer("Keep", world["china"], actor=people["zhang"])
    gone = make_customer("Gone", world["china"], actor=people["zhang"])
    services.customer_delete(customer=gone, actor=manager)
    response = client_for(manager).get(reverse("customers:ownership_setup"),
                                       {"view": "salesperson", "salesperson": people["zhang"].employee.pk})
    assert listed_codes(response) == [keep.code]
    counts = {e.code: e.customer_count for e in response.context["salespeople"]}
    assert counts["E01"] == 1


def test_the_region_view_offers_everyone_in_non_strict_mode_and_only_the_entitled_in_strict(manager, people, world):
    """OWN-04, OWN-12: the owner list is every salesperson, or in strict mode the region's creators and default owners."""
    make_customer("Alpha", world["hangzhou"], actor=people["zhang"])
    services.region_setting_save(region=world["zhejiang"], inherit=False, creators=employees(people, "zhang"),
                                 default_owners=employees(people, "wang"))
    client = client_for(manager)
    url = reverse("customers:ownership_setup")
    offered = [e.code for e in client.get(url, {"region": world["hangzhou"].pk}).context["entitled"]]
    assert offered == ["E01", "E02", "E03"]
    strict()
    offered = [e.code for e in client.get(url, {"region": world["hangzhou"].pk}).context["entitled"]]
    assert offered == ["E01", "E03"]


def test_unowned_customers_appear_under_unowned(manager, people, world):
    """OWN-23, MAIL-18: a customer left without owners is listed under [Unowned] for PERM-11 holders."""
    owned = make_customer("Owned", world["china"], actor=people["zhang"])
    orphan = make_customer("Orphan", world["china"], actor=people["li"])
    services.ownership_transfer(source=people["li"].employee, target=None, actor=manager)
    response = client_for(manager).get(reverse("customers:ownership_setup"), {"view": "unowned"})
    assert listed_codes(response) == [orphan.code]
    assert owned.code not in listed_codes(response)
    assert "Unowned" in response.content.decode()


# Move (OWN-05) ------------------------------------------------------------------------------------------

def test_move_hands_the_selected_customers_to_another_salesperson_keeping_co_owners(manager, people, world):
    """OWN-05, OWN-13, OWN-24: ownership moves from A to B for the selected customers only; co-owners stay."""
    shared = make_customer("Shared", world["china"], actor=people["zhang"], owners=employees(people, "zhang", "wang"))
    alone = make_customer("Alone", world["china"], actor=people["zhang"])
    kept = make_customer("Kept", world["china"], actor=people["zhang"])
    response = client_for(manager).post(reverse("customers:ownership_move"), {
        "source": people["zhang"].employee.pk, "target": people["li"].employee.pk,
        "customer": [shared.pk, alone.pk]}, follow=True)
    assert "2 customers moved from 张三 to 李四." in response.content.decode()
    assert current_owner_codes(shared) == ["E02", "E03"]
    assert current_owner_codes(alone) == ["E02"]
    assert current_owner_codes(kept) == ["E01"]
    ended = Ownership.objects.get(customer=alone, employee__code="E01")
    assert not ended.is_latest
    assert ended.ended_at is not None
    entry = OperationLogEntry.objects.filter(object_type="customers.customer", object_id=str(shared.pk)).latest("id")
    assert entry.changes["owners"] == [["E01", "E03"], ["E02", "E03"]]


def test_move_needs_a_target_salesperson(manager, people, world):
    """OWN-05: without a target nothing moves and the user is told."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    response = client_for(manager).post(reverse("customers:ownership_move"), {
        "source": people["zhang"].employee.pk, "customer": [customer.pk]}, follow=True)
    assert "Choose the salesperson to move the customers to." in response.content.decode()
    assert current_owner_codes(customer) == ["E01"]


# Bulk assignment (OWN-06) -----------------------------------------------------------------------------

def test_bulk_assignment_replaces_the_owners_by_default(manager, people, world):
    """OWN-06, OWN-24: [Assign owner] with 'replace' makes the chosen people the only owners, logged per customer."""
    first = make_customer("First", world["china"], actor=people["zhang"])
    second = make_customer("Second", world["china"], actor=people["li"])
    response = client_for(manager).post(reverse("customers:customer_bulk_assign"), {
        "customer": [first.pk, second.pk], "owners": [people["wang"].employee.pk]}, follow=True)
    assert "Owners of 2 customers updated." in response.content.decode()
    assert current_owner_codes(first) == ["E03"]
    assert current_owner_codes(second) == ["E03"]
    entry = OperationLogEntry.objects.filter(object_type="customers.customer", object_id=str(second.pk)).latest("id")
    assert entry.changes["owners"] == [["E02"], ["E03"]]


def test_bulk_assignment_can_add_to_the_owners(manager, people, world):
    """OWN-06: 'add' keeps the current owners and adds the chosen ones."""
    first = make_customer("First", world["china"], actor=people["zhang"])
    second = make_customer("Second", world["china"], actor=people["wang"])
    client_for(manager).post(reverse("customers:customer_bulk_assign"), {
        "customer": [first.pk, second.pk], "owners": [people["wang"].employee.pk], "mode": "add"})
    assert current_owner_codes(first) == ["E01", "E03"]
    assert current_owner_codes(second) == ["E03"]
    assert Ownership.objects.filter(customer=second).count() == 1


def test_bulk_assignment_needs_customers_and_owners(manager, people, staff, world):
    """OWN-06: nothing chosen, or only people who are no active salespeople, changes nothing."""
    customer = make_customer("First", world["china"], actor=people["zhang"])
    client = client_for(manager)
    response = client.post(reverse("customers:customer_bulk_assign"), {"customer": [customer.pk]}, follow=True)
    assert "Select at least one customer and one owner." in response.content.decode()
    client.post(reverse("customers:customer_bulk_assign"), {
        "customer": [customer.pk], "owners": [staff["gone"].pk, staff["clerk"].pk]})
    assert current_owner_codes(customer) == ["E01"]


# History (OWN-13) -----------------------------------------------------------------------------------------

def test_reassigning_keeps_the_history_and_marks_only_current_rows_latest(people, world):
    """OWN-13: each assignment is a row; reassigning clears 'latest' on old rows and adds new ones."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    services.ownership_set(customer=customer, employees=employees(people, "li"), actor=None)
    services.ownership_set(customer=customer, employees=employees(people, "li", "zhang"), actor=None)
    rows = list(Ownership.objects.filter(customer=customer).order_by("id").values_list(
        "employee__code", "is_latest"))
    assert rows == [("E01", False), ("E02", True), ("E01", True)]
    assert services.ownership_set(customer=customer, employees=employees(people, "li", "zhang"), actor=None) is None
    assert Ownership.objects.filter(customer=customer).count() == 3


def test_the_detail_page_shows_the_owners_and_their_history(people, world):
    """OWN-13: the customer page lists current owners and the assignment history."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    services.ownership_set(customer=customer, employees=employees(people, "zhang", "li"), actor=people["zhang"])
    html = client_for(people["li"]).get(customer.get_absolute_url()).content.decode()
    assert "张三 (E01)" in html
    assert "李四 (E02)" in html
    assert "Ownership history" in html
    assert html.count("<td>✓</td>") == 2
