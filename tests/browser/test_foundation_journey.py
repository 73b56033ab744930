"""The reviewer's walk of the foundation, in a real browser."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def log_in(page, site, username, password):
    page.goto(f"{site}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def change_password(page, old, new):
    page.fill("input[name=old_password]", old)
    page.fill("input[name=new_password1]", new)
    page.fill("input[name=new_password2]", new)
    page.click("main button[type=submit]")


def test_admin_creates_an_account_that_sees_only_its_granted_menu(site, new_page):
    """ACC-01, ACC-09, PERM-01, PERM-02, GEN-01, ADM-09: the foundation walk, in English."""
    admin = new_page("en-US")
    log_in(admin, site, "admin", "admin")
    expect(admin).to_have_url(re.compile(r"/password/$"))
    change_password(admin, "admin", "Harbour-Lights-42")
    expect(admin.locator(".alert-success")).to_contain_text("password has been changed")

    admin.click("text=Account management")
    admin.click("text=New account")
    admin.fill("#id_username", "zhangwei")
    admin.fill("#id_employee_name", "张伟")
    admin.fill("#id_password1", "Export-Desk-7")
    admin.fill("#id_password2", "Export-Desk-7")
    admin.uncheck("#id_must_change_password")
    admin.click("button:has-text('Done')")
    expect(admin.locator("#account-table")).to_contain_text("zhangwei")

    admin.locator("tr", has_text="zhangwei").locator("text=Permissions").click()
    admin.check("#perm-fn_customer_new")
    admin.check("#perm-fn_personalization")
    admin.click("button:has-text('Save')")
    expect(admin.locator(".alert-success")).to_contain_text("zhangwei")

    user = new_page("en-US")
    log_in(user, site, "zhangwei", "Export-Desk-7")
    expect(user.locator("h1")).to_have_text("Workbench")
    menu = user.locator("aside")
    expect(menu.locator("[data-function]")).to_have_count(2)
    expect(menu).to_contain_text("New customer")
    expect(menu).to_contain_text("Personalization")
    expect(menu).not_to_contain_text("Departments")
    response = user.goto(f"{site}/console/")
    assert response.status == 403

    admin.click("text=Operation log")
    expect(admin.locator("#log-table")).to_contain_text("zhangwei")
    expect(admin.locator("#log-table tr[data-action=grant]")).to_have_count(1)
    admin.click("text=System log")
    expect(admin.locator("#log-table tr[data-event=login]").first).to_contain_text("zhangwei")


@override_settings(TRADEPORT_SEATS=1)
def test_second_login_is_refused_when_the_seats_are_full_but_admin_gets_in(site, new_page):
    """ACC-03, ACC-04, ACC-13, ADM-08: seats in Chinese; logout frees the seat at once."""
    first = new_page("zh-CN")
    log_in(first, site, "sales1", "sales1")
    expect(first).to_have_url(re.compile(r"/password/$"))

    second = new_page("zh-CN")
    log_in(second, site, "sales2", "sales2")
    expect(second.locator("#login-error")).to_contain_text("1")
    expect(second.locator("#login-error")).to_contain_text("同时在线")

    admin = new_page("zh-CN")
    log_in(admin, site, "admin", "admin")
    expect(admin).to_have_url(re.compile(r"/password/$"))

    first.click("button:has-text('安全退出')")
    expect(first).to_have_url(re.compile(r"/login/"))
    log_in(second, site, "sales2", "sales2")
    expect(second).to_have_url(re.compile(r"/password/$"))


def test_language_follows_the_browser_and_can_be_switched(site, new_page):
    """GEN-01, PERS-05: the login page speaks the browser's language and the switcher changes it."""
    page = new_page("zh-CN")
    page.goto(f"{site}/login/")
    expect(page.locator("button[type=submit]").first).to_have_text("登录")
    page.click("button:has-text('English')")
    expect(page.locator("form.card button[type=submit]")).to_have_text("Log in")
