"""The one address index (CUST-05..07): normalisation and uniqueness across every record."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from customers.conftest import client_for, form_data, make_customer
from tradeport.customers.addresses import normalise, split_list
from tradeport.customers.models import Customer, EmailAddress

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("typed", "stored"), [
    ("Info@Example.COM", "info@example.com"),
    ("  sales@example.com \t", "sales@example.com"),
    ("<buyer@example.com>", "buyer@example.com"),
    ("info@example.com.", "info@example.com"),
    ("Info@Bücher.DE", "info@xn--bcher-kva.de"),
    ("kontakt@müller-stahl.de", "kontakt@xn--mller-stahl-thb.de"),
    ("sales@中国外贸.cn", "sales@xn--fiqs8sbvbjz4h.cn"),
])
def test_addresses_are_normalised_for_case_whitespace_and_idn(typed, stored):
    """CUST-05, CUST-07: lower case, trimmed, internationalised domains in punycode."""
    assert normalise(typed) == stored


@pytest.mark.parametrize("typed", ["no-at-sign", "two@@example.com", "a b@example.com", "x@", "@example.com"])
def test_malformed_addresses_are_refused_with_their_text(typed):
    """CUST-05: a malformed address raises a message that names it."""
    with pytest.raises(ValidationError) as caught:
        normalise(typed)
    assert typed.strip() in caught.value.messages[0]


def test_a_list_is_split_on_semicolons_commas_and_new_lines_without_repeats():
    """CUST-06: backups typed with ';' (also ',' or one per line) become separate normalised addresses."""
    assert split_list("A@x.com; b@x.com,\nC@X.com;a@x.com; ;") == ["a@x.com", "b@x.com", "c@x.com"]


def test_an_idn_address_clashes_with_its_punycode_form(people, world):
    """CUST-07: the same mailbox typed in Unicode and in punycode is one address."""
    make_customer("Bücher GmbH", world["germany"], actor=people["zhang"], main_email="Info@Bücher.de")
    assert EmailAddress.objects.get().address == "info@xn--bcher-kva.de"
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"), form_data(
        world["germany"], name="Other", main_email="INFO@xn--bcher-kva.DE"))
    assert response.status_code == 400
    assert "info@xn--bcher-kva.de is already used by 000001 Bücher GmbH." in response.content.decode()


@pytest.mark.parametrize(("held_as", "typed_as"), [
    ("main", "main"), ("main", "backup"), ("main", "contact"),
    ("backup", "main"), ("backup", "contact"), ("contact", "main"), ("contact", "backup"), ("contact", "contact"),
])
def test_an_address_belongs_to_one_record_whatever_its_role(people, world, held_as, typed_as):
    """CUST-07: main, backup and contact addresses share one index; a second record may not use any of them."""
    address = "shared@alpha.com"
    holder_fields = {"main": {"main_email": address}, "backup": {"backups": [address]},
                     "contact": {"contacts": [{"name": "Anna", "email": address}]}}[held_as]
    make_customer("Alpha", world["china"], actor=people["zhang"], **holder_fields)
    typed = {"main": {"main_email": "Shared@Alpha.com"}, "backup": {"backup_emails_text": "x@beta.com; SHARED@alpha.com"},
             "contact": {"contacts": [{"name": "Ben", "email": " shared@ALPHA.com"}]}}[typed_as]
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"),
                                                form_data(world["china"], name="Beta", **typed))
    assert response.status_code == 400
    assert "shared@alpha.com is already used by 000001 Alpha." in response.content.decode()
    assert Customer.objects.count() == 1
    assert EmailAddress.objects.get().customer.name == "Alpha"


def test_the_clash_message_hides_a_record_the_user_may_not_see(people, world):
    """CUST-07, PERM-13: another salesperson's record is not named, only that another salesperson holds it."""
    make_customer("Secret Buyer", world["china"], actor=people["zhang"], main_email="boss@secret.com")
    response = client_for(people["li"]).post(reverse("customers:customer_create"), form_data(
        world["china"], name="Mine", main_email="boss@secret.com"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "boss@secret.com is already used by a record another salesperson holds." in html
    assert "Secret Buyer" not in html
    assert "000001" not in html


def test_the_clash_message_names_the_record_for_a_perm11_holder(manager, people, world):
    """CUST-07, PERM-11: whoever may see every customer is told which record holds the address."""
    make_customer("Secret Buyer", world["china"], actor=people["zhang"], main_email="boss@secret.com")
    response = client_for(manager).post(reverse("customers:customer_create"), form_data(
        world["china"], name="Mine", main_email="boss@secret.com", owners=[people["li"].employee.pk]))
    assert "boss@secret.com is already used by 000001 Secret Buyer." in response.content.decode()


def test_an_address_twice_on_one_record_is_refused(people, world):
    """CUST-07: two contacts of one record with one address: the index row can name only one of them.
    (The main address repeated on a contact is allowed: tests/customers/test_contact_main_email.py.)"""
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"), form_data(
        world["china"], name="Alpha", main_email="info@alpha.com",
        contacts=[{"name": "Anna", "email": "anna@alpha.com"}, {"name": "Bob", "email": "ANNA@alpha.com"}]))
    assert response.status_code == 400
    assert "anna@alpha.com is entered twice on this record." in response.content.decode()
    assert not Customer.objects.exists()


def test_modifying_a_record_may_keep_its_own_addresses(people, world):
    """CUST-07, CUST-15: saving a record again does not clash with itself, and moving an address between roles works."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com",
                             backups=["sales@alpha.com"])
    response = client_for(people["zhang"]).post(
        reverse("customers:customer_update", args=[customer.pk]),
        form_data(world["china"], name="Alpha", main_email="sales@alpha.com", backup_emails_text="info@alpha.com",
                  existing=customer))
    assert response.status_code == 302
    assert dict(EmailAddress.objects.values_list("address", "role")) == {
        "sales@alpha.com": "main", "info@alpha.com": "backup"}


def test_the_database_refuses_a_second_row_for_one_address(people, world):
    """CUST-07: uniqueness holds in the database too, not only in the form."""
    first = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com")
    second = make_customer("Beta", world["china"], actor=people["zhang"])
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailAddress.objects.create(address="info@alpha.com", domain="alpha.com", customer=second, role="main")
    assert EmailAddress.objects.get().customer == first
