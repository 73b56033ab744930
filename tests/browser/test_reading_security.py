"""The reading pane against hostile mail, in a real browser: remote images wait for the reader's
consent (no tracker is contacted before), and no script from a mail runs anywhere, whether it
hides in the body, the headers or an attachment."""

import re
import time
from email import policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from browser.steps import log_in
from browser.xss.corpus import MAILBOX, VECTORS
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.mail.models import Mailbox, RemoteContentAllowance
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.browser

PASSWORD = "Harbour-Lights-42"
TRACKER = "tracker.example"
NEWSLETTER = "news@garden-shop.example"
OTHER_SENDER = "deals@other-shop.example"

# What a payload that slipped past the sanitiser would make Chromium say, even when the
# sandbox or the Content-Security-Policy then stopped it.
BLOCKED_SCRIPT = re.compile(r"Blocked script execution|Refused to execute|Ignored call to 'alert\(\)'|"
                            r"Refused to run the JavaScript URL", re.IGNORECASE)

FRAME_AUDIT = """() => {
  const found = [];
  if (document.documentElement.dataset.xss) found.push('payload ran: data-xss=' + document.documentElement.dataset.xss);
  const banned = new Set(['script', 'iframe', 'frame', 'object', 'embed', 'svg', 'math', 'form', 'input', 'button',
                          'textarea', 'meta', 'link', 'base', 'style', 'template']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    if (banned.has(tag) && document.body.contains(el) && el !== document.body) found.push('element <' + tag + '>');
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) found.push('handler ' + a.name + ' on <' + tag + '>');
      if (/^\\s*(javascript|vbscript|data)\\s*:/i.test(a.value)) found.push(tag + ' ' + a.name + '=' + a.value.slice(0, 40));
    }
  }
  return found;
}"""

TOP_AUDIT = """() => ({
  xss: window.__xss === undefined ? 'init script missing' : window.__xss.slice(),
  marker: document.documentElement.dataset.xss || null,
  injected: Array.from(document.querySelectorAll(
      '#reading img, #reading svg, #reading script, #reading iframe:not(#mail-body), #reading object, #reading embed, '
      + '#queue-list img, #queue-list svg, #queue-list script, #queue-list iframe, '
      + '#system-mail img, #system-mail svg, #system-mail script, #system-mail iframe')).map(e => e.outerHTML.slice(0, 80)),
})"""


SHOWN_HEADERS = """() => ({
  subject: document.querySelector('#mail-subject').textContent,
  from_name: [document.querySelectorAll('#reading dl.row dd')[0].textContent],
  to: [document.querySelectorAll('#reading dl.row dd')[1].textContent],
  filename: Array.from(document.querySelectorAll('#attachments a')).map(a => a.textContent),
})"""


def manager_password():
    manager = Account.objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.must_change_password = False
    manager.save()
    return PASSWORD


def newsletter(sender, message_id, subject):
    message = EmailMessage()
    message["From"] = f"Garden Shop <{sender}>"
    message["To"] = MAILBOX
    message["Subject"] = subject
    message["Date"] = "Thu, 5 Mar 2026 08:00:00 +0100"
    message["Message-ID"] = message_id
    message.set_content("Our spring catalogue is out.")
    message.add_alternative(
        "<p>Our spring catalogue is out.</p>"
        f'<img src="http://{TRACKER}/pixel.gif?m={message_id.strip("<>")}" width="1" height="1" alt="">'
        f'<img src="https://{TRACKER}/logo.png" alt="Garden Shop">'
        # A CSS escape spells url( without the letters the intake filter looks for.
        f'<p style="background:u\\rl(http://{TRACKER}/css-escape.gif)">Escaped CSS</p>', subtype="html")
    return message.as_bytes(policy=policy.SMTP)


