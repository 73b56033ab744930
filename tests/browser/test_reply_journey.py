"""Answering a known customer's mail from the reading pane, in a real browser and in both languages:
[Reply] opens the compose form filled in, the mail leaves through the loopback SMTP server with a
Chinese-named attachment, and the original leaves the queue; [Record contact] files a phone call."""

import email
import email.policy

import pytest
from playwright.sync_api import expect

from browser.steps import log_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.followup.models import ContactRecord
from tradeport.mail.models import Mail, Mailbox, OutgoingMail
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee, Region
from tradeport.org.services import region_save

pytestmark = pytest.mark.browser

PASSWORD = "Harbour-Lights-42"
TEXTS = {
    "en-US": {"reply": "Reply", "sent": "Sent", "phone": "Phone", "record": "Record contact"},
    "zh-CN": {"reply": "回复", "sent": "已发送", "phone": "电话", "record": "记录联系"},
}


@pytest.fixture
def known_customer(site, smtp_sink):
    account = Account.objects.get(username="sales1")
    account.set_password(PASSWORD)
    account.must_change_password = False
    account.save()
    sales1 = Employee.objects.get(code=account.employee_code)
    finland = region_save(region=Region(code="FI", name_zh="芬兰", name_en="Finland", level=2), parent=None)
    customer = Customer.objects.create(code="C0100", name="Nordic Sauna Oy", region=finland,
                                       main_email="mikko@nordic-sauna.fi")
    EmailAddress.objects.create(address="mikko@nordic-sauna.fi", domain="nordic-sauna.fi", customer=customer,
                                role="main")
    Ownership.objects.create(customer=customer, employee=sales1)
    mailbox = Mailbox.objects.create(address="sales@tradeport.test", protocol="none", smtp_host=smtp_sink.host,
                                     smtp_port=smtp_sink.port, smtp_security="plain")
    return {"customer": customer, "mailbox": mailbox, "sales1": sales1, "site": site}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_sales1_replies_and_records_a_call(known_customer, smtp_sink, new_page, tmp_path, locale):
    """READ-02, QUE-03, SEND-01, SEND-13, SEND-14, SEND-16, READ-21, QUE-04, FUP-02, FUP-08: reply with a
    Chinese-named attachment from the reading pane; then record a phone call about the next mail."""
    texts = TEXTS[locale]
    mailbox = known_customer["mailbox"]
    first = message_ingest(mailbox=mailbox, raw=raw_mail("mikko@nordic-sauna.fi", to=mailbox.address,
                                                         subject="LED strips", message_id="<led1@nordic-sauna.fi>")).mail
    page = new_page(locale)
    site = known_customer["site"]
    log_in(page, site, "sales1", PASSWORD)
    page.goto(f"{site}/mail/followup/")
    expect(page.locator("#queue-tree [data-counter=known]")).to_have_text("1")
    page.locator(f"#queue-table tr[data-mail='{first.pk}'] a[data-open-mail]").click()
    expect(page.locator("#reply-button")).to_contain_text(texts["reply"])
    page.click("#reply-button")
    expect(page.locator("#id_to")).to_have_value("mikko@nordic-sauna.fi")
    expect(page.locator("#id_subject")).to_have_value("Re: LED strips")
    expect(page.locator("#id_follow_up_source")).to_be_checked()
    page.locator("#id_body").press("Control+Home")
    page.keyboard.type("Our quotation is attached.")
    quote = tmp_path / "报价单.pdf"
    quote.write_bytes(b"%PDF-1.4 quotation")
    page.set_input_files("#id_files", str(quote))
    page.click("#send-button")
    row = page.locator("#outbox-table tr[data-outgoing]").first
    expect(row).to_have_attribute("data-state", "sent")
    expect(row).to_contain_text(texts["sent"])

    assert len(smtp_sink.messages) == 1
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["In-Reply-To"] == "<led1@nordic-sauna.fi>"
    assert [part.get_filename() for part in message.iter_attachments()] == ["报价单.pdf"]
    assert message.get_body(("plain",)).get_content().startswith("Our quotation is attached.")
    sent = OutgoingMail.objects.get().mail
    assert sent.customer == known_customer["customer"]
    assert Mail.objects.get(pk=first.pk).followed_up_by == known_customer["sales1"]

    second = message_ingest(mailbox=mailbox, raw=raw_mail("mikko@nordic-sauna.fi", to=mailbox.address,
                                                          subject="Please call", message_id="<led2@nordic-sauna.fi>")).mail
    page.goto(f"{site}/mail/followup/")
    expect(page.locator("#queue-tree [data-counter=known]")).to_have_text("1")
    page.locator(f"#queue-table tr[data-mail='{second.pk}'] a[data-open-mail]").click()
    expect(page.locator("#record-contact")).to_contain_text(texts["record"])
    page.click("#record-contact")
    expect(page.locator("#from-mail")).to_be_visible()
    page.select_option("#id_method", label=texts["phone"])
    page.fill("#id_subject", "Called Mikko about the LED strips")
    page.fill("#id_content", "He confirmed 400 pcs.")
    page.click("#contact-form button[type=submit]")
    expect(page.locator("#record")).to_contain_text("Nordic Sauna Oy")
    record = ContactRecord.objects.get()
    assert record.mail_id == second.pk
    assert record.method.code == "PHONE"
    page.goto(f"{site}/mail/followup/")
    expect(page.locator("#queue-tree [data-counter=known]")).to_have_text("0")
