# ruff: noqa: F811  (the fixture imported from browser.test_reply_journey is a test parameter)
"""The sending issue's "done when", in a real browser and in both languages: a reply written with a
personal template and a common phrase and a Chinese-named attachment; a salesperson's mail held for the
manager's approval (the reviewer set through the UI) and let go by [Approve]; and a mass mailing of 500
addresses from a file, sent one message per recipient through the loopback SMTP server."""

import email
import email.policy
import re

import pytest
from playwright.sync_api import expect

from browser.steps import log_in
from browser.test_reply_journey import PASSWORD, known_customer  # noqa: F401
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.mail.models import (
    CommonPhrase,
    MailTemplate,
    MassMailing,
    OutgoingMail,
    ReviewerAssignment,
)
from tradeport.mail.services import message_ingest
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.browser

LOCALES = ["en-US", "zh-CN"]
TEMPLATE_TEXT = "Dear Mikko,\n\n感谢您的询价。Our quotation for the LED strips is attached."
PHRASE_TEXT = "Delivery within 15 days after the deposit (定金后15天交货)."
TEXTS = {
    "en-US": {"reply": "Reply", "sent": "Sent", "approval": "Submit for approval", "awaiting": "Awaiting approval",
              "added": "500 recipients added.", "done": "Finished"},
    "zh-CN": {"reply": "回复", "sent": "已发送", "approval": "提交审核", "awaiting": "待审核",
              "added": "已添加 500 位收件人。", "done": "已完成"},
}


def manager_password() -> Account:
    """The preset manager, its first-login password change already made."""
    manager = Account.objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.must_change_password = False
    manager.save()
    return manager