class Network:
    """Every request of a browser context. Requests for the tracker that reach the network layer
    are aborted there and counted. Chromium also reports a request for a load the Content-Security-
    Policy refuses before anything leaves (it fails as "csp"); those are kept apart. Requests for
    any other host than the test server are listed (none is expected)."""

    def __init__(self, context, site):
        self.site_host = urlsplit(site).hostname
        self.requests: list[str] = []
        self.tracker: list[str] = []  # reached the network layer (and were aborted here)
        self.csp_blocked: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))
        context.on("requestfailed", self._failed)
        context.route(re.compile(rf"^https?://{re.escape(TRACKER)}/"), self._tracker)

    def _failed(self, request):
        if "csp" in (request.failure or "").lower():
            self.csp_blocked.append(request.url)

    def _tracker(self, route):
        self.tracker.append(route.request.url)
        route.abort()

    @property
    def offsite(self) -> list[str]:
        return [url for url in self.requests if url.startswith("http")
                and urlsplit(url).hostname not in (self.site_host, TRACKER)]

    def tracker_attempts(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).hostname == TRACKER]

    def assert_nothing_left(self, when: str) -> None:
        assert self.tracker == [], f"{when}: requests to the tracker left the browser: {self.tracker}"
        stray = [url for url in self.tracker_attempts() if url not in self.csp_blocked]
        assert stray == [], f"{when}: tracker requests not refused by the frame's policy: {stray}"


def open_mail(page, mail, *, dispatch=False):
    """Click the subject in the queue list; returns the loaded body frame of the reading pane.

    `dispatch` sends the click event to the link itself, for lists whose long unbroken headers
    let the reading pane cover the subjects (see test_long_unbroken_headers_leave_the_list_usable).
    """
    link = page.locator(f"#queue-table tr[data-mail='{mail.pk}'] a[data-open-mail]")
    with page.expect_response(re.compile(rf"/mail/{mail.pk}/body/")):
        if dispatch:
            link.dispatch_event("click")
        else:
            link.click()
    expect(page.locator(f"#reading article[data-mail='{mail.pk}']")).to_be_visible()
    return body_frame(page)


def body_frame(page):
    frame = page.locator("#mail-body").element_handle().content_frame()
    frame.wait_for_load_state("load")
    return frame


