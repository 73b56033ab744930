"""A contact may have the customer's own address (CUST-07, CUST-09): the main contact usually writes from the
company address. The address index keeps one row per address, which then names the contact; another
customer still may not use it."""

import pytest
from django.urls import reverse

from customers.conftest import client_for, form_data, make_customer
from tradeport.customers.models import Contact, Customer, EmailAddress
from tradeport.mail.routing import RoutingIndex

pytestmark = pytest.mark.django_db


def test_the_main_contact_may_have_the_main_email(people, world):
    """CUST-07, CUST-09: saved; one index row for the address, as the main email, naming the contact."""
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"), form_data(
        world["china"], name="Alpha", main_email="info@alpha.com",
        contacts=[{"name": "Anna", "email": "INFO@alpha.com", "is_main": "on"}, {"name": "Bob", "email": "bob@alpha.com"}]))
    assert response.status_code == 302, response.content.decode()[:3000]
    customer = Customer.objects.get()
    anna = Contact.objects.get(name="Anna")
    assert anna.email == "info@alpha.com"
    rows = sorted(EmailAddress.objects.values_list("address", "role", "contact__name", "customer"))
    assert rows == [("bob@alpha.com", "contact", "Bob", customer.pk), ("info@alpha.com", "main", "Anna", customer.pk)]
    # Mail from the address reaches the customer and is filed under the contact.
    entry = RoutingIndex(senders={"info@alpha.com"}, addresses=set()).match(["info@alpha.com"])
    assert (entry.customer, entry.contact) == (customer, anna)


def test_a_contact_added_from_the_customer_page_may_have_a_backup_address(people, world):
    """CUST-21, CUST-07: [Add contact] with the customer's backup address is saved on the one index row."""
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com",
                             backups=["sales@alpha.com"])
    response = client_for(people["zhang"]).post(reverse("customers:contact_create", args=[customer.pk]),
                                                 {"name": "Sam", "email": "Sales@Alpha.com"}, follow=True)
    assert "Contact Sam added." in response.content.decode()
    assert sorted(EmailAddress.objects.values_list("address", "role", "contact__name")) == [
        ("info@alpha.com", "main", None), ("sales@alpha.com", "backup", "Sam")]


def test_saving_the_record_again_and_removing_the_contact_keeps_the_main_row(people, world):
    """CUST-07, CUST-15: the shared row survives a second save, and removing the contact leaves the address
    with the customer, not gone from the index."""
    client = client_for(people["zhang"])
    customer = make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com",
                             contacts=[{"name": "Anna", "email": "info@alpha.com"}])
    anna = customer.contacts.get()
    url = reverse("customers:customer_update", args=[customer.pk])
    kept = client.post(url, form_data(world["china"], name="Alpha", main_email="info@alpha.com", existing=customer,
                                      contacts=[{"id": anna.pk, "name": "Anna", "email": "info@alpha.com"}]))
    assert kept.status_code == 302
    assert list(EmailAddress.objects.values_list("address", "role", "contact")) == [("info@alpha.com", "main", anna.pk)]
    removed = client.post(url, form_data(world["china"], name="Alpha", main_email="info@alpha.com", existing=customer,
                                         contacts=[{"id": anna.pk, "name": "Anna", "email": "info@alpha.com",
                                                    "DELETE": "on"}]))
    assert removed.status_code == 302
    assert list(EmailAddress.objects.values_list("address", "role", "contact")) == [("info@alpha.com", "main", None)]


def test_another_customers_address_on_a_contact_is_still_refused(people, world):
    """CUST-07: the main email of one customer may not be a contact address of another."""
    make_customer("Alpha", world["china"], actor=people["zhang"], main_email="info@alpha.com")
    response = client_for(people["zhang"]).post(reverse("customers:customer_create"), form_data(
        world["china"], name="Beta", main_email="info@beta.com", contacts=[{"name": "Anna", "email": "info@alpha.com"}]))
    assert response.status_code == 400
    assert "info@alpha.com is already used by 000001 Alpha." in response.content.decode()
    assert Customer.objects.count() == 1
    assert EmailAddress.objects.filter(address="info@alpha.com").count() == 1


def test_an_import_row_may_give_the_contact_the_main_email(people, world):
    """CUST-01, CUST-07: in an import too, a later line's contact may write from the customer's main address;
    another customer's line with it is still an error."""
    from customers.test_excel import confirm, preview, xlsx

    client = client_for(people["zhang"])
    response = preview(client, xlsx([
        ["Alpha", "X-CN", "info@alpha.com", "", ""],
        ["Alpha", "X-CN", "", "Anna", "info@alpha.com"],
        ["Alpha", "X-CN", "", "Bob", "bob@alpha.com"],
    ]))
    assert response.status_code == 200, [r.errors for r in response.context["plan"].rows]
    assert "1 customer imported." in confirm(client, response).content.decode()
    assert EmailAddress.objects.get(address="info@alpha.com").contact.name == "Anna"
    clash = preview(client, xlsx([
        ["Gamma", "X-CN", "info@gamma.com", "", ""],
        ["Delta", "X-CN", "", "Dora", "info@gamma.com"],
    ]))
    assert clash.context["plan"].rows[1].errors == ["info@gamma.com also appears on line 2."]
