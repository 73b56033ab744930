"""In a real browser: a customer's products are ticked in the searchable picker (CUST-01, GEN-06), and
contact input shows the open reminder of the customer chosen in the picker (FUP-03, FUP-16)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from browser.steps import choose_region, first_login
from tradeport.customers.models import Customer
from tradeport.followup import reminders
from tradeport.org.models import Employee
from tradeport.system.presets import load_all

pytestmark = pytest.mark.browser


def test_products_are_ticked_in_the_picker_and_the_reminder_box_follows_the_customer(site, new_page):
    """CUST-01, GEN-06, FUP-03, FUP-16: two products found by search and ticked are saved and shown; choosing
    that customer on contact input brings up the box to keep its open reminder."""
    load_all(only=("regions",))
    page = new_page("zh-CN")
    first_login(page, site, "sales1")
    page.goto(f"{site}/customers/new/")
    page.fill("#id_name", "汉堡贸易有限公司")
    choose_region(page, "id_region", "德国")
    expect(page.locator("#id_products_chosen")).to_contain_text("未选择经营产品")
    page.click("[data-picker-open=id_products]")
    page.locator("#picker-modal-body input[data-pick-label='服装']").check()
    with page.expect_response(lambda response: "q=" in response.url and "products" in response.url):
        page.fill("#picker-modal-body input[type=search]", "灯")
    expect(page.locator("#picker-modal-body [data-pick-value]")).to_have_count(1)
    page.locator("#picker-modal-body input[data-pick-label='灯具']").check()
    page.click("#picker-modal-body [data-pick-confirm]")
    expect(page.locator("#id_products_chosen [data-value]")).to_have_count(2)
    page.click("#customer-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("服装, 灯具")
    customer = Customer.objects.get(name="汉堡贸易有限公司")
    assert sorted(customer.products.values_list("code", flat=True)) == ["P01", "P05"]

    sales1 = Employee.objects.get(code="0002")
    reminders.schedule(customer, sales1, timezone.localdate(), source="mail")
    page.goto(f"{site}/followup/contact/new/")
    expect(page.locator("#keep-reminder input")).to_have_count(0)
    page.click("[data-picker-open=id_customer]")
    with page.expect_response(lambda response: "q=" in response.url and "picker" in response.url):
        page.fill("#picker-modal-body input[type=search]", "汉堡")
    with page.expect_response(lambda response: "contact/new/" in response.url and "customer=" in response.url):
        page.locator("#picker-modal-body [data-pick-label^='汉堡贸易']").first.click()
    expect(page.locator("#keep-reminder input[name=keep_reminder]")).to_be_visible()
    expect(page.locator("#open-reminder")).to_contain_text(timezone.localdate().isoformat())
