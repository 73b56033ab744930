"""Customer and supplier records (CUST-01..16): form, code, emails, contacts, owners, modify, delete."""

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.conftest import (
    client_for,
    current_owner_codes,
    form_data,
    listed_codes,
    make_customer,
    set_option,
)
from tradeport.audit.models import OperationLogEntry
from tradeport.customers.models import Contact, Customer, EmailAddress, Ownership
from tradeport.customers.services import mnemonic_for

pytestmark = pytest.mark.django_db


def create(client, region, **fields):
    return client.post(reverse("customers:customer_create"), form_data(region, **fields))


# The form (CUST-01, CUST-02, CUST-04) ----------------------------------------------------

def test_new_customer_form_marks_required_fields_and_offers_the_region_picker(people, world):
    """CUST-01, CUST-02, CUST-04: the form shows every field, '*' on name and region, and a region [Select]."""
    response = client_for(people["zhang"]).get(reverse("customers:customer_create"))
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("name", "mnemonic", "region", "main_email", "backup_emails_text", "phone", "fax", "owners",
                  "customer_type", "level", "source", "industry", "website", "address", "remarks"):
        assert f'name="{field}"' in html, field
    assert 'name="products"' in html or "id_products" in html
    assert re.search(r'for="id_name">[^<]*<span class="text-danger" title="required">\*</span>', html)
    assert re.search(r'for="id_region">[^<]*<span class="text-danger" title="required">\*</span>', html)
    assert not re.search(r'for="id_phone">[^<]*<span class="text-danger"', html)
    assert 'data-picker-open="id_region"' in html
    assert "contacts-TOTAL_FORMS" in html
    assert "The customer code is given automatically" in html


def test_a_customer_is_created_with_every_field_contacts_and_owners(people, staff, world, codes):
    """CUST-01, CUST-05, CUST-06, CUST-09, CUST-10, CUST-11: every field is stored, with the address index and history."""
    client = client_for(people["zhang"])
    response = create(
        client, world["xihu"], name="杭州丝绸有限公司", main_email=" Info@HZ-Silk.COM ",
        backup_emails_text="Sales@hz-silk.com; buyer@hz-silk.com", phone="+86 571 8888 1234",
        fax="0571-8888 1235", website="www.hz-silk.com", address="西湖区文三路 1 号", remarks="展会认识",
        customer_type=codes("customer_type", "IMP").pk, level=codes("customer_level", "A").pk,
        source=codes("customer_source", "FAIR").pk, industry=codes("industry", "TEX").pk,
        products=[codes("product", "P01").pk, codes("product", "P03").pk],
        owners=[staff["zhang"].pk, staff["li"].pk],
        contacts=[{"name": "Anna Schmidt", "email": "Anna@HZ-Silk.com", "title": "Buyer", "fax": "0571-1"},
                  {"name": "王经理", "email": "", "phone": "13900000000"}],
    )
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response.url == customer.get_absolute_url()
    assert customer.code == "000001"
    assert customer.region == world["xihu"]
    assert customer.main_email == "info@hz-silk.com"
    assert customer.backup_emails == ["sales@hz-silk.com", "buyer@hz-silk.com"]
    assert (customer.phone, customer.fax, customer.website) == ("+86 571 8888 1234", "0571-8888 1235", "www.hz-silk.com")
    assert (customer.address, customer.remarks) == ("西湖区文三路 1 号", "展会认识")
    assert (customer.customer_type.code, customer.level.code, customer.source.code, customer.industry.code) == (
        "IMP", "A", "FAIR", "TEX")
    assert sorted(customer.products.values_list("code", flat=True)) == ["P01", "P03"]
    assert customer.mnemonic == "HZSC"
    assert customer.created_by == people["zhang"]
    assert customer.hidden is False
    assert sorted(customer.contacts.values_list("name", "email")) == [
        ("Anna Schmidt", "anna@hz-silk.com"), ("王经理", "")]
    assert sorted(EmailAddress.objects.values_list("address", "role")) == [
        ("anna@hz-silk.com", "contact"), ("buyer@hz-silk.com", "backup"), ("info@hz-silk.com", "main"),
        ("sales@hz-silk.com", "backup")]
    assert current_owner_codes(customer) == ["E01", "E02"]
    assert all(o.is_latest and o.assigned_by == people["zhang"] for o in customer.ownerships.all())

    detail = client.get(customer.get_absolute_url()).content.decode()
    for text in ("杭州丝绸有限公司", "000001", "info@hz-silk.com", "sales@hz-silk.com; buyer@hz-silk.com",
                 "Anna Schmidt", "王经理", "Importer", "A (key account)", "Trade fair", "Textiles and apparel",
                 "Garments", "Bags and luggage", "张三 (E01)", "李四 (E02)", "Asia / China / Zhejiang / Hangzhou"):
        assert text in detail, text


