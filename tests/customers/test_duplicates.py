"""The duplicate check (查重) while creating: address, company domain, similar name, phone (CUST-01, CUST-07, CUST-22)."""

import pytest
from django.urls import reverse

from customers.conftest import client_for, make_customer
from matrix import check_matrix
from tradeport.customers import services
from tradeport.customers.selectors import find_duplicates

pytestmark = pytest.mark.django_db


def reasons(found) -> dict[str, list[str]]:
    return {d.customer.name: d.reasons for d in found}


@pytest.fixture
def hanse(people, world):
    return make_customer("Hanse Trade GmbH", world["germany"], actor=people["zhang"], main_email="info@hanse-trade.de",
                         phone="+49 40 1234-5678", contacts=[{"name": "Anna", "email": "anna@hanse-trade.de"}])


def test_the_same_address_is_found(people, hanse):
    """CUST-07: an address already on a record (here a contact's) is reported as the same email address."""
    found = find_duplicates(user=people["zhang"], emails=["anna@hanse-trade.de"])
    assert "same email address" in reasons(found)["Hanse Trade GmbH"]


def test_the_same_company_domain_is_found(people, hanse):
    """CUST-01 (查重): another address at the same company domain points at the same company."""
    found = find_duplicates(user=people["zhang"], emails=["kontakt@hanse-trade.de"])
    assert reasons(found) == {"Hanse Trade GmbH": ["same company domain"]}


@pytest.mark.parametrize("domain", ["gmail.com", "qq.com", "163.com", "outlook.com", "hotmail.com", "126.com"])
def test_free_mail_domains_never_count_as_a_company_domain(people, world, domain):
    """CUST-01 (查重): two customers on a public mailbox provider are not thereby the same company."""
    make_customer("Somebody", world["china"], actor=people["zhang"], main_email=f"somebody@{domain}")
    assert find_duplicates(user=people["zhang"], emails=[f"other@{domain}"]) == []
    assert reasons(find_duplicates(user=people["zhang"], emails=[f"somebody@{domain}"])) == {
        "Somebody": ["same email address"]}


@pytest.mark.parametrize("typed", ["hanse trade", "HANSE-TRADE Co., Ltd.", "Hanse Trade Limited", "Hanse Trade GmbH"])
def test_a_similar_name_is_found_ignoring_case_punctuation_and_legal_form(people, hanse, typed):
    """CUST-01 (查重): names equal apart from case, spaces, punctuation and the legal form are similar."""
    assert reasons(find_duplicates(user=people["zhang"], name=typed)) == {"Hanse Trade GmbH": ["similar name"]}


def test_a_similar_chinese_name_is_found(people, world):
    """CUST-01 (查重): 杭州丝绸 and 杭州丝绸有限公司 are the same company."""
    make_customer("杭州丝绸有限公司", world["hangzhou"], actor=people["zhang"])
    assert reasons(find_duplicates(user=people["zhang"], name="杭州丝绸")) == {"杭州丝绸有限公司": ["similar name"]}
    assert find_duplicates(user=people["zhang"], name="宁波丝绸") == []


def test_names_sharing_only_a_word_ending_are_not_similar(people, world):
    """CUST-01 (查重): 'Apex Joy' is not similar to 'Apex Jeans': 'oy' in 'Joy' is no legal form (Finnish Oy)."""
    make_customer("Apex Jeans", world["china"], actor=people["zhang"])
    assert find_duplicates(user=people["zhang"], name="Apex Joy") == []


def test_the_same_phone_is_found_whatever_its_punctuation(people, hanse):
    """CUST-01 (查重): phones compare by their digits."""
    assert reasons(find_duplicates(user=people["zhang"], phone="+49 (40) 1234 5678")) == {
        "Hanse Trade GmbH": ["same phone"]}
    assert find_duplicates(user=people["zhang"], phone="+49 40 1234-5679") == []


