"""The personal address book (PERS-06, SHORT-04) and the recipient picker of the compose form (SEND-02)."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer
from tradeport.mail.models import AddressBookEntry

pytestmark = pytest.mark.django_db


def client_of(username: str) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username=username))
    return client


def test_entries_are_private_and_editable(world):
    """PERS-06: add, search, modify and delete; another user neither sees nor reaches the entries."""
    lily = client_of("lily")
    response = lily.post(reverse("mail:address_book"), {"name": "王经理", "company": "宁波货代", "email": "wang@forwarder.cn",
                                                        "group": "Forwarders"})
    assert response.status_code == 302
    entry = AddressBookEntry.objects.get()
    assert entry.owner.username == "lily"
    assert "王经理" in lily.get(reverse("mail:address_book"), {"q": "货代"}).content.decode()
    assert "王经理" not in lily.get(reverse("mail:address_book"), {"q": "nobody"}).content.decode()
    assert lily.post(reverse("mail:address_book"), {"name": "", "email": "x"}).status_code == 200
    tom = client_of("tom")
    assert "王经理" not in tom.get(reverse("mail:address_book")).content.decode()
    assert tom.get(reverse("mail:address_book_update", args=[entry.pk])).status_code == 404
    assert tom.post(reverse("mail:address_book_delete", args=[entry.pk])).status_code == 404
    lily.post(reverse("mail:address_book_update", args=[entry.pk]), {"name": "王总", "email": "wang@forwarder.cn"})
    entry.refresh_from_db()
    assert entry.name == "王总"
    lily.post(reverse("mail:address_book_delete", args=[entry.pk]))
    assert not AddressBookEntry.objects.exists()


def test_the_picker_offers_visible_customers_contacts_and_own_entries(world):
    """SEND-02, PERM-13: customers and contacts the user may see, and the user's own book; nothing else."""
    stranger = make_account("wang", template="employee", employee_code="0009")
    Customer.objects.create(code="C0099", name="Hidden Buyer", region=world["customer"].region,
                            main_email="hidden@buyer.example")
    AddressBookEntry.objects.create(owner=Account.objects.get(username="lily"), name="Forwarder",
                                    email="ops@forwarder.cn")
    AddressBookEntry.objects.create(owner=stranger, name="Secret", email="secret@elsewhere.example")
    lily = client_of("lily")
    customers = lily.get(reverse("mail:recipient_picker")).content.decode()
    assert 'data-address="info@hanse.de"' in customers
    assert 'data-address="anna@hanse.de"' in customers
    assert "hidden@buyer.example" not in customers
    searched = lily.get(reverse("mail:recipient_picker"), {"q": "anna"}).content.decode()
    assert 'data-address="anna@hanse.de"' in searched
    assert 'data-address="info@hanse.de"' not in searched
    book = lily.get(reverse("mail:recipient_picker"), {"source": "book"}).content.decode()
    assert 'data-address="ops@forwarder.cn"' in book
    assert "secret@elsewhere.example" not in book


def test_the_address_book_joins_the_permission_matrix(roles):
    """GEN-01, PERS-06: the page needs the Personal address book function."""
    from matrix import check_matrix

    check_matrix(reverse("mail:address_book"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)
    check_matrix(reverse("mail:recipient_picker"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200)