def test_a_new_customer_is_logged(people, world):
    """CUST-11, OWN-24: creating a customer writes an operation-log row with its values."""
    customer = make_customer("Lyon Textiles", world["germany"], actor=people["zhang"], main_email="buy@lyon.fr")
    entry = OperationLogEntry.objects.get(object_type="customers.customer", object_id=str(customer.pk),
                                          action=OperationLogEntry.Action.CREATE)
    assert entry.changes["name"] == [None, "Lyon Textiles"]
    assert entry.changes["main_email"] == [None, "buy@lyon.fr"]


# Automatic code (CUST-03) -----------------------------------------------------------------

def test_codes_follow_in_sequence_with_the_prefix_and_width_options(people, world):
    """CUST-03: codes are given in sequence, zero-padded to customer_code_width after customer_code_prefix."""
    set_option("customer_code_prefix", "KH")
    set_option("customer_code_width", 4)
    first = make_customer("Alpha", world["china"], actor=people["zhang"])
    second = make_customer("Beta", world["china"], actor=people["zhang"])
    assert (first.code, second.code) == ("KH0001", "KH0002")


def test_codes_are_never_reused_after_a_delete_or_a_taken_number(people, world):
    """CUST-03, CUST-16: a deleted customer's code is not given again, and a code already in use is skipped."""
    from tradeport.customers import services

    first = make_customer("Alpha", world["china"], actor=people["zhang"])
    second = make_customer("Beta", world["china"], actor=people["zhang"])
    services.customer_delete(customer=second, actor=people["zhang"])
    Customer.objects.filter(pk=first.pk).update(code="000004")  # as an import with typed codes might leave it
    third = make_customer("Gamma", world["china"], actor=people["zhang"])
    fourth = make_customer("Delta", world["china"], actor=people["zhang"])
    assert (second.code, third.code, fourth.code) == ("000002", "000003", "000005")


def test_the_code_cannot_be_typed_on_the_form(people, world):
    """CUST-03: the code is read-only: a posted code is ignored."""
    create(client_for(people["zhang"]), world["china"], name="Alpha", code="999999")
    assert Customer.objects.get().code == "000001"


# Required fields (CUST-04) ----------------------------------------------------------------

def test_saving_without_name_or_region_is_refused_and_the_fields_highlighted(people, world):
    """CUST-04: empty name and region are refused, marked invalid, and nothing is stored."""
    response = create(client_for(people["zhang"]), None, name="")
    assert response.status_code == 400
    html = response.content.decode()
    assert set(response.context["form"].errors) >= {"name", "region"}
    assert re.search(r'<input[^>]*name="name"[^>]*is-invalid|<input[^>]*is-invalid[^>]*name="name"', html)
    assert not Customer.objects.exists()


def test_saving_without_any_owner_is_refused(manager, world):
    """CUST-04, CUST-10: a creator who is no salesperson must choose at least one owner."""
    response = create(client_for(manager), world["china"], name="Alpha")
    assert response.status_code == 400
    assert "Choose at least one owner." in response.content.decode()
    assert not Customer.objects.exists()
    assert not Ownership.objects.exists()


def test_a_refused_new_customer_stays_a_new_customer_form(manager, people, world):
    """CUST-04, CUST-07: after a refused save the page is still the New customer form, without a phantom code.

    The service saved and rolled back the record, but the view re-renders the
    in-memory instance, which kept its primary key and code.
    """
    make_customer("Hanse Trade", world["germany"], actor=people["zhang"], main_email="info@hanse.de")
    response = create(client_for(manager), world["germany"], name="Hanse Import", main_email="info@hanse.de",
                      owners=[people["zhang"].employee.pk])
    assert response.status_code == 400
    html = response.content.decode()
    assert "info@hanse.de is already used by" in html
    assert "<h1 class=\"h4\">New customer</h1>" in html
    assert 'name="pk"' not in html
    assert response.context["duplicates"], "the duplicate check should show the record holding the address"


