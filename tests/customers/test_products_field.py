"""The customer's products (经营产品, CUST-01) are chosen in the shared picker with search and ticks (GEN-06),
not a single checkbox that posts "on"; what is chosen is saved and shown again on the edit form."""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from customers.conftest import client_for, form_data, make_customer
from tradeport.customers.models import Customer

pytestmark = pytest.mark.django_db


def products_widget(html: str):
    return BeautifulSoup(html, "html.parser").select_one('[data-picker="id_products"]')


def test_the_form_offers_the_products_picker_not_one_checkbox(people, world, codes):
    """CUST-01, GEN-06: a [Select] that opens the searchable products picker; no checkbox or Ctrl-click list."""
    html = client_for(people["zhang"]).get(reverse("customers:customer_create")).content.decode()
    assert not re.search(r'<input[^>]*type="checkbox"[^>]*name="products"', html)
    assert not re.search(r'<select[^>]*name="products"', html)
    widget = products_widget(html)
    assert widget is not None
    assert widget.has_attr("data-picker-multiple")
    opener = widget.select_one("[data-picker-open=id_products]")
    assert opener["hx-get"].startswith(reverse("customers:product_picker"))
    assert "No product chosen" in widget.get_text()


def test_the_picker_lists_the_active_products_with_search(people, world, codes):
    """GEN-06, CUST-01: ticks for several products, found by name or code; a deactivated product is not offered."""
    client = client_for(people["zhang"])
    footwear = codes("product", "P02")
    footwear.is_active = False
    footwear.save()
    body = BeautifulSoup(client.get(reverse("customers:product_picker"), {"target": "id_products"}).content,
                         "html.parser")
    offered = {box["data-pick-label"] for box in body.select("input[type=checkbox][data-pick-value]")}
    assert {"Garments", "Bags and luggage", "Lighting"} <= offered
    assert "Footwear" not in offered
    assert body.select_one("[data-pick-confirm]") is not None
    found = BeautifulSoup(client.get(reverse("customers:product_picker"), {"target": "id_products", "q": "light"})
                          .content, "html.parser")
    assert [box["data-pick-label"] for box in found.select("[data-pick-value]")] == ["Lighting"]
    by_code = BeautifulSoup(client.get(reverse("customers:product_picker"), {"q": "p03"}).content, "html.parser")
    assert [box["data-pick-label"] for box in by_code.select("[data-pick-value]")] == ["Bags and luggage"]


def test_two_products_are_saved_and_shown_again_on_the_edit_form(people, world, codes):
    """CUST-01, CUST-15: the picker's two hidden values are stored; the edit form shows both as chosen and
    saving it unchanged keeps them."""
    client = client_for(people["zhang"])
    garments, lighting = codes("product", "P01"), codes("product", "P05")
    response = client.post(reverse("customers:customer_create"), form_data(
        world["xihu"], name="Lyon Textiles", products=[garments.pk, lighting.pk]))
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert sorted(customer.products.values_list("code", flat=True)) == ["P01", "P05"]
    edit = client.get(reverse("customers:customer_update", args=[customer.pk])).content.decode()
    widget = products_widget(edit)
    assert sorted(i["value"] for i in widget.select("input[type=hidden][name=products]")) == sorted(
        [str(garments.pk), str(lighting.pk)])
    assert {badge.get_text(strip=True) for badge in widget.select("[data-value]")} == {"Garments", "Lighting"}
    again = client.post(reverse("customers:customer_update", args=[customer.pk]), form_data(
        world["xihu"], name="Lyon Textiles", products=[garments.pk, lighting.pk], existing=customer))
    assert again.status_code == 302
    assert customer.products.count() == 2
    cleared = client.post(reverse("customers:customer_update", args=[customer.pk]), form_data(
        world["xihu"], name="Lyon Textiles", existing=customer))
    assert cleared.status_code == 302
    assert customer.products.count() == 0  # nothing ticked: the picker posts no value, the list is emptied


def test_a_deactivated_product_the_customer_has_stays_chosen(people, world, codes):
    """CUST-01, CODE-04: a product deactivated since still shows, marked, and is kept on saving."""
    footwear = codes("product", "P02")
    customer = make_customer("Old Shoes", world["xihu"], actor=people["zhang"], products=[footwear])
    footwear.is_active = False
    footwear.save()
    client = client_for(people["zhang"])
    widget = products_widget(client.get(reverse("customers:customer_update", args=[customer.pk])).content.decode())
    assert widget.select_one(f'[data-value="{footwear.pk}"]').get_text(strip=True) == "Footwear (deactivated)"
    response = client.post(reverse("customers:customer_update", args=[customer.pk]), form_data(
        world["xihu"], name="Old Shoes", products=[footwear.pk], existing=customer))
    assert response.status_code == 302
    assert list(customer.products.all()) == [footwear]


def test_the_products_picker_joins_the_permission_matrix(users):
    """GEN-01, GEN-06: like the other pickers, for every signed-in user; the code list is no customer data."""
    from matrix import check_matrix

    check_matrix(reverse("customers:product_picker"), users=users,
                 anonymous=302, outsider=200, salesperson=200, manager=200, admin=200)