def wait_for(page, condition, timeout=5.0):
    """Poll `condition`, letting Playwright deliver its events meanwhile (time.sleep would not: the
    sync API runs the route handlers that fill the tracker only inside its own calls)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(50)
    return condition()


def test_remote_images_wait_for_the_readers_consent(site, new_page):
    """READ-01, MAIL-02, GEN-04: remote images stay blocked (no request leaves) until the reader
    shows them for this mail, or for every mail of the sender; other senders stay blocked."""
    mailbox = Mailbox.objects.create(address=MAILBOX, protocol="none")
    first = message_ingest(mailbox=mailbox, raw=newsletter(NEWSLETTER, "<spring-1@garden-shop.example>",
                                                           "Spring catalogue")).mail
    other = message_ingest(mailbox=mailbox, raw=newsletter(OTHER_SENDER, "<deal-1@other-shop.example>",
                                                           "Deals of the week")).mail
    assert first.has_remote_images
    assert other.has_remote_images

    page = new_page("en-US")
    network = Network(page.context, site)
    log_in(page, site, "manager", manager_password())
    page.goto(f"{site}/mail/followup/undistributed/")

    frame = open_mail(page, first)
    expect(page.locator("#remote-blocked")).to_contain_text("Remote images are blocked")
    assert frame.locator("img[data-remote-src]").count() == 2
    assert frame.locator("img[src^='http']").count() == 0
    page.wait_for_timeout(300)  # anything the frame was going to fetch has been asked for by now
    network.assert_nothing_left("blocked")

    # "Show them in this mail": this once, the frame loads them (the aborted requests are counted).
    with page.expect_response(re.compile(r"/body/\?remote=1")):
        page.click("#show-remote-once")
    body_frame(page)
    assert wait_for(page, lambda: {"pixel.gif", "logo.png"} <= {urlsplit(u).path.strip("/") for u in network.tracker}), \
        f"remote images were not requested after consent: {network.tracker}"
    assert any(u.startswith(f"http://{TRACKER}/pixel.gif") for u in network.tracker)
    assert any(u.startswith(f"https://{TRACKER}/logo.png") for u in network.tracker)
    assert not RemoteContentAllowance.objects.exists()

    # Reopened, the mail is blocked again: the consent was for that one showing.
    left = len(network.tracker)
    open_mail(page, first)
    expect(page.locator("#remote-blocked")).to_be_visible()
    page.wait_for_timeout(300)
    assert len(network.tracker) == left, f"requests after reopening: {network.tracker[left:]}"

    # "Always from this sender": the banner goes, and the images load now and on every opening.
    page.click("#remote-blocked button[type=submit]")
    expect(page.locator("#reading .alert-success")).to_contain_text(f"Remote images from {NEWSLETTER} will be shown.")
    expect(page.locator("#remote-blocked")).to_have_count(0)
    body_frame(page)
    assert wait_for(page, lambda: len(network.tracker) > left)
    assert RemoteContentAllowance.objects.filter(account__username="manager", sender=NEWSLETTER).exists()
    left = len(network.tracker)
    open_mail(page, first)
    expect(page.locator("#remote-blocked")).to_have_count(0)
    assert wait_for(page, lambda: len(network.tracker) > left)

    # Another sender's mail is still blocked.
    left = len(network.tracker)
    open_mail(page, other)
    expect(page.locator("#remote-blocked")).to_be_visible()
    page.wait_for_timeout(300)
    assert len(network.tracker) == left, f"the allowance for one sender unblocked another: {network.tracker[left:]}"
    assert network.offsite == []


def test_hostile_mail_runs_no_script_anywhere(site, new_page):
    """READ-01, READ-07, READ-08, MAIL-02, GEN-04: a corpus of XSS vectors in bodies, subjects, display names,
    recipients and attachment names; opened one by one in the reading pane (and the list, the direct
    page, the print page, system mail management and the attachment preview), none runs, and every
    header shows literally."""
    mailbox = Mailbox.objects.create(address=MAILBOX, protocol="none")
    mails = {}
    for vector in VECTORS:
        result = message_ingest(mailbox=mailbox, raw=vector.raw())
        assert result.outcome == "stored", (vector.name, result.outcome)
        mails[vector.number] = result.mail
    assert len(VECTORS) >= 15

    page = new_page("en-US")
    context = page.context
    context.add_init_script("window.__xss = [];")
    dialogs, console, popups = [], [], []
    context.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"), dialog.dismiss()))
    context.on("console", lambda message: console.append(message.text))
    context.on("page", lambda opened: popups.append(opened))
    network = Network(context, site)
    log_in(page, site, "manager", manager_password())
    page.goto(f"{site}/mail/followup/undistributed/")
    expect(page.locator("#queue-table tbody tr[data-mail]")).to_have_count(len(VECTORS))
    expect(page.locator("[data-counter=undistributed]")).to_have_text(str(len(VECTORS)))

    problems = []
    for vector in VECTORS:
        mail = mails[vector.number]
        where = f"vector {vector.number} ({vector.name}), mail {mail.pk}"
        frame = open_mail(page, mail, dispatch=True)
        problems += [f"{where}, body frame: {finding}" for finding in frame.evaluate(FRAME_AUDIT)]
        top = page.evaluate(TOP_AUDIT)
        if top["xss"] or top["marker"] or top["injected"]:
            problems.append(f"{where}, page: {top}")
        shown = page.evaluate(SHOWN_HEADERS)
        if shown["subject"] != vector.shown_subject:
            problems.append(f"{where}: subject shown as {shown['subject']!r}, expected {vector.shown_subject!r}")
        for key, expected in vector.literal.items():
            if key != "subject" and not any(expected in text for text in shown[key]):
                problems.append(f"{where}: {key} shown as {shown[key]!r}, expected {expected!r} literally")

    # The plain-text view of the HTML vectors (READ-07) shows no markup either.
    open_mail(page, mails[1], dispatch=True)
    with page.expect_response(re.compile(r"/body/\?text=1")):
        page.click("#reading [data-frame-src$='?text=1']")
    problems += [f"vector 1, plain text view: {f}" for f in body_frame(page).evaluate(FRAME_AUDIT)]

    # The header vectors on the print page, and the subjects in the <title> of the direct reading page.
    for vector in VECTORS:
        mail = mails[vector.number]
        paths = ([f"/mail/{mail.pk}/"] if "subject" in vector.literal else []) + \
            ([f"/mail/{mail.pk}/print/"] if vector.literal else [])
        for path in paths:
            page.goto(f"{site}{path}")
            top = page.evaluate(TOP_AUDIT)
            if top["xss"] or top["marker"] or top["injected"]:
                problems.append(f"vector {vector.number}, {path}: {top}")
            if not page.title().startswith(vector.shown_subject):
                problems.append(f"vector {vector.number}, {path}: title {page.title()!r}")
            printed = page.locator("#print-view").inner_text() if "print" in path else ""
            problems += [f"vector {vector.number}, {path}: {expected!r} not shown literally"
                         for key, expected in vector.literal.items() if printed and expected not in printed]

    # Attachments: the HTML file is a download, never a page; the disguised GIF previews as an image.
    html_attachment = mails[next(v.number for v in VECTORS if v.name == "attachment filename")].attachments.get()
    for query in ("", "?inline=1"):
        response = context.request.get(f"{site}/mail/{html_attachment.mail_id}/attachments/{html_attachment.pk}/{query}")
        assert response.ok
        assert response.headers["content-type"] == "application/octet-stream", query
        assert response.headers["content-disposition"].startswith("attachment"), query
    disguised = mails[next(v.number for v in VECTORS if v.name.startswith("HTML disguised"))]
    page.goto(f"{site}/mail/followup/undistributed/?mail={disguised.pk}")
    expect(page.locator(f"#reading article[data-mail='{disguised.pk}']")).to_be_visible()
    with context.expect_page() as opened:
        page.click("#attachments a:has-text('Preview')")
    preview = opened.value
    preview.wait_for_load_state("load")
    marker = preview.evaluate("() => [window.__xss, document.documentElement.dataset.xss || null, document.contentType]")
    if marker[0] or marker[1]:
        problems.append(f"attachment preview ran the disguised HTML: {marker}")
    assert marker[2].startswith("image/"), marker

    # System mail management lists every subject and sender.
    page.goto(f"{site}/mail/system/")
    expect(page.locator("#system-mail tbody tr")).to_have_count(len(VECTORS))
    top = page.evaluate(TOP_AUDIT)
    if top["xss"] or top["marker"] or top["injected"]:
        problems.append(f"/mail/system/: {top}")

    problems += [f"dialog opened: {d}" for d in dialogs]
    problems += [f"browser console: {line}" for line in console if BLOCKED_SCRIPT.search(line)]
    problems += [f"offsite request: {url}" for url in network.offsite]
    problems += [f"unexpected window: {p.url}" for p in popups if p is not preview]
    assert not problems, "hostile mail got through:\n" + "\n".join(problems)


def test_long_unbroken_headers_leave_the_list_usable(site, new_page):
    """GEN-04, MAIL-02, READ-01: a subject or sender name without spaces (an order number, a pasted
    token, or a hostile header) stays inside the list column: the reading pane must not cover
    the other subjects, which stay clickable."""
    mailbox = Mailbox.objects.create(address=MAILBOX, protocol="none")
    ordinary = message_ingest(mailbox=mailbox, raw=raw_mail(
        "buyer@lamps.example", to=MAILBOX, subject="Inquiry for lamps", message_id="<lamps-1@lamps.example>")).mail
    message_ingest(mailbox=mailbox, raw=raw_mail(
        "edi@orders.example", to=MAILBOX, subject="PO_" + "_".join(f"2026{n:04d}" for n in range(12)),
        message_id="<po-1@orders.example>"))
    page = new_page("en-US")
    log_in(page, site, "manager", manager_password())
    page.goto(f"{site}/mail/followup/undistributed/")
    widths = page.evaluate("""() => ({
        table: Math.round(document.querySelector('#queue-table').getBoundingClientRect().right),
        column: Math.round(document.querySelector('#queue-list').getBoundingClientRect().right),
        pane: Math.round(document.querySelector('#reading').getBoundingClientRect().left)})""")
    assert widths["table"] <= widths["pane"], \
        f"the list runs under the reading pane (list table ends at x={widths['table']}, its column at " \
        f"x={widths['column']}, the pane starts at x={widths['pane']}, viewport 1280 px)"
    page.locator(f"#queue-table tr[data-mail='{ordinary.pk}'] a[data-open-mail]").click(timeout=3000)
    expect(page.locator(f"#reading article[data-mail='{ordinary.pk}']")).to_be_visible()