def test_owners_must_be_active_salespeople(people, staff, world):
    """CUST-10: owners are chosen among salespeople; an employee who left or is no salesperson is refused."""
    client = client_for(people["zhang"])
    for employee in (staff["gone"], staff["clerk"]):
        response = create(client, world["china"], name=f"Alpha {employee.code}", owners=[employee.pk])
        assert response.status_code == 400, employee
    assert not Customer.objects.exists()


# Emails (CUST-05, CUST-06) -----------------------------------------------------------------

def test_the_main_email_is_checked_and_stored_in_lower_case(people, world):
    """CUST-05: a malformed main email is refused with its text; a good one is stored trimmed and lower-case."""
    client = client_for(people["zhang"])
    response = create(client, world["china"], name="Alpha", main_email="not-an-email")
    assert response.status_code == 400
    assert "not-an-email is not an email address." in response.content.decode()
    assert create(client, world["china"], name="Alpha", main_email="  Info@Alpha.COM ").status_code == 302
    assert Customer.objects.get().main_email == "info@alpha.com"


def test_the_main_email_is_optional(people, world):
    """CUST-04: a customer known only by phone can exist."""
    assert create(client_for(people["zhang"]), world["china"], name="Alpha", phone="12345678").status_code == 302
    customer = Customer.objects.get()
    assert customer.main_email == ""
    assert not EmailAddress.objects.exists()


def test_backup_emails_are_split_on_semicolons_and_stored_separately(people, world):
    """CUST-06: ';'-separated backups are each normalised, repeats and the main address dropped."""
    create(client_for(people["zhang"]), world["china"], name="Alpha", main_email="info@alpha.com",
           backup_emails_text=" Sales@Alpha.com ;buyer@alpha.com;; sales@alpha.com; INFO@alpha.com ")
    customer = Customer.objects.get()
    assert customer.backup_emails == ["sales@alpha.com", "buyer@alpha.com"]
    assert sorted(customer.addresses.filter(role="backup").values_list("address", flat=True)) == [
        "buyer@alpha.com", "sales@alpha.com"]


def test_a_malformed_backup_email_is_refused_by_name(people, world):
    """CUST-06: every backup address is checked; the message names the bad one."""
    response = create(client_for(people["zhang"]), world["china"], name="Alpha",
                      backup_emails_text="sales@alpha.com; sales at alpha")
    assert response.status_code == 400
    assert "sales at alpha is not an email address." in response.content.decode()
    assert not Customer.objects.exists()


# Hidden flag (CUST-08) ---------------------------------------------------------------------

def test_a_hidden_customer_is_left_out_of_maintenance_but_not_out_of_the_query(manager, people, world):
    """CUST-08, CUST-14, CUST-20: hidden customers leave maintenance; PERM-11 holders see them with [Show hidden]."""
    shown = make_customer("Shown", world["china"], actor=people["zhang"])
    hidden = make_customer("Hidden", world["china"], actor=people["zhang"], hidden=True)
    boss, zhang = client_for(manager), client_for(people["zhang"])
    maintenance = reverse("customers:customer_list")
    assert listed_codes(boss.get(maintenance)) == [shown.code]
    assert listed_codes(boss.get(maintenance, {"show_hidden": "on"})) == [shown.code, hidden.code]
    assert listed_codes(zhang.get(maintenance)) == [shown.code]
    assert listed_codes(zhang.get(maintenance, {"show_hidden": "on"})) == [shown.code]
    assert listed_codes(zhang.get(reverse("customers:customer_query"))) == [shown.code, hidden.code]
    assert zhang.get(hidden.get_absolute_url()).status_code == 200


def test_a_perm11_holder_can_hide_and_clear_the_flag(manager, people, world):
    """CUST-08: the manager ticks and clears [hidden] on the form."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    client = client_for(manager)
    url = reverse("customers:customer_update", args=[customer.pk])
    assert client.post(url, form_data(world["china"], name="Alpha", hidden="on", existing=customer)).status_code == 302
    customer.refresh_from_db()
    assert customer.hidden is True
    assert client.post(url, form_data(world["china"], name="Alpha", existing=customer)).status_code == 302
    customer.refresh_from_db()
    assert customer.hidden is False


def test_a_salesperson_is_not_offered_the_hidden_box(people, world):
    """CUST-08: hiding is for PERM-11 holders; the salesperson's form has no box and a forged one is ignored."""
    client = client_for(people["zhang"])
    assert 'name="hidden"' not in client.get(reverse("customers:customer_create")).content.decode()
    client.post(reverse("customers:customer_create"), form_data(world["china"], name="Alpha", hidden="on"))
    assert Customer.objects.get().hidden is False


