"""The reviewer's walk of mail, in a real browser: a system mailbox on a private Dovecot,
routing with its reasons, a blocked sender, and the external import in the admin console."""

import re
import zipfile

import pytest
from django.db import transaction
from django.utils import translation
from playwright.sync_api import expect

from browser.steps import first_login, log_in
from mailflow.conftest import raw_mail
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.customers.services import next_customer_code
from tradeport.mail.models import Mail
from tradeport.mail.routing import describe
from tradeport.org.models import Employee, Region
from tradeport.org.services import region_save

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Pine-Boards-2026"
CUSTOMER_EMAIL = "orders@baltic-timber.fi"
STRANGER_EMAIL = "hello@cold-outreach.example"
BLOCKED_EMAIL = "promo@seo-blaster.example"






def customer_owned_by_salesperson1():
    """A customer whose main email is in the address index, owned by the preset 业务员1 (0002)."""
    finland = region_save(region=Region(code="FI", name_zh="芬兰", name_en="Finland", level=2), parent=None)
    with transaction.atomic():
        customer = Customer.objects.create(code=next_customer_code(), name="Baltic Timber Oy", region=finland,
                                           main_email=CUSTOMER_EMAIL)
    EmailAddress.objects.create(address=CUSTOMER_EMAIL, domain="baltic-timber.fi", customer=customer, role="main")
    owner = Employee.objects.get(code="0002")
    Ownership.objects.create(customer=customer, employee=owner)
    return customer, owner


