"""The reviewer's walk of organisation and master data, in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from browser.steps import first_login, log_in
from tradeport.audit.models import OperationLogEntry
from tradeport.org.models import Department, Employee, Region
from tradeport.system.presets import load_all

pytestmark = pytest.mark.browser






def test_manager_builds_the_organisation(site, new_page):
    """ORG-01, ORG-03, ORG-05, ORG-07, ORG-09, ORG-14, ORG-15, ORG-17, CODE-01, GEN-05, GEN-06: the manager's walk, in Chinese."""
    load_all(only=("regions",))
    page = new_page("zh-CN")
    first_login(page, site, "manager", "Harbour-Lights-42")

    # Departments: 外贸部 → 外贸一部 / 外贸二部
    page.click("aside [data-function=fn_departments]")
    page.click("[data-department='01']")
    for code, name in (("0101", "外贸一部"), ("0102", "外贸二部")):
        page.click("#department-detail a[href*='parent=']")
        page.fill("#id_code", code)
        page.fill("#id_name", name)
        page.click("main form button[type=submit]")
        expect(page.locator("#department-tree")).to_contain_text(name)
        page.click("[data-department='01']")
    assert Department.objects.get(code="0101").parent.code == "01"

    # Deleting a department that still has employees is refused with the reason.
    page.click("#department-detail a[href$='/delete/']")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-danger")).to_contain_text("外贸部")
    assert Department.objects.filter(code="01").exists()

    # An employee with role flags in 外贸一部
    page.click("aside [data-function=fn_employees]")
    page.click("main [data-department='0101']")
    page.click("main a[href*='/org/employees/new/']")
    page.fill("#id_code", "1001")
    page.fill("#id_name", "王芳")
    page.fill("#id_name_en", "Fang Wang")
    page.check("#id_is_salesperson")
    page.check("#id_is_doc_clerk")
    page.fill("#id_mobile", "13800000000")
    page.click("main form button[type=submit]")
    expect(page.locator("#employee-table")).to_contain_text("王芳")
    employee = Employee.objects.get(code="1001")
    assert (employee.department.code, employee.is_salesperson, employee.is_doc_clerk) == ("0101", True, True)

    # Marking the preset salesperson 0002 (account sales1) as left stops sales1 logging in.
    page.click("main [data-department='']")
    page.click("tr[data-employee='0002'] a")
    page.select_option("#id_status", "left")
    page.click("main form button[type=submit]")
    expect(page.locator(".alert-info")).to_be_visible()
    other = new_page("zh-CN")
    log_in(other, site, "sales1", "sales1", refused=True)
    expect(other).to_have_url(re.compile(r"/login/"))

    # Regions: Germany under Europe with its time zone; add a city under it with the picker.
    page.click("aside [data-function=fn_regions]")
    page.fill("main input[type=search]", "德国")
    page.press("main input[type=search]", "Enter")
    page.click("#region-search-results a >> nth=0")
    expect(page.locator("#region-detail .card-header")).to_have_text(re.compile(r"欧洲\s*/\s*德国"))
    expect(page.locator("#region-time-zones")).to_contain_text("Europe/Berlin")
    page.click("#region-detail a[href*='/org/regions/new/']")
    expect(page.locator("#id_parent_label")).to_have_value(re.compile("德国"))
    page.fill("#id_code", "DE-HAJ")
    page.fill("#id_name_zh", "汉诺威")
    page.fill("#id_name_en", "Hanover")
    page.select_option("#id_level", "4")
    page.click("main form button[type=submit]")
    expect(page.locator("#region-detail")).to_contain_text("汉诺威")
    expect(page.locator("#region-time-zones")).to_contain_text("Europe/Berlin")
    assert Region.objects.get(code="DE-HAJ").parent.code == "DE"

    # A product code
    page.click("aside [data-function=fn_code_groups]")
    page.click("[data-group=product]")
    page.click("main a[href*='/codes/product/new/']")
    page.fill("#id_code", "P99")
    page.fill("#id_name_zh", "太阳能板")
    page.fill("#id_name_en", "Solar panels")
    page.click("main form button[type=submit]")
    expect(page.locator("#code-items")).to_contain_text("太阳能板")

    logged = set(OperationLogEntry.objects.filter(module__in=["org", "codes"])
                 .values_list("object_repr", flat=True))
    assert {"外贸一部", "外贸二部", "1001 王芳", "0002 业务员1", "汉诺威", "太阳能板"} <= logged


def test_region_picker_searches_and_chooses_with_the_keyboard(site, new_page):
    """GEN-06, ORG-17: the region picker opens, searches, and a choice fills the field, in English."""
    load_all(only=("regions",))
    page = new_page("en-US")
    first_login(page, site, "manager", "Harbour-Lights-42")
    page.goto(f"{site}/org/regions/new/")
    page.click("[data-picker-open=id_parent]")
    search = page.locator("#picker-modal-body input[type=search]")
    expect(search).to_be_visible()
    search.fill("Zhejiang")
    choice = page.locator("#picker-modal-body [data-pick-value]")
    expect(choice).to_have_count(1)
    search = page.locator("#picker-modal-body input[type=search]")
    expect(search).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(choice).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_parent_label")).to_have_value(re.compile(r"Asia / China / Zhejiang"))
    expect(page.locator("#picker-modal")).to_be_hidden()


def test_employee_picker_chooses_the_account_employee(site, new_page, admin_password_changed):
    """GEN-06, ACC-09, ACC-12: the account form picks the employee number from the department tree."""
    Employee.objects.create(code="1001", name="王芳", department=Department.objects.get(code="01"),
                            is_salesperson=True)
    page = new_page("en-US")
    log_in(page, site, "admin", admin_password_changed)
    page.goto(f"{site}/console/accounts/new/")
    page.click("[data-picker-open=id_employee_code]")
    page.click("#picker-modal-body [data-department='01']")
    expect(page.locator("#picker-modal-body [data-pick-value='0003']")).to_contain_text("has an account")
    page.click("#picker-modal-body [data-pick-value='1001']")
    expect(page.locator("#id_employee_code_chosen")).to_contain_text("王芳 (1001)")
    page.fill("#id_username", "newsales")
    page.fill("#id_password1", "Export-Desk-7")
    page.fill("#id_password2", "Export-Desk-7")
    page.click("button:has-text('Done')")
    expect(page.locator(".alert-success")).to_be_visible()
    from tradeport.accounts.models import Account

    assert Account.objects.get(username="newsales").employee.name == "王芳"