def test_a_salesperson_modifying_a_hidden_customer_cannot_clear_the_flag(people, world):
    """CUST-08: only PERM-11 holders clear [hidden]; an owner saving the record from the query page keeps it hidden."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], hidden=True)
    response = client_for(people["zhang"]).post(
        reverse("customers:customer_update", args=[customer.pk]),
        form_data(world["china"], name="Alpha Trading", existing=customer))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "Alpha Trading"
    assert customer.hidden is True


# Contacts (CUST-09, CUST-21) ---------------------------------------------------------------

def test_a_contact_is_added_from_the_customer_page(people, world):
    """CUST-09, CUST-21: [Contacts] → [Add] stores the contact and indexes its address."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    client = client_for(people["zhang"])
    response = client.post(reverse("customers:contact_create", args=[customer.pk]),
                           {"name": "Jonas Weber", "email": "Jonas@Alpha.com ", "title": "CEO", "fax": "040-77"},
                           follow=True)
    assert "Contact Jonas Weber added." in response.content.decode()
    contact = customer.contacts.get()
    assert (contact.email, contact.title, contact.fax) == ("jonas@alpha.com", "CEO", "040-77")
    assert EmailAddress.objects.get(address="jonas@alpha.com").contact == contact
    assert "Jonas Weber" in client.get(customer.get_absolute_url()).content.decode()


def test_a_contact_with_an_address_in_use_is_refused(people, world):
    """CUST-07, CUST-21: a contact address another record holds is refused with the reason, nothing stored."""
    make_customer("Beta", world["china"], actor=people["zhang"], main_email="info@beta.com")
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    response = client_for(people["zhang"]).post(reverse("customers:contact_create", args=[customer.pk]),
                                                 {"name": "Jonas", "email": "INFO@beta.com"}, follow=True)
    assert "info@beta.com is already used by 000001 Beta." in response.content.decode()
    assert not Contact.objects.exists()


def test_a_contact_without_a_name_is_refused(people, world):
    """CUST-09: a contact needs a name."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    response = client_for(people["zhang"]).post(reverse("customers:contact_create", args=[customer.pk]),
                                                 {"name": "", "email": "x@alpha.com"}, follow=True)
    assert "Contact name" in response.content.decode()
    assert not Contact.objects.exists()


# Owners (CUST-10) ----------------------------------------------------------------------------

def test_in_non_strict_mode_the_creator_is_the_proposed_owner(people, world):
    """CUST-10, OWN-02: with no owner chosen the creating salesperson owns the customer."""
    create(client_for(people["zhang"]), world["munich"], name="Alpha")
    assert current_owner_codes(Customer.objects.get()) == ["E01"]


def test_a_customer_may_have_several_owners_and_each_sees_it(people, staff, world):
    """CUST-10, PERM-13: several owners each see and may modify the customer."""
    create(client_for(people["zhang"]), world["munich"], name="Alpha", owners=[staff["li"].pk, staff["wang"].pk])
    customer = Customer.objects.get()
    assert current_owner_codes(customer) == ["E02", "E03"]
    assert client_for(people["li"]).get(customer.get_absolute_url()).status_code == 200
    assert client_for(people["wang"]).get(reverse("customers:customer_update", args=[customer.pk])).status_code == 200
    assert client_for(people["zhang"]).get(customer.get_absolute_url()).status_code == 404


# Modify (CUST-15) ----------------------------------------------------------------------------

def test_modify_updates_fields_contacts_and_the_address_index_and_is_logged(people, world):
    """CUST-15, CUST-06, CUST-09: [Modify] saves the changes, drops a removed contact's address, logs old and new."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com",
                             phone="111111", backups=["old@alpha.com"],
                             contacts=[{"name": "Anna", "email": "anna@alpha.com"},
                                       {"name": "Ben", "email": "ben@alpha.com"}])
    anna, ben = customer.contacts.order_by("name")
    client = client_for(people["zhang"])
    url = reverse("customers:customer_update", args=[customer.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(
        world["hangzhou"], name="Alpha Trading", main_email="info@alpha.com", phone="222222",
        backup_emails_text="new@alpha.com", existing=customer,
        contacts=[{"id": anna.pk, "name": "Anna Meyer", "email": "anna@alpha.com"},
                  {"id": ben.pk, "name": "Ben", "email": "ben@alpha.com", "DELETE": "on"},
                  {"name": "Carl", "email": "carl@alpha.com"}]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone, customer.region) == ("Alpha Trading", "222222", world["hangzhou"])
    assert customer.code == "000001"
    assert customer.backup_emails == ["new@alpha.com"]
    assert sorted(customer.contacts.values_list("name", flat=True)) == ["Anna Meyer", "Carl"]
    assert sorted(EmailAddress.objects.values_list("address", flat=True)) == [
        "anna@alpha.com", "carl@alpha.com", "info@alpha.com", "new@alpha.com"]
    entry = OperationLogEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk),
                                             action=OperationLogEntry.Action.UPDATE).latest("id")
    assert entry.changes["phone"] == ["111111", "222222"]
    assert entry.changes["name"] == ["Alpha", "Alpha Trading"]
    assert entry.username == "zhang"


