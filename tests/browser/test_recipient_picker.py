"""Picking recipients in the compose form, in Chromium: customers and the personal address book (SEND-02)."""

import pytest
from playwright.sync_api import expect

from browser.steps import log_in
from browser.test_reply_journey import PASSWORD, known_customer  # noqa: F401
from tradeport.accounts.models import Account
from tradeport.mail.models import AddressBookEntry

pytestmark = pytest.mark.browser


def test_recipients_come_from_customers_and_the_address_book(known_customer, new_page):  # noqa: F811
    """SEND-02, SEND-04, PERS-06, SHORT-04: [Select recipients] puts a customer into To and an address-book
    entry into Cc; a second click adds nothing twice."""
    AddressBookEntry.objects.create(owner=Account.objects.get(username="sales1"), name="Ningbo Forwarder",
                                    email="ops@forwarder.cn")
    page = new_page("en-US")
    site = known_customer["site"]
    log_in(page, site, "sales1", PASSWORD)
    page.goto(f"{site}/mail/compose/")
    page.click("#pick-recipients")
    row = page.locator("#recipient-picker tr[data-address='mikko@nordic-sauna.fi']")
    row.locator("[data-add-recipient=id_to]").click()
    row.locator("[data-add-recipient=id_to]").click()
    expect(page.locator("#id_to")).to_have_value("mikko@nordic-sauna.fi")
    page.click("#pick-from-book")
    page.locator("#recipient-picker tr[data-address='ops@forwarder.cn'] [data-add-recipient=id_cc]").click()
    expect(page.locator("#id_cc")).to_have_value("ops@forwarder.cn")
