"""The reviewer's walk of customers and ownership, in a real browser."""


import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from browser.steps import choose_region, first_login
from tradeport.customers.models import Customer, Ownership
from tradeport.org.models import Region
from tradeport.system.presets import load_all

pytestmark = pytest.mark.browser






def test_customers_ownership_and_visibility(site, new_page, tmp_path):
    """CUST-01, CUST-06, CUST-07, CUST-09, CUST-22, OWN-01, OWN-08, OWN-17, OWN-22, PERM-13: the walk of the issue."""
    load_all(only=("regions",))
    sales1 = new_page("zh-CN")
    first_login(sales1, site, "sales1")

    # sales1 creates a customer with a Chinese name, two backup emails and two contacts.
    sales1.click("aside [data-function=fn_customer_new]")
    sales1.fill("#id_name", "汉堡贸易有限公司")
    choose_region(sales1, "id_region", "德国")
    sales1.fill("#id_main_email", "Info@Hanse-Trade.de")
    sales1.fill("#id_backup_emails_text", "sales@hanse-trade.de; buyer@hanse-trade.de")
    sales1.fill("#id_contacts-0-name", "Anna Schmidt")
    sales1.fill("#id_contacts-0-email", "anna@hanse-trade.de")
    sales1.click("#add-contact")
    sales1.fill("#id_contacts-1-name", "Jonas Weber")
    sales1.fill("#id_contacts-1-email", "jonas@hanse-trade.de")
    sales1.click("#customer-form button[type=submit]")
    expect(sales1.locator("#contact-list")).to_contain_text("Jonas Weber")
    customer = Customer.objects.get(name="汉堡贸易有限公司")
    assert customer.backup_emails == ["sales@hanse-trade.de", "buyer@hanse-trade.de"]
    assert customer.mnemonic == "HBMY"
    expect(sales1.locator("#customer-local-time")).to_contain_text("Europe/Berlin")

    # sales2 types a customer of the same company domain and is warned without seeing sales1's data.
    sales2 = new_page("en-US")
    first_login(sales2, site, "sales2")
    sales2.goto(f"{site}/customers/new/")
    sales2.fill("#id_name", "Hanse Import")
    sales2.fill("#id_main_email", "kontakt@hanse-trade.de")
    sales2.click("#check-duplicates")
    warning = sales2.locator("#duplicate-results")
    expect(warning).to_contain_text("same company domain")
    expect(warning).to_contain_text("业务员1")
    expect(warning).not_to_contain_text("汉堡贸易")
    expect(warning).not_to_contain_text(customer.code)
    # ... and can never open sales1's customer by URL.
    assert sales2.goto(f"{site}/customers/{customer.pk}/").status == 404

    # The manager switches to strict mode, sets the creators for 德国, and moves sales1's customers to sales2.
    manager = new_page("zh-CN")
    first_login(manager, site, "manager")
    manager.click("aside [data-function=fn_ownership_setup]")
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.click("label[for=mode-strict]")
    expect(manager.locator("#mode-strict")).to_be_checked()
    choose_region(manager, "id_region", "德国")
    manager.click("form:has(#id_region) button[type=submit]")
    manager.click("[data-picker-open=id_setting-creators]")
    manager.locator("#picker-modal-body input[data-pick-value]").nth(0).check()
    manager.locator("#picker-modal-body input[data-pick-value]").nth(1).check()
    manager.click("#picker-modal-body [data-pick-confirm]")
    manager.click("#region-setting form button[type=submit] >> nth=0")
    expect(manager.locator(".alert-success")).to_be_visible()
    germany = Region.objects.get(code="DE")
    assert germany.ownership_setting.creators.count() == 2

    manager.click("aside [data-function=fn_ownership_transfer]")
    source = manager.locator("#id_source option", has_text="业务员1").get_attribute("value")
    manager.select_option("#id_source", source)
    manager.click("[data-picker-open=id_target]")
    manager.click("#picker-modal-body [data-pick-value] >> text=业务员2")
    manager.once("dialog", lambda dialog: dialog.accept())
    manager.click("main form button[type=submit]")
    expect(manager.locator("#transfer-result")).to_be_visible()
    assert list(Ownership.objects.current().filter(customer=customer).values_list("employee__code", flat=True)) == ["0003"]
    assert sales1.goto(f"{site}/customers/{customer.pk}/").status == 404

    # A saved ownership query finds them again.
    manager.click("aside [data-function=fn_ownership_query]")
    manager.select_option("#conditions select[name=column]", "employee_code")
    manager.select_option("#conditions select[name=op]", "eq")
    manager.fill("#conditions input[name=value]", "0003")
    manager.click("#run-query")
    expect(manager.locator("#query-results")).to_contain_text("汉堡贸易有限公司")
    manager.fill("input[name=name]", "业务员2的客户")
    manager.click("#save-query")
    manager.goto(f"{site}/customers/ownership/query/?clear=1")
    manager.click("[data-saved-query='业务员2的客户']")
    expect(manager.locator("#query-results")).to_contain_text("汉堡贸易有限公司")


def _sheet(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["客户名称", "所属地区", "电子邮件", "联系人", "联系人邮箱"])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_an_import_with_a_bad_row_is_refused_then_imported_whole(site, new_page, tmp_path):
    """CUST-01, CUST-07: .xlsx import previews per-row errors, imports nothing, then all rows once fixed."""
    load_all(only=("regions",))
    page = new_page("en-US")
    first_login(page, site, "sales1")
    rows = [["Lyon Textiles", "FR", "buy@lyon-textiles.fr", "Claire Martin", "claire@lyon-textiles.fr"],
            ["Lyon Textiles", "FR", "", "Paul Roux", "paul@lyon-textiles.fr"],
            ["Osaka Goods", "Atlantis", "info@osaka-goods.jp", "", ""]]
    page.goto(f"{site}/customers/import/")
    page.set_input_files("input[type=file]", str(_sheet(tmp_path / "bad.xlsx", rows)))
    page.click("main form button[type=submit]")
    expect(page.locator("#import-errors")).to_be_visible()
    expect(page.locator("tr[data-line='4']")).to_contain_text("Unknown or ambiguous region: Atlantis")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert not Customer.objects.exists()

    rows[2][1] = "JP"
    page.click("text=Upload another file")
    page.set_input_files("input[type=file]", str(_sheet(tmp_path / "fixed.xlsx", rows)))
    page.click("main form button[type=submit]")
    page.click("#confirm-import")
    expect(page.locator(".alert-success")).to_contain_text("2 customers imported")
    lyon = Customer.objects.get(name="Lyon Textiles")
    assert sorted(lyon.contacts.values_list("name", flat=True)) == ["Claire Martin", "Paul Roux"]
    assert Customer.objects.get(name="Osaka Goods").region.code == "JP"
