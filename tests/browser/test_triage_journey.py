"""The triage journey of the follow-up screen, in a real browser and in both languages: a stranger's
mail arrives on the private Dovecot, the manager distributes it with a rule, the salesperson makes a
customer of the sender, the next mail from them goes straight to the known-customer queue, and is
followed up. Plus two managers distributing the same mail at the same moment."""

import re
import time

import pytest
from django.utils import translation
from playwright.sync_api import expect

from browser.steps import choose_region, first_login, log_in
from conftest import make_account
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.codes.models import CodeItem
from tradeport.customers.models import Customer, Ownership
from tradeport.mail.models import AddressRule, Delivery, Mail, Mailbox, MailEvent
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee, Region
from tradeport.org.services import region_save

pytestmark = pytest.mark.browser

PASSWORD = "Harbour-Lights-42"
STRANGER = "mikko@nordic-sauna.fi"
STRANGER_NAME = "Mikko Virtanen"
CJK = re.compile(r"[\u3400-\u9fff]")


def stranger_mail(subject, message_id, *, in_reply_to=""):
    reply = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    return (f"From: {STRANGER_NAME} <{STRANGER}>\r\nTo: sales@tradeport.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 9 Mar 2026 10:00:00 +0200\r\nMessage-ID: {message_id}\r\n{reply}"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "Hello, we build saunas in Tampere and need 400 LED strips. Please quote.\r\n").encode()


class Findings:
    """What the journey found wrong without being stopped by it, reported together at the end:
    in zh-CN, texts still in English (with their page); and product slips that do not block
    the next step. In en-US the English texts are checked at once."""

    def __init__(self, locale):
        self.chinese = locale.startswith("zh")
        self.untranslated: list[str] = []
        self.slips: list[str] = []

    def check(self, locator, english, *, names=()):
        text = " ".join(locator.first.inner_text().split())
        if not self.chinese:
            assert english in text, f"{english!r} not in {text!r} ({locator.page.url})"
            return
        bare, fixed = text, english
        for name in names:
            bare, fixed = bare.replace(name, ""), fixed.replace(name, "")
        if not CJK.search(bare) or fixed.strip(" .") in text:
            self.untranslated.append(f"{locator.page.url}: {text!r}")

    def expect(self, condition, slip):
        if not condition:
            self.slips.append(slip)

    def report(self):
        lines = [f"product: {s}" for s in self.slips]
        if self.untranslated:
            lines += ["zh-CN pages still in English:", *self.untranslated]
        return "\n".join(lines)




def choose_salesperson(page, form, label):
    page.click(f"{form} [data-picker-open=id_employee]")
    page.locator(f"#picker-modal-body [data-pick-label='{label}']").click()
    expect(page.locator(f"{form} #id_employee_chosen")).to_contain_text(label)


def receive(manager, site, mailbox, stored):
    """The manager clicks Receive on the mailbox page; the mailbox then holds `stored` mails."""
    manager.goto(f"{site}/mail/mailboxes/")
    row = manager.locator(f"#mailbox-table tr[data-mailbox='{mailbox.address}']")
    row.locator(f"form[action$='/mailboxes/{mailbox.pk}/receive/'] button").click()
    expect(manager.locator(".alert-info")).to_contain_text(mailbox.address)
    expect(row.locator("[data-count=stored]")).to_have_text(str(stored))


def counter(page, key):
    return page.locator(f"#queue-tree [data-counter={key}]")