def foxmail_export(path, mailbox_address):
    """A Foxmail-style export: one received mail in inbox/, one sent mail in sendbox/."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("inbox/1.eml", raw_mail(CUSTOMER_EMAIL, to=mailbox_address, subject="Pine boards, 2024 order",
                                                 message_id="<old-order@baltic-timber.fi>"))
        archive.writestr("sendbox/2.eml", raw_mail(mailbox_address, to=f"Baltic Timber <{CUSTOMER_EMAIL}>",
                                                   subject="Re: Pine boards, 2024 order",
                                                   message_id="<old-reply@tradeport.test>"))
    return path


def mailbox_row(page, address):
    return page.locator(f"#mailbox-table tr[data-mailbox='{address}']")


def test_system_mailbox_receives_routes_blocks_and_imports(site, admin_password_changed, dovecot, dovecot_user,
                                                           new_page, tmp_path):
    """MBOX-02, MBOX-03, MBOX-07, MBOX-08, MBOX-09, MAIL-01, MAIL-13, MAIL-20, SYS-02, SYS-03, SYS-05, ADM-11, ADM-12, ADM-13:
    a manager adds a Dovecot mailbox, tests it, blocks a sender and receives; system mail shows each route
    and its reason (in English and in Chinese); the admin imports a Foxmail .zip twice without doubles."""
    customer, owner = customer_owned_by_salesperson1()
    address = dovecot_user.address

    # The manager adds the mailbox through the menu and tests the connection.
    manager = new_page("en-US")
    first_login(manager, site, "manager", NEW_PASSWORD)
    manager.click("aside [data-function=fn_system_mailbox]")
    expect(manager.locator("h1")).to_have_text("Mailboxes")
    manager.click("text=Add mailbox")
    manager.fill("#id_address", address)
    manager.select_option("#id_protocol", "imap")
    manager.fill("#id_host", dovecot.host)
    manager.fill("#id_port", str(dovecot.imap_port))
    manager.select_option("#id_security", "plain")
    manager.fill("#id_username", address)
    manager.fill("#id_password", dovecot_user.password)
    manager.click("main form button[type=submit]")
    expect(manager.locator(".alert-success")).to_contain_text(f"Mailbox {address} saved.")
    row = mailbox_row(manager, address)
    expect(row).to_contain_text(f"IMAP {dovecot.host}:{dovecot.imap_port}")
    row.locator("button:has-text('Test connection')").click()
    expect(manager.locator(".alert-success")).to_have_text(re.compile(r"Connection works\. IMAP: INBOX: 0 messages"))

    # A spammer is blocked before any mail arrives.
    manager.click("text=Blocked addresses")
    manager.fill("#id_address", BLOCKED_EMAIL.upper())
    manager.fill("#id_reason", "SEO spam")
    manager.click("main form button:has-text('Block')")
    expect(manager.locator(".alert-success")).to_contain_text(f"Mail from {BLOCKED_EMAIL} will be refused.")
    expect(manager.locator("#blocked-table tr", has_text=BLOCKED_EMAIL)).to_contain_text("SEO spam")

    dovecot.deliver(address, raw_mail(CUSTOMER_EMAIL, to=address, subject="Quote for pine boards",
                                      message_id="<quote-1@baltic-timber.fi>"))
    dovecot.deliver(address, raw_mail(STRANGER_EMAIL, to=address, subject="Partnership proposal",
                                      message_id="<pitch-1@cold-outreach.example>"))
    dovecot.deliver(address, raw_mail(BLOCKED_EMAIL, to=address, subject="Rank first on Google",
                                      message_id="<spam-1@seo-blaster.example>"))

    manager.click("aside [data-function=fn_system_mailbox]")
    row = mailbox_row(manager, address)
    row.locator("button:has-text('Test connection')").click()
    expect(manager.locator(".alert-success")).to_have_text(re.compile(r"IMAP: INBOX: 3 messages"))
    row.locator("button:has-text('Receive')").click()
    expect(manager.locator(".alert-info")).to_contain_text(f"Receiving {address} has started")
    manager.reload()  # the Immediate backend fetched during the request; a reload is what a user would do
    row = mailbox_row(manager, address)
    expect(row.locator("[data-count=server]")).to_have_text("3")
    expect(row.locator("[data-count=fetched]")).to_have_text("3")
    expect(row.locator("[data-count=stored]")).to_have_text("2")
    expect(row.locator("[data-state=ok]")).to_be_visible()

    # System mail management: each mail with its route, its reason and who got it; the spam is not there.
    manager.click("a:has-text('System mail management')")
    table = manager.locator("#system-mail")
    known = table.locator("tr", has_text="Quote for pine boards")
    expect(known).to_have_attribute("data-route", "customer")
    expect(known).to_contain_text("Known customer")
    reason = f"main email of {customer.code} Baltic Timber Oy → owners {owner.name}"
    expect(known.locator("[data-reason]")).to_have_text(reason)
    expect(known.locator("td").nth(5)).to_contain_text(f"{owner.name} · Pending")
    stranger = table.locator("tr", has_text="Partnership proposal")
    expect(stranger).to_have_attribute("data-route", "undistributed")
    expect(stranger).to_contain_text("Undistributed")
    expect(stranger.locator("[data-reason]")).to_have_text(f"unknown sender {STRANGER_EMAIL} → undistributed")
    expect(stranger.locator("td").nth(5)).to_have_text("—")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).not_to_contain_text(BLOCKED_EMAIL)
    expect(table).not_to_contain_text("Rank first on Google")

    manager.goto(f"{site}/mail/blocked/")
    expect(manager.locator("#blocked-table tr", has_text=BLOCKED_EMAIL).locator("td").nth(2)).to_have_text("1")

    # The admin imports an old Foxmail export into the mailbox, then the same file again.
    export = foxmail_export(tmp_path / "foxmail-export.zip", address)
    admin = new_page("en-US")
    log_in(admin, site, "admin", admin_password_changed)
    admin.click("text=External mail import")
    expect(admin.locator("h1")).to_have_text("External mail import")
    for run, summary in ((1, "imported 2, duplicates 0"), (2, "imported 0, duplicates 2")):
        admin.select_option("#id_mailbox", label=address)
        admin.set_input_files("#id_files", str(export))
        admin.click("#import-form button[type=submit]")
        expect(admin.locator(".alert-info")).to_contain_text("The import has started")
        expect(admin.locator("#import-table tbody tr")).to_have_count(run)
        job = admin.locator("#import-table tbody tr").first
        expect(job).to_have_attribute("data-state", "done")
        expect(job.locator(".progress-bar")).to_have_text("100%")
        expect(job.locator("[data-summary]")).to_contain_text(f"{summary}, quarantined 0, blocked 0, failed 0")
        expect(job).to_contain_text("foxmail-export.zip")

    # The manager sees the imported pair: the old order routed to the owner, the reply filed as sent by us.
    manager.goto(f"{site}/mail/system/")
    expect(table.locator("tbody tr")).to_have_count(4)
    old_order = table.locator("tr[data-route=customer]", has_text="Pine boards, 2024 order")
    expect(old_order.locator("[data-reason]")).to_have_text(reason)
    sent = table.locator("tr[data-route=outgoing]")
    expect(sent).to_contain_text("Re: Pine boards, 2024 order")
    expect(sent.locator("[data-reason]")).to_have_text(
        f"sent by {address} to main email of {customer.code} Baltic Timber Oy")

    # The same reason, for a reader whose browser speaks Chinese.
    facts = Mail.objects.get(message_id="<quote-1@baltic-timber.fi>").route_facts
    with translation.override("zh-hans"):
        chinese_reason = describe(facts)
        chinese_route = str(Mail.Route.CUSTOMER.label)
    with translation.override("en"):
        assert describe(facts) == reason
    assert chinese_reason != reason, "the route reason has no Chinese translation"
    zh = new_page("zh-CN")
    log_in(zh, site, "manager", NEW_PASSWORD)
    zh.goto(f"{site}/mail/system/")
    expect(zh.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(zh.locator("h1")).to_have_text("系统邮件管理")
    known_zh = zh.locator("#system-mail tr", has_text="Quote for pine boards")
    expect(known_zh.locator("[data-reason]")).to_have_text(chinese_reason)
    expect(known_zh.locator("[data-reason]")).to_contain_text(f"{customer.code} Baltic Timber Oy")
    expect(known_zh.locator("[data-reason]")).to_contain_text(f"分管人 {owner.name}")
    expect(known_zh.locator(".badge")).to_have_text(chinese_route)
    expect(zh.locator("#system-mail tr", has_text="Partnership proposal").locator("[data-reason]")).to_have_text(
        f"陌生发件人 {STRANGER_EMAIL} → 未分发")
