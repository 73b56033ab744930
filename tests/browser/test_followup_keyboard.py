"""The follow-up screen by keyboard alone: j/k move through the list, Enter opens the mail in the
reading pane, and the action keys work on the open mail."""

import pytest
from playwright.sync_api import expect

from browser.steps import log_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.mail.models import Mail, Mailbox
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.browser


def undistributed_screen(site, new_page, subjects):
    """The manager on Undistributed mail, with one stranger's mail for each subject."""
    manager = Account.objects.get(username="manager")
    manager.set_password("Harbour-Lights-42")
    manager.must_change_password = False
    manager.save()
    mailbox = Mailbox.objects.create(address="info@tradeport.test", protocol="none")
    for n, subject in enumerate(subjects):
        message_ingest(mailbox=mailbox, raw=raw_mail(f"buyer{n}@stranger{n}.example", subject=subject,
                                                     message_id=f"<kb{n}@stranger.example>"))
    page = new_page("en-US")
    log_in(page, site, "manager", "Harbour-Lights-42")
    page.goto(f"{site}/mail/followup/undistributed/")
    expect(page.locator("[data-counter=undistributed]")).to_have_text(str(len(subjects)))
    return page


def test_a_manager_triages_by_keyboard(site, new_page):
    """QUE-01, GEN-03, GEN-04, MAIL-11, MAIL-12: j/k/Enter open mail; e moves it to the trash; the counter follows."""
    page = undistributed_screen(site, new_page, [f"Inquiry {n}" for n in range(3)])
    page.locator("body").press("j")
    page.locator("body").press("j")
    page.keyboard.press("Enter")
    second = Mail.objects.get(message_id="<kb1@stranger.example>")
    expect(page.locator("#mail-subject")).to_have_text("Inquiry 1")
    page.keyboard.press("e")
    expect(page.locator("[data-counter=undistributed]")).to_have_text("2")
    expect(page.locator("#queue-table")).not_to_contain_text("Inquiry 1")
    second.refresh_from_db()
    assert second.triage_action == "trash"


def test_an_action_key_works_the_moment_the_mail_appears(site, new_page):
    """QUE-01, GEN-04, MAIL-12: a key pressed as soon as the reading pane is filled goes through htmx, not a page load."""
    page = undistributed_screen(site, new_page, ["Quick 0", "Quick 1"])
    # The observer fires in the same turn that fills the pane: no time passes for htmx to catch up.
    page.evaluate("""() => {
      const reading = document.getElementById("reading");
      new MutationObserver((records, observer) => {
        if (!reading.querySelector('[data-key="e"]')) { return; }
        observer.disconnect();
        document.body.dispatchEvent(new KeyboardEvent("keydown", {key: "e", bubbles: true}));
      }).observe(reading, {childList: true, subtree: true});
    }""")
    page.locator("#queue-table a[data-open-mail]").first.click()
    expect(page.locator("[data-counter=undistributed]")).to_have_text("1")
    assert page.url.endswith("/mail/followup/undistributed/")
    assert Mail.objects.filter(triage_action="trash").count() == 1