def plain_body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.mark.parametrize("locale", LOCALES)
def test_reply_with_template_phrase_and_chinese_attachment(known_customer, smtp_sink, new_page, tmp_path, locale):
    """SEND-05, SEND-06, SEND-13, READ-02: sales1 answers a customer's mail from the follow-up screen; her own
    template and a common phrase go into the body at the cursor; the attachment "报价单.pdf" keeps its name;
    the reply is threaded to the original and carries both texts."""
    texts = TEXTS[locale]
    site, mailbox = known_customer["site"], known_customer["mailbox"]
    sales1 = Account.objects.get(username="sales1")
    MailTemplate.objects.create(owner=sales1, name="LED quotation", subject="Quotation", body=TEMPLATE_TEXT)
    CommonPhrase.objects.create(owner=sales1, title="Lead time", content=PHRASE_TEXT, position=1)
    original = message_ingest(mailbox=mailbox, raw=raw_mail(
        "mikko@nordic-sauna.fi", to=mailbox.address, subject="LED strips", message_id="<led1@nordic-sauna.fi>")).mail

    page = new_page(locale)
    log_in(page, site, "sales1", PASSWORD)
    page.goto(f"{site}/mail/followup/")
    page.locator(f"#queue-table tr[data-mail='{original.pk}'] a[data-open-mail]").click()
    expect(page.locator("#reply-button")).to_contain_text(texts["reply"])
    page.click("#reply-button")
    expect(page.locator("#id_subject")).to_have_value("Re: LED strips")
    body = page.locator("#id_body")
    body.press("Control+Home")  # the cursor before the quoted original
    page.select_option("#insert-template", label="LED quotation")
    page.select_option("#insert-phrase", label="Lead time")
    expect(body).to_have_value(re.compile(re.escape(TEMPLATE_TEXT) + re.escape(PHRASE_TEXT) + ".*> Please quote", re.S))
    # A template's subject fills only an empty subject: the reply's stays.
    expect(page.locator("#id_subject")).to_have_value("Re: LED strips")
    quote = tmp_path / "报价单.pdf"
    quote.write_bytes(b"%PDF-1.4 quotation")
    page.set_input_files("#id_files", str(quote))
    page.click("#send-button")
    row = page.locator("#outbox-table tr[data-outgoing]").first
    expect(row).to_have_attribute("data-state", "sent")
    expect(row).to_contain_text(texts["sent"])

    assert len(smtp_sink.messages) == 1
    received = smtp_sink.messages[0]
    assert received.recipients == ["mikko@nordic-sauna.fi"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "Re: LED strips"
    assert message["In-Reply-To"] == "<led1@nordic-sauna.fi>"
    assert "<led1@nordic-sauna.fi>" in message["References"]
    text = plain_body(message)
    assert text.startswith(TEMPLATE_TEXT + PHRASE_TEXT)
    assert "> Please quote." in text
    attachments = list(message.iter_attachments())
    assert [part.get_filename() for part in attachments] == ["报价单.pdf"]
    assert attachments[0].get_content() == b"%PDF-1.4 quotation"
    outgoing = OutgoingMail.objects.get()
    assert (outgoing.kind, outgoing.source_id) == (OutgoingMail.Kind.REPLY, original.pk)


@pytest.mark.parametrize("locale", LOCALES)
def test_reviewer_set_in_the_ui_holds_mail_until_approved(known_customer, smtp_sink, new_page, locale):
    """SEND-10, SEND-11, SEND-12, SEND-02: the manager makes herself sales1's reviewer ([Modify], type
    "manager", [Save]); sales1 writes a new mail to a customer picked with [Select recipients], which offers
    only [Submit for approval] and waits in the outbox while nothing leaves; the manager's workbench counts
    it, [Approve] sends it, exactly once."""
    texts = TEXTS[locale]
    site = known_customer["site"]
    manager_password()
    boss = new_page(locale)
    log_in(boss, site, "manager", PASSWORD)
    boss.goto(f"{site}/mail/reviewers/")
    boss.locator("#reviewer-table tr[data-account=sales1] a").click()
    boss.fill("#id_reviewer", "manager")
    boss.click("#reviewer-form button[type=submit]")
    expect(boss.locator("#reviewer-table tr[data-account=sales1] td[data-reviewer]")).to_have_text("manager")
    assignment = ReviewerAssignment.objects.get(account__username="sales1")
    assert assignment.reviewer.username == "manager"

    sales = new_page(locale)
    log_in(sales, site, "sales1", PASSWORD)
    sales.goto(f"{site}/mail/compose/")
    expect(sales.locator("#review-note")).to_be_visible()
    expect(sales.locator("#send-button i.bi-person-check")).to_have_count(1)
    expect(sales.locator("#send-button")).to_contain_text(texts["approval"])
    # Bootstrap ignores Escape while the dialog's opening fade runs: wait until it is shown.
    # The page's policy forbids eval, so Playwright's wait_for_function cannot run there: mark the DOM instead.
    sales.evaluate("document.getElementById('picker-modal').addEventListener('shown.bs.modal',"
                   " (event) => event.target.setAttribute('data-shown', ''), { once: true })")
    sales.click("#pick-recipients")
    expect(sales.locator("#picker-modal[data-shown]")).to_have_count(1)
    sales.locator("#recipient-picker tr[data-address='mikko@nordic-sauna.fi'] [data-add-recipient=id_to]").click()
    expect(sales.locator("#id_to")).to_have_value("mikko@nordic-sauna.fi")
    sales.keyboard.press("Escape")
    expect(sales.locator("#picker-modal")).to_be_hidden()
    sales.fill("#id_subject", "Price list 2027")
    sales.locator("#id_body").fill("Dear Mikko,\n\nthe new price list follows.")
    sales.click("#send-button")
    row = sales.locator("#outbox-table tr[data-outgoing]").first
    expect(row).to_have_attribute("data-state", "awaiting")
    expect(row).to_contain_text(texts["awaiting"])
    assert smtp_sink.messages == []

    boss.goto(f"{site}/")
    expect(boss.locator("[data-counter=approval]")).to_have_text("1")
    boss.click("#approval-tile")
    card = boss.locator("article[data-outgoing]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Price list 2027")
    card.locator("button[data-action=approve]").click()
    expect(boss.locator("#nothing-to-approve")).to_be_visible()
    assert len(smtp_sink.messages) == 1
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["Subject"] == "Price list 2027"
    assert smtp_sink.messages[0].recipients == ["mikko@nordic-sauna.fi"]
    sales.goto(f"{site}/mail/outbox/")
    expect(sales.locator("#outbox-table tr[data-outgoing]").first).to_have_attribute("data-state", "sent")
    boss.goto(f"{site}/")
    expect(boss.locator("[data-counter=approval]")).to_have_text("0")
    assert len(smtp_sink.messages) == 1


@pytest.mark.parametrize("locale", LOCALES)
def test_mass_mailing_to_500_addresses_from_a_file(known_customer, smtp_sink, new_page, tmp_path, locale):
    """MASS-01..05: the manager writes a mass mailing, uploads a .txt of 500 addresses, sees them all added,
    confirms [Send to all]; the progress card ends "done" with 500 sent; the SMTP server took 500 messages,
    each to one envelope recipient, none showing another recipient's address."""
    texts = TEXTS[locale]
    site = known_customer["site"]
    manager_password()
    # At the default 60 a minute, 500 messages would keep this (immediate-backend) request busy for 8 minutes.
    SystemOption.objects.update_or_create(key="mass_mail_per_minute", defaults={"value": 6000})
    addresses = [f"buyer{n:03d}@market{n:03d}.example" for n in range(500)]
    listing = tmp_path / "buyers.txt"
    listing.write_text("\n".join(addresses[:250]) + "\n" + "; ".join(addresses[250:]) + "\n", encoding="utf-8")

    page = new_page(locale)
    log_in(page, site, "manager", PASSWORD)
    page.goto(f"{site}/mail/mass/new/")
    page.fill("#id_subject", "2027 catalogue")
    page.fill("#id_body", "Dear customer,\n\nour 2027 catalogue is out. 新产品目录已发布。")
    page.click("#mass-form button[type=submit]")
    expect(page.locator("#upload-recipients")).to_be_visible()
    page.set_input_files("#upload-recipients input[type=file]", str(listing))
    page.click("#upload-recipients button[type=submit]")
    expect(page.locator("#mass-counts")).to_have_attribute("data-total", "500")
    expect(page.locator("main")).to_contain_text(texts["added"])
    mailing = MassMailing.objects.get()
    assert mailing.recipients.count() == 500

    page.once("dialog", lambda dialog: dialog.accept())
    # Tests run tasks in the request (the immediate backend): the click's answer waits for all 500 messages.
    page.click("#mass-submit", timeout=90_000)
    expect(page.locator("#mass-state")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#mass-counts")).to_have_attribute("data-sent", "500")
    expect(page.locator("#mass-counts")).to_have_attribute("data-failed", "0")
    expect(page.locator("#mass-state")).to_have_text(texts["done"])

    assert len(smtp_sink.messages) == 500
    assert sorted(m.recipients[0] for m in smtp_sink.messages) == sorted(addresses)
    pattern = re.compile(rb"[\w.+-]+@market\d{3}\.example")
    for received in smtp_sink.messages:
        assert len(received.recipients) == 1
        assert set(pattern.findall(received.data)) == {received.recipients[0].encode()}
    sample = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert sample["Subject"] == "2027 catalogue"
    assert "新产品目录已发布" in plain_body(sample)
    mailing.refresh_from_db()
    assert (mailing.state, mailing.total, mailing.sent, mailing.failed, mailing.skipped) == ("done", 500, 500, 0, 0)