def open_from_list(page, mail):
    page.locator(f"#queue-table tr[data-mail='{mail.pk}'] a[data-open-mail]").click()
    expect(page.locator(f"#reading article[data-mail='{mail.pk}']")).to_be_visible()


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_strangers_mail_from_arrival_to_followed_up(site, dovecot, dovecot_user, new_page, locale):
    """MAIL-02, MAIL-03, MAIL-04, MAIL-05, MAIL-09, QUE-01, QUE-02, QUE-05, QUE-06, QUE-08, READ-01, READ-09,
    READ-10, READ-11, READ-12, READ-13, READ-14, READ-20, GEN-02, GEN-03, GEN-04: the issue's journey, once in
    English and once in Chinese: Dovecot → Receive → distribute with a rule → Create customer → the next mail
    lands in Pending: known customers → followed up with follow-up days, and who did it is shown."""
    findings = Findings(locale)
    finland = region_save(region=Region(code="FI", name_zh="芬兰", name_en="Finland", level=2), parent=None)
    mailbox = Mailbox(address=dovecot_user.address, protocol="imap", host=dovecot.host, port=dovecot.imap_port,
                      security="plain", username=dovecot_user.address)
    mailbox.password = dovecot_user.password
    mailbox.save()
    salesperson = Employee.objects.get(code="0002")

    # (1) A stranger writes; the manager receives the mailbox.
    dovecot.deliver(dovecot_user.address, stranger_mail("LED strips for saunas", "<q1@nordic-sauna.fi>"))
    manager = new_page(locale)
    first_login(manager, site, "manager", PASSWORD)
    expect(manager.locator("#queue-tiles [data-counter=undistributed]")).to_have_text("0")
    receive(manager, site, mailbox, stored=1)
    first = Mail.objects.get(message_id="<q1@nordic-sauna.fi>")
    assert first.route == Mail.Route.UNDISTRIBUTED

    # (2) The manager opens Undistributed mail and distributes it to 业务员1, with the rule for the address.
    manager.click("aside a.nav-link[href='/']")
    expect(manager.locator("#queue-tiles [data-counter=undistributed]")).to_have_text("1")
    findings.check(manager.locator("#queue-tiles a[data-queue=undistributed]"), "Undistributed mail")
    manager.click("aside [data-function=fn_followup_management]")
    expect(manager.locator("#queue-tree a[data-queue=known]")).to_have_attribute("aria-current", "page")
    manager.click("#queue-tree a[data-queue=undistributed]")
    expect(manager.locator("#queue-tree a[data-queue=undistributed]")).to_have_attribute("aria-current", "page")
    findings.check(manager.locator("#queue-list h1"), "Undistributed mail")
    expect(counter(manager, "undistributed")).to_have_text("1")
    row = manager.locator(f"#queue-table tr[data-mail='{first.pk}']")
    expect(row).to_contain_text("LED strips for saunas")
    expect(row).to_contain_text(STRANGER)
    open_from_list(manager, first)
    expect(manager.locator("#mail-subject")).to_have_text("LED strips for saunas")
    expect(manager.locator("#route-reason")).to_contain_text(STRANGER)
    findings.check(manager.locator("#distribute-form button[type=submit]"), "Distribute")
    findings.check(manager.locator("#distribute-form label:has(#id_future_rule)"),
                "Distribute future mail from this address to this salesperson automatically")
    choose_salesperson(manager, "#distribute-form", "业务员1 (0002)")
    manager.check("#id_future_rule")
    manager.fill("#id_note", "Sauna builder in Tampere; quote LED strips")
    manager.click("#distribute-form button[type=submit]")
    findings.check(manager.locator("#reading .alert-success"), "Distributed to 业务员1.", names=("业务员1",))
    expect(manager.locator("#distribute-form")).to_have_count(0)
    expect(counter(manager, "undistributed")).to_have_text("0")
    expect(manager.locator(f"#queue-table tr[data-mail='{first.pk}']")).to_have_count(0)
    rule = AddressRule.objects.get(address=STRANGER)
    assert rule.employee == salesperson
    assert list(Delivery.objects.filter(mail=first).values_list("employee__code", "state")) == [("0002", "pending")]

    # (3) 业务员1 opens Pending: unknown senders and creates the customer from the mail.
    sales1 = new_page(locale)
    first_login(sales1, site, "sales1", PASSWORD)
    expect(sales1.locator("#queue-tiles [data-counter=unknown]")).to_have_text("1")
    sales1.click("#queue-tiles a[data-queue=unknown]")
    findings.check(sales1.locator("#queue-list h1"), "Pending: unknown senders")
    expect(counter(sales1, "unknown")).to_have_text("1")
    expect(counter(sales1, "known")).to_have_text("0")
    open_from_list(sales1, first)
    expect(sales1.locator("#route-reason li[data-event=distributed]")).to_contain_text(
        "Sauna builder in Tampere; quote LED strips")
    expect(sales1.locator("#distribute-form")).to_have_count(0)
    findings.check(sales1.locator("#create-record"), "Create customer")
    sales1.click("#create-record")
    expect(sales1.locator("#id_main_email")).to_have_value(STRANGER)
    expect(sales1.locator("#id_contacts-0-name")).to_have_value(STRANGER_NAME)
    sales1.fill("#id_name", "Nordic Sauna Oy")
    choose_region(sales1, "id_region", "芬兰" if findings.chinese else "Finland")
    sales1.click("#customer-form button[type=submit]")
    expect(sales1).to_have_url(re.compile(rf"/mail/{first.pk}/$"))
    customer = Customer.objects.get(name="Nordic Sauna Oy")
    findings.check(sales1.locator(".alert-success"), f"{customer.code} Nordic Sauna Oy saved.",
                names=(customer.code, "Nordic Sauna Oy"))
    assert customer.main_email == STRANGER
    assert customer.region == finland
    contacts = list(customer.contacts.values_list("name", flat=True))
    findings.expect(contacts == [STRANGER_NAME],
                   f"MAIL-09: the form showed the sender's name {STRANGER_NAME!r} as the first contact, but the "
                   f"customer was saved with contacts {contacts!r}")
    assert list(Ownership.objects.current().filter(customer=customer).values_list("employee__code", flat=True)) \
        == ["0002"]
    first.refresh_from_db()
    assert first.customer == customer

    # QUE-08: the mail moved to Pending: known customers; 业务员1 answers it and marks it followed up.
    sales1.goto(f"{site}/mail/followup/")
    findings.check(sales1.locator("#queue-list h1"), "Pending: known customers")
    expect(counter(sales1, "known")).to_have_text("1")
    expect(counter(sales1, "unknown")).to_have_text("0")
    open_from_list(sales1, first)
    sales1.check("#followup-form #id_followed_up")
    sales1.click("#followup-form button[type=submit]")
    expect(sales1.locator("#reading .alert-success")).to_be_visible()
    expect(counter(sales1, "known")).to_have_text("0")

    # (4) The next mail from the address goes straight to 业务员1's Pending: known customers.
    dovecot.deliver(dovecot_user.address, stranger_mail("Re: LED strips for saunas", "<q2@nordic-sauna.fi>",
                                                        in_reply_to="<q1@nordic-sauna.fi>"))
    receive(manager, site, mailbox, stored=2)
    second = Mail.objects.get(message_id="<q2@nordic-sauna.fi>")
    assert second.route == Mail.Route.CUSTOMER
    assert second.customer == customer
    manager.goto(f"{site}/mail/followup/undistributed/")
    expect(counter(manager, "undistributed")).to_have_text("0")
    sales1.reload()
    expect(counter(sales1, "known")).to_have_text("1")
    expect(counter(sales1, "unknown")).to_have_text("0")
    expect(sales1.locator("#queue-table tbody tr[data-mail]")).to_have_count(1)
    expect(sales1.locator(f"#queue-table tr[data-mail='{second.pk}']")).to_contain_text("Nordic Sauna Oy")

    # (5) 业务员1 opens it, sets purpose, product, category and 3 follow-up days, ticks Followed up, saves.
    open_from_list(sales1, second)
    expect(sales1.locator("#reading article")).to_contain_text(f"{customer.code} Nordic Sauna Oy")
    quotation = CodeItem.objects.of("contact_purpose").get(code="QUO")
    lighting = CodeItem.objects.of("product").get(code="P05")
    inquiry = CodeItem.objects.of("category").get(code="INQ")
    sales1.select_option("#followup-form #id_purpose", str(quotation.pk))
    sales1.select_option("#followup-form #id_products", [str(lighting.pk)])
    sales1.select_option("#followup-form #id_category", str(inquiry.pk))
    sales1.fill("#followup-form #id_follow_up_days", "3")
    findings.check(sales1.locator("#followup-form label:has(#id_followed_up)"), "Followed up")
    findings.check(sales1.locator("#followup-form button[type=submit]"), "Save")
    sales1.check("#followup-form #id_followed_up")
    sales1.click("#followup-form button[type=submit]")
    findings.check(sales1.locator("#reading .alert-success"), "Marked followed up.")
    expect(counter(sales1, "known")).to_have_text("0")
    expect(sales1.locator(f"#queue-table tr[data-mail='{second.pk}']")).to_have_count(0)
    pane = sales1.locator("#reading")
    findings.expect(pane.locator("#followed-up-by").count() == 1 and pane.locator("#id_followed_up").is_checked()
                   and pane.locator("#id_follow_up_days").input_value() == "3",
                   f"READ-09/READ-14: after Save on {sales1.url} the pane answered 'Marked followed up.' but showed the "
                   "mail as before the save: no 'Followed up by', the Followed up box unticked, follow-up days "
                   f"{pane.locator('#id_follow_up_days').input_value()!r} (expected '3'); reopening shows the saved state")
    # Opened again (it is no longer in any pending queue), the mail shows who followed it up and what was saved.
    sales1.goto(f"{site}/mail/followup/known/?mail={second.pk}")
    expect(sales1.locator(f"#reading article[data-mail='{second.pk}']")).to_be_visible()
    expect(sales1.locator("#followed-up-by")).to_contain_text(salesperson.name)
    findings.check(sales1.locator("#followed-up-by"), "Followed up by 业务员1 at", names=(salesperson.name,))
    expect(sales1.locator("#followup-form #id_follow_up_days")).to_have_value("3")
    expect(sales1.locator("#followup-form #id_followed_up")).to_be_checked()
    expect(sales1.locator("#followup-form #id_purpose")).to_have_value(str(quotation.pk))
    expect(sales1.locator("#followup-form #id_category")).to_have_value(str(inquiry.pk))
    second.refresh_from_db()
    assert second.followed_up_by == salesperson
    assert second.follow_up_days == 3
    assert (second.purpose, second.category) == (quotation, inquiry)
    assert list(second.products.all()) == [lighting]
    assert lighting in customer.products.all()
    assert Delivery.objects.get(mail=second, employee=salesperson).state == Delivery.State.HANDLED

    assert findings.report() == "", findings.report()