def test_modify_can_change_the_owners(people, staff, world):
    """CUST-10, CUST-15, OWN-13: changing owners on the form ends the old row and adds a new one."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"])
    client_for(people["zhang"]).post(
        reverse("customers:customer_update", args=[customer.pk]),
        form_data(world["china"], name="Alpha", owners=[staff["zhang"].pk, staff["li"].pk], existing=customer))
    assert current_owner_codes(customer) == ["E01", "E02"]


# Delete and restore (CUST-16, PERM-11) -------------------------------------------------------

def test_delete_asks_first_then_is_soft_logged_and_frees_the_addresses(people, world):
    """CUST-16: [Delete] confirms, then hides the record, keeps it in the database, unindexes its addresses, logs it."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com",
                             contacts=[{"name": "Anna", "email": "anna@alpha.com"}])
    client = client_for(people["zhang"])
    url = reverse("customers:customer_delete", args=[customer.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Delete customer 000001 Alpha?" in confirm.content.decode()
    assert Customer.objects.get().deleted_at is None
    response = client.post(url, follow=True)
    assert "000001 Alpha deleted. Its mail history is kept." in response.content.decode()
    customer.refresh_from_db()
    assert customer.is_deleted
    assert customer.deleted_by == people["zhang"]
    assert customer.contacts.count() == 1
    assert not EmailAddress.objects.exists()
    assert client.get(customer.get_absolute_url()).status_code == 404
    assert listed_codes(client.get(reverse("customers:customer_list"))) == []
    entry = OperationLogEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk)).latest("id")
    assert entry.changes["deleted_at"][0] is None
    assert entry.changes["deleted_at"][1]
    # The address can be used by a new record now.
    make_customer("Beta", world["china"], actor=people["zhang"], main_email="info@alpha.com")


def test_only_perm11_holders_list_and_restore_deleted_customers(manager, people, world):
    """CUST-16, PERM-11: [Show deleted] and [Restore] are for PERM-11 holders; restoring re-indexes and logs."""
    from tradeport.customers import services

    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com")
    services.customer_delete(customer=customer, actor=people["zhang"])
    zhang, boss = client_for(people["zhang"]), client_for(manager)
    url = reverse("customers:customer_restore", args=[customer.pk])
    assert listed_codes(zhang.get(reverse("customers:customer_list"), {"show_deleted": "on"})) == []
    assert zhang.post(url).status_code == 403
    assert Customer.objects.get().is_deleted
    listing = boss.get(reverse("customers:customer_list"), {"show_deleted": "on"})
    assert listed_codes(listing) == ["000001"]
    assert "Restore" in listing.content.decode()
    response = boss.post(url)
    assert response.status_code == 302
    assert response.url == customer.get_absolute_url()
    customer.refresh_from_db()
    assert not customer.is_deleted
    assert EmailAddress.objects.get().customer == customer
    entry = OperationLogEntry.objects.filter(object_type="customers.customer", object_id=str(customer.pk)).latest("id")
    assert entry.username == "boss"
    assert entry.changes["deleted_at"][1] is None
    assert zhang.get(customer.get_absolute_url()).status_code == 200