def test_one_record_lists_every_reason_once(people, hanse):
    """CUST-01 (查重): a record matching in several ways is one entry with all its reasons."""
    found = find_duplicates(user=people["zhang"], name="Hanse Trade", emails=["info@hanse-trade.de"],
                            phone="0049 40 12345678")
    assert len(found) == 1
    assert set(found[0].reasons) == {"same email address", "same company domain", "similar name"}


def test_deleted_customers_and_the_record_itself_are_not_duplicates(people, hanse, world):
    """CUST-16, CUST-15: a deleted record no longer matches; a record being modified does not match itself."""
    assert find_duplicates(user=people["zhang"], name="Hanse Trade", exclude_pk=hanse.pk) == []
    services.customer_delete(customer=hanse, actor=people["zhang"])
    assert find_duplicates(user=people["zhang"], name="Hanse Trade", emails=["info@hanse-trade.de"]) == []


def test_the_check_shows_a_visible_record_with_its_code_and_owner(people, hanse):
    """CUST-01 (查重), CUST-22: the owner sees which record conflicts, linked, and its owners."""
    response = client_for(people["zhang"]).post(reverse("customers:duplicate_check"), {
        "name": "Hanse Trade", "main_email": "kontakt@hanse-trade.de"})
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{hanse.get_absolute_url()}"' in html
    assert "000001 Hanse Trade GmbH" in html
    assert "same company domain" in html
    assert "similar name" in html
    assert "owner: 张三" in html


def test_the_check_hides_another_salespersons_record_but_names_its_owner(people, hanse):
    """CUST-01 (查重), CUST-22, PERM-13: the conflict and its owner are shown; the record's data is not."""
    response = client_for(people["li"]).post(reverse("customers:duplicate_check"), {
        "name": "Hanse Import", "main_email": "kontakt@hanse-trade.de", "backup_emails_text": "x@y.com; bad address",
        "contacts-0-email": "ANNA@hanse-trade.de", "phone": "+49 40 12345678"})
    html = response.content.decode()
    assert "A record held by another salesperson" in html
    assert "same email address" in html
    assert "same company domain" in html
    assert "same phone" in html
    assert "owner: 张三" in html
    for secret in ("Hanse Trade GmbH", "000001", "info@hanse-trade.de", hanse.get_absolute_url()):
        assert secret not in html, secret


def test_the_check_says_when_nothing_is_similar(people, hanse):
    """CUST-01 (查重): an all-clear is said, not left blank."""
    response = client_for(people["zhang"]).post(reverse("customers:duplicate_check"), {"name": "Lyon Textiles"})
    assert "No similar record found." in response.content.decode()


def test_a_create_form_with_a_bad_contact_lists_the_duplicates(people, hanse, world):
    """CUST-01 (查重): a new-customer form sent back for a contact error also shows what looks like the record."""
    from customers.conftest import form_data

    response = client_for(people["li"]).post(reverse("customers:customer_create"), form_data(
        world["germany"], name="Hanse Trade", contacts=[{"name": "Jo", "email": "not an address"}]))
    assert response.status_code == 400
    html = response.content.decode()
    assert "not an address is not an email address." in html
    assert "A record held by another salesperson" in html
    assert "similar name" in html


def test_a_refused_create_form_lists_the_duplicates(people, hanse, world):
    """CUST-01 (查重), CUST-12: when saving is refused the form shows what already looks like the record.

    The view only looks for duplicates while form.is_valid(), which is false
    once the service's refusal has been attached to the form.
    """
    from customers.conftest import form_data, strict

    strict()
    response = client_for(people["li"]).post(reverse("customers:customer_create"), form_data(
        world["germany"], name="Hanse Trade", phone="+49 40 12345678"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "you are not an authorised creator for Germany" in html
    assert "A record held by another salesperson" in html
    assert "similar name" in html
    assert "same phone" in html
    assert "Hanse Trade GmbH" not in html


def test_the_duplicate_check_joins_the_permission_matrix(users, hanse):
    """CUST-01, GEN-01: the check needs the New customer function."""
    check_matrix(reverse("customers:duplicate_check"), users=users, method="post", data={"name": "Hanse"},
                 anonymous=302, outsider=403, salesperson=200, manager=200, admin=200)