def test_two_managers_distribute_the_same_mail_at_the_same_moment(site, new_page):
    """MAIL-02, MAIL-03, MAIL-04, GEN-03: two managers open the same undistributed mail and submit Distribute
    at the same instant: exactly one wins, the other's pane names the winner; one delivery, one rule."""
    manager = Account.objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.must_change_password = False
    manager.save()
    deputy = make_account("deputy", template=MANAGER_TEMPLATE, password=PASSWORD, employee_name="Deputy Zhou")
    mailbox = Mailbox.objects.create(address="sales@tradeport.test", protocol="none")
    mail = message_ingest(mailbox=mailbox, raw=stranger_mail("Sauna LED strips, urgent", "<race@nordic-sauna.fi>")).mail
    assert mail.route == Mail.Route.UNDISTRIBUTED

    pages, targets = {}, {"manager": "业务员1 (0002)", "deputy": "业务员2 (0003)"}
    for username in ("manager", "deputy"):
        page = new_page("en-US")
        log_in(page, site, username, PASSWORD)
        page.goto(f"{site}/mail/followup/undistributed/")
        expect(counter(page, "undistributed")).to_have_text("1")
        open_from_list(page, mail)
        choose_salesperson(page, "#distribute-form", targets[username])
        page.check("#id_future_rule")
        pages[username] = page

    # Both forms are submitted by a timer set to the same instant of the shared clock.
    at = time.time() * 1000 + 400
    for page in pages.values():
        page.evaluate("""(at) => { setTimeout(() => {
            window.__sentAt = Date.now();
            const form = document.querySelector('#distribute-form');
            form.requestSubmit(form.querySelector('button[type=submit]'));
        }, Math.max(0, at - Date.now())); }""", at)
    for page in pages.values():
        expect(page.locator("#reading .alert-success, #reading .alert-danger")).to_be_visible()
    # Only a sanity check that the two timers fired together; a loaded machine delays timers, and the
    # outcome below must hold however far apart the submits were.
    sent = [page.evaluate("window.__sentAt") for page in pages.values()]
    assert abs(sent[0] - sent[1]) < 300, f"the two submits were {abs(sent[0] - sent[1])} ms apart"

    won = [name for name, page in pages.items() if page.locator("#reading .alert-success").count()]
    lost = [name for name, page in pages.items() if page.locator("#reading .alert-danger").count()]
    assert len(won) == 1, f"winners: {won}, losers: {lost}"
    assert len(lost) == 1, f"winners: {won}, losers: {lost}"
    winner, loser = won[0], lost[0]
    winner_name = {"manager": manager.employee_name, "deputy": deputy.employee_name}[winner]
    chosen = Employee.objects.get(code=re.search(r"\((\d{4})\)", targets[winner]).group(1))
    expect(pages[winner].locator("#reading .alert-success")).to_have_text(f"Distributed to {chosen.name}.")
    refusal = pages[loser].locator("#reading .alert-danger")
    expect(refusal).to_contain_text(f"{winner_name} already handled this mail")
    for page in pages.values():
        expect(counter(page, "undistributed")).to_have_text("0")

    assert list(Delivery.objects.filter(mail=mail).values_list("employee", flat=True)) == [chosen.pk]
    assert MailEvent.objects.filter(mail=mail, action=MailEvent.Action.DISTRIBUTED).count() == 1
    assert AddressRule.objects.get(address=STRANGER).employee == chosen
    mail.refresh_from_db()
    assert mail.triaged_by.username == winner
    with translation.override("en"):
        assert str(mail.get_triage_action_display()).lower() in refusal.inner_text().lower()
    # The loser's pane is drawn for the mail as it is now: handled, with nothing left to distribute.
    assert pages[loser].locator("#distribute-form").count() == 0, \
        "the refused manager's pane still offers Distribute/Merge/Spam for a mail that was already distributed"