def test_restore_is_refused_while_another_record_holds_an_address(manager, people, world):
    """CUST-16, CUST-07: a deleted customer whose address was taken meanwhile stays deleted, with the reason."""
    from tradeport.customers import services

    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com")
    services.customer_delete(customer=customer, actor=people["zhang"])
    make_customer("Beta", world["china"], actor=people["li"], main_email="info@alpha.com")
    response = client_for(manager).post(reverse("customers:customer_restore", args=[customer.pk]), follow=True)
    assert "info@alpha.com is already used by 000002 Beta." in response.content.decode()
    customer.refresh_from_db()
    assert customer.is_deleted


# Mnemonic code ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "mnemonic"), [
    ("杭州丝绸有限公司", "HZSC"),
    ("汉堡贸易有限公司", "HBMY"),
    ("宁波进出口股份有限公司", "NBJCK"),
    ("上海重庆银行", "SHCQYH"),
])
def test_the_mnemonic_is_the_pinyin_initials_of_the_chinese_name(name, mnemonic):
    """CUST-01: the mnemonic code is generated from the Chinese name's pinyin initials, without the legal form."""
    assert mnemonic_for(name) == mnemonic


def test_the_mnemonic_is_filled_when_empty_and_kept_when_typed(people, world):
    """CUST-01: an empty mnemonic is generated; a typed one is kept, also when the name changes."""
    client = client_for(people["zhang"])
    create(client, world["hangzhou"], name="杭州丝绸有限公司")
    create(client, world["hangzhou"], name="宁波纺织有限公司", mnemonic="nbfz01")
    generated, typed = Customer.objects.order_by("code")
    assert generated.mnemonic == "HZSC"
    assert typed.mnemonic == "nbfz01"
    client.post(reverse("customers:customer_update", args=[typed.pk]),
                form_data(world["hangzhou"], name="宁波新纺织有限公司", mnemonic="nbfz01", existing=typed))
    typed.refresh_from_db()
    assert typed.mnemonic == "nbfz01"


def test_mnemonic_keeps_words_that_merely_end_like_a_legal_form():
    """CUST-01: legal forms are removed only as whole words: 'Joy' and 'Zinc' are not 'Oy' and 'Inc'."""
    assert mnemonic_for("Apex Joy Co., Ltd.") == "APEXJOY"
    assert mnemonic_for("Yunnan Zinc Inc.") == "YUNNANZINC"


# Suppliers (CUST-13) --------------------------------------------------------------------------

def test_a_supplier_is_created_with_its_kind_and_joins_the_address_index(people, world):
    """CUST-13, CUST-07: the supplier form stores kind=supplier; its addresses are unique across customers too."""
    client = client_for(people["zhang"])
    assert client.get(reverse("customers:customer_create"), {"kind": "supplier"}).context["form"].instance.kind == "supplier"
    response = client.post(reverse("customers:customer_create") + "?kind=supplier",
                           form_data(world["china"], kind="supplier", name="Fabric Mill", main_email="sale@mill.cn"))
    assert response.status_code == 302
    supplier = Customer.objects.get()
    assert supplier.kind == Customer.Kind.SUPPLIER
    clash = create(client, world["china"], name="Other", main_email="SALE@mill.cn")
    assert clash.status_code == 400
    assert "sale@mill.cn is already used by 000001 Fabric Mill." in clash.content.decode()


# Customer local time ----------------------------------------------------------------------------

def test_the_detail_page_shows_the_customers_local_time_from_the_region(people, world):
    """CUST-01 (detail), ORG-17: Munich inherits Germany's Europe/Berlin; the page shows the time there."""
    customer = make_customer("Alpha", world["munich"], actor=people["zhang"])
    before = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Berlin")).replace(second=0, microsecond=0)
    html = client_for(people["zhang"]).get(customer.get_absolute_url()).content.decode()
    after = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    shown = re.search(r'id="customer-local-time">(\d{4}-\d\d-\d\d \d\d:\d\d) <span[^>]*>\(Europe/Berlin\)', html)
    assert shown, html[html.find("customer-local-time") - 50:html.find("customer-local-time") + 200]
    local = datetime.datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert before <= local <= after


def test_a_region_without_a_time_zone_shows_no_local_time(people, world):
    """CUST-01 (detail): no zone on the region or above it: a dash, not a guess."""
    customer = make_customer("Alpha", world["atlantis"], actor=people["zhang"])
    html = client_for(people["zhang"]).get(customer.get_absolute_url()).content.decode()
    assert 'id="customer-local-time">—</dd>' in html
