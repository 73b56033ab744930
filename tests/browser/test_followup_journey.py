# ruff: noqa: F811  (the fixture imported from browser.test_reply_journey is a test parameter)
"""The follow-up journey in Chromium, in English and Chinese: sales1 replies to a customer with follow-up
days 3; three days later (the clock moved in the test) the reminder waits in her queue with its counter;
she postpones it by two days and logs a phone call with an attachment; the manager opens the customer
and sees the mail, the reminder's history and the call in one history."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from browser.steps import log_in
from browser.test_reply_journey import PASSWORD, known_customer  # noqa: F401
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.followup.models import ContactRecord, Reminder
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.browser

TEXTS = {
    "en-US": {"phone": "Phone", "postponed": "Reminder postponed to"},
    "zh-CN": {"phone": "电话", "postponed": "提示延迟到"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_reply_reminder_postpone_call_and_the_managers_view(known_customer, smtp_sink, new_page, tmp_path,
                                                            monkeypatch, locale):
    """FUP-02, FUP-05, FUP-11, FUP-12, FUP-15, FUP-16, QUE-12, QUE-13, VIEW-06, VIEW-10, READ-12: the
    follow-up issue's journey."""
    texts = TEXTS[locale]
    site, customer = known_customer["site"], known_customer["customer"]
    mailbox = known_customer["mailbox"]
    mail = message_ingest(mailbox=mailbox, raw=raw_mail("mikko@nordic-sauna.fi", to=mailbox.address,
                                                        subject="Sauna lights", message_id="<fj1@nordic-sauna.fi>")).mail
    page = new_page(locale)
    log_in(page, site, "sales1", PASSWORD)
    page.goto(f"{site}/mail/followup/")
    page.locator(f"#queue-table tr[data-mail='{mail.pk}'] a[data-open-mail]").click()
    page.click("#reply-button")
    page.fill("#id_follow_up_days", "3")
    page.locator("#id_body").press("Control+Home")
    page.keyboard.type("Our offer follows.")
    page.click("#send-button")
    expect(page.locator("#outbox-table tr[data-outgoing]").first).to_have_attribute("data-state", "sent")
    reminder = Reminder.objects.get(customer=customer)
    assert reminder.due_date == timezone.localdate() + datetime.timedelta(days=3)

    page.goto(f"{site}/mail/followup/")
    expect(page.locator("#queue-tree [data-counter=reminders]")).to_have_text("0")
    real_localdate = timezone.localdate

    def three_days_later(value=None, timezone=None):  # today moves; logins and sessions keep real time
        return real_localdate(value, timezone) if value is not None else \
            real_localdate(timezone=timezone) + datetime.timedelta(days=3)

    monkeypatch.setattr(timezone, "localdate", three_days_later)
    page.goto(f"{site}/mail/followup/reminders/")
    expect(page.locator("#queue-tree [data-counter=reminders]")).to_have_text("1")
    row = page.locator(f"#reminder-table tr[data-reminder='{reminder.pk}']")
    expect(row).to_contain_text("Nordic Sauna Oy")
    later = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    actions = page.locator(f"#reminder-table tr[data-actions-for='{reminder.pk}']")
    actions.locator("input[name=date]").fill(later)
    actions.locator("[data-action=postpone]").click()
    expect(page.locator("#queue-tree [data-counter=reminders]")).to_have_text("0")
    reminder.refresh_from_db()
    assert reminder.due_date.isoformat() == later

    page.goto(f"{site}/followup/contact/new/?customer={customer.pk}")
    page.select_option("#id_method", label=texts["phone"])
    page.fill("#id_subject", "Called Mikko about the lights")
    scan = tmp_path / "通话记录.pdf"
    scan.write_bytes(b"%PDF-1.4 notes")
    page.set_input_files("#id_files", str(scan))
    page.click("#contact-form button[type=submit]")
    expect(page.locator("#record")).to_contain_text("Nordic Sauna Oy")
    call = ContactRecord.objects.get(customer=customer)
    assert [a.filename for a in call.attachments.all()] == ["通话记录.pdf"]
    reminder.refresh_from_db()
    assert reminder.state == Reminder.State.DONE

    manager = Account.objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.must_change_password = False
    manager.save()
    boss = new_page(locale)
    log_in(boss, site, "manager", PASSWORD)
    boss.goto(f"{site}/followup/customers/{customer.pk}/")
    timeline = boss.locator("#timeline-table")
    expect(timeline).to_contain_text("Called Mikko about the lights")
    expect(timeline).to_contain_text("Re: Sauna lights")
    expect(timeline).to_contain_text("Sauna lights")
    expect(timeline.locator("[data-reminder-event=postponed]")).to_contain_text(texts["postponed"])
    expect(timeline.locator("tr[data-entry=mail_out]")).to_have_count(1)
    expect(timeline.locator("tr[data-entry=mail_in]")).to_have_count(1)
    expect(timeline.locator("tr[data-entry=record]")).to_have_count(1)
    boss.click("#quick-filter [data-filter=sent]")
    expect(boss.locator("#timeline-table tr[data-entry]")).to_have_count(1)
    expect(boss.locator("#timeline-table tr[data-entry=mail_out]")).to_have_count(1)
