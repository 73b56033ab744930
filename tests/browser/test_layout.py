"""The layout of the follow-up screen, measured in Chromium at the widths people use (issue 13, §2 and §3):
one line per mail in the list, a divider that shares the width between the list and the reading pane,
a left menu that folds away for the account, and a merge panel whose choices read across.

Screenshots go to test-artifacts/layout-*.png, to be looked at as well as measured."""

import re
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from browser.conftest import ARTIFACTS
from browser.steps import log_in
from tradeport.accounts.models import Account
from tradeport.mail import triage
from tradeport.mail.models import Mail, Mailbox
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee

pytestmark = pytest.mark.browser

PASSWORD = "Harbour-Lights-42"
HEIGHT = 900
# Long subjects in both scripts, one without a single space, and a short one; long names and bodies.
MAILS = [
    ("Mikko Virtanen-Kallio, Purchasing, Nordic Sauna Oy", "mikko.virtanen-kallio@nordic-sauna.fi",
     "Request for quotation: 400 LED strips, 60 controllers and waterproof connectors for sauna builders "
     "in Tampere, delivery before the winter season",
     "Hello, we build saunas in Tampere and need 400 LED strips. Please quote with delivery terms to Helsinki."),
    ("王建国（采购部经理）", "wang.jianguo@shenzhen-lighting.cn",
     "关于2026年秋季广交会LED灯带、控制器及防水连接器的询价与样品寄送安排（请尽快回复，谢谢）",
     "您好，我们是深圳的照明工程公司，需要采购一批LED灯带和控制器，请报最优价格并告知交货期。"),
    ("", "orders@very-long-subdomain.example-trading-company.com",
     "Re:Re:Fwd:ORDER-2026-000000123456789-CONFIRMATION-PENDING-PAYMENT-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
     "Order confirmation attached."),
    ("Anna", "anna@hanse.de", "Hi", "Kurze Frage."),
]


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / f"layout-{name}.png")


def stranger_mail(name, address, subject, body, n):
    message = EmailMessage()
    message["From"] = formataddr((name, address))
    message["To"] = "info@tradeport.test"
    message["Subject"] = subject
    # The last one is from over a year ago: its date is the longest the list shows.
    message["Date"] = format_datetime(timezone.now() - timedelta(days=400 if n == len(MAILS) - 1 else 0))
    message["Message-ID"] = f"<layout{n}@stranger.example>"
    message.set_content(body)
    return message.as_bytes()


def ready(username: str) -> Account:
    """A preset account that has made its first-login password change."""
    account = Account.objects.get(username=username)
    account.set_password(PASSWORD)
    account.must_change_password = False
    account.save()
    return account


def strangers_mail() -> list[Mail]:
    mailbox = Mailbox.objects.create(address="info@tradeport.test", protocol="none")
    return [message_ingest(mailbox=mailbox, raw=stranger_mail(*fields, n)).mail for n, fields in enumerate(MAILS)]


def screen(site, new_page, locale, width, username="manager", queue="undistributed"):
    page = new_page(locale)
    page.set_viewport_size({"width": width, "height": HEIGHT})
    log_in(page, site, username, PASSWORD)
    page.goto(f"{site}/mail/followup/{queue}/")
    expect(page.locator("#queue-table tbody tr[data-mail]").first).to_be_visible()
    return page


def box(page, selector):
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not rendered"
    return found


def intersects(a, b) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] \
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


ROWS = """() => Array.from(document.querySelectorAll('#queue-table tbody tr[data-mail]')).map(row => {
  const cells = Array.from(row.cells).map(cell => {
    const style = getComputedStyle(cell);
    return {line: parseFloat(style.lineHeight), pad: parseFloat(style.paddingTop) + parseFloat(style.paddingBottom),
            overflow: style.textOverflow, wrap: style.whiteSpace, cut: cell.scrollWidth > cell.clientWidth,
            text: cell.textContent.trim()};
  });
  const link = row.querySelector('a[data-open-mail]'), cell = link.closest('td');
  const subject = {overflow: getComputedStyle(link).textOverflow, cut: link.scrollWidth > link.clientWidth,
                   inside: link.getBoundingClientRect().right <= cell.getBoundingClientRect().right + 1};
  return {mail: Number(row.dataset.mail), height: row.getBoundingClientRect().height, cells, subject};
})"""


@pytest.mark.parametrize(("width", "locale"), [(1280, "en-US"), (1280, "zh-CN"), (1440, "zh-CN"),
                                               (1920, "en-US"), (1920, "zh-CN")])
def test_each_mail_takes_one_line_of_the_list(site, new_page, width, locale):
    """QUE-01, GEN-04: sender, subject, snippet and date share one line per mail, long Chinese and English
    subjects end in an ellipsis with the whole text in the tooltip; the list is wider than the 280 px it
    was at 1440 px, and list and reading pane sit side by side without overlapping."""
    ready("manager")
    mails = strangers_mail()
    page = screen(site, new_page, locale, width)
    rows = page.evaluate(ROWS)
    assert len(rows) == len(MAILS)
    for row in rows:
        subject = row["cells"][2]  # tick box, sender, subject, date
        one_line = subject["line"] + subject["pad"]
        assert abs(row["height"] - one_line) <= 4, \
            f"at {width} px a row is {row['height']:.0f} px tall, one line is {one_line:.0f} px: {subject['text'][:40]!r}"
        for cell in row["cells"][1:]:
            assert (cell["wrap"], cell["overflow"]) == ("nowrap", "ellipsis")
        assert row["subject"]["overflow"] == "ellipsis"
        assert row["subject"]["inside"], "the subject link reaches beyond its cell, under the date"
        assert not row["cells"][3]["cut"], f"the date {row['cells'][3]['text']!r} does not fit its column"
    # The long subjects (both scripts, and the one without spaces) are cut, and their tooltips hold all of them.
    cut = {row["mail"]: row["subject"]["cut"] for row in rows}
    assert [cut[mail.pk] for mail in mails[:3]] == [True, True, True]
    for mail, (_name, address, subject, body) in zip(mails, MAILS, strict=True):
        row = page.locator(f"#queue-table tr[data-mail='{mail.pk}']")
        expect(row.locator("a[data-open-mail]")).to_have_attribute("title", subject)
        expect(row.locator("[data-sender]")).to_have_attribute("title", re.compile(re.escape(f"<{address}>")))
        expect(row.locator("[data-snippet]")).to_have_attribute("title", body)
    # Dates as mail clients show them: today's by the time (or the day, if midnight passed meanwhile),
    # older ones with their year; the title has the full date.
    when = {row["mail"]: row["cells"][3]["text"] for row in rows}
    for mail in mails[:-1]:
        assert re.fullmatch(r"\d\d:\d\d|\d\d-\d\d", when[mail.pk]), when[mail.pk]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", when[mails[-1].pk]), when[mails[-1].pk]
    list_pane, reading = box(page, "#queue-pane"), box(page, "#reading")
    assert list_pane["width"] > 280, f"the mail list is {list_pane['width']:.0f} px wide at {width} px"
    assert list_pane["x"] + list_pane["width"] <= reading["x"]
    assert box(page, "#queue-table")["width"] <= list_pane["width"] + 1  # nothing sticks out of the list
    assert reading["x"] + reading["width"] <= width
    # Opening a mail focuses its link; the cut subject stays where it was instead of sliding out of its cell.
    opened = page.locator(f"#queue-table tr[data-mail='{mails[1].pk}']")
    opened.locator("a[data-open-mail]").click()
    expect(page.locator(f"#reading article[data-mail='{mails[1].pk}']")).to_be_visible()
    assert opened.locator("td").nth(2).evaluate("cell => cell.scrollLeft") == 0
    assert abs(box(page, f"tr[data-mail='{mails[1].pk}'] a[data-open-mail]")["x"]
               - box(page, f"tr[data-mail='{mails[1].pk}'] td:nth-child(3)")["x"]) <= 6
    page.screenshot(path=artifact(f"list-{width}-{locale}"))


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_divider_shares_the_width_by_mouse_and_keyboard_and_keeps_it(site, new_page, width):
    """QUE-01, GEN-04: dragging the divider or using its arrow keys moves the width from one pane to the
    other, within minimums for both; the width survives a reload; the separator says its value."""
    ready("manager")
    strangers_mail()
    page = screen(site, new_page, "en-US", width)
    divider = page.locator("#followup-divider")
    expect(divider).to_have_attribute("role", "separator")
    expect(divider).to_have_attribute("aria-orientation", "vertical")
    expect(divider).to_have_attribute("tabindex", "0")
    before, reading_before = box(page, "#queue-pane")["width"], box(page, "#reading")["width"]
    assert abs(float(divider.get_attribute("aria-valuenow")) - before) <= 1
    low, high = float(divider.get_attribute("aria-valuemin")), float(divider.get_attribute("aria-valuemax"))
    assert low < before < high

    # Drag 60 px to the left: the list loses what the reading pane gains.
    grip = box(page, "#followup-divider")
    x, y = grip["x"] + grip["width"] / 2, grip["y"] + 100
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 30, y, steps=3)
    page.mouse.move(x - 60, y, steps=3)
    page.mouse.up()
    after, reading_after = box(page, "#queue-pane")["width"], box(page, "#reading")["width"]
    assert abs(after - (before - 60)) <= 2
    assert abs(reading_after - (reading_before + 60)) <= 2
    assert abs(float(divider.get_attribute("aria-valuenow")) - after) <= 1
    page.screenshot(path=artifact(f"divider-{width}"))

    page.reload()
    expect(page.locator("#queue-table")).to_be_visible()
    assert abs(box(page, "#queue-pane")["width"] - after) <= 1, "the dragged width did not survive a reload"

    # By keyboard: End and Home go to the limits, arrows move 16 px, with Shift 80 px.
    divider.focus()
    page.keyboard.press("End")
    assert abs(box(page, "#queue-pane")["width"] - high) <= 1
    assert abs(float(divider.get_attribute("aria-valuenow")) - high) <= 1
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert abs(box(page, "#queue-pane")["width"] - (high - 32)) <= 1
    page.keyboard.press("Shift+ArrowLeft")
    assert abs(box(page, "#queue-pane")["width"] - (high - 112)) <= 1
    page.keyboard.press("ArrowRight")
    keyed = high - 96
    assert abs(box(page, "#queue-pane")["width"] - keyed) <= 1
    page.reload()
    expect(page.locator("#queue-table")).to_be_visible()
    assert abs(box(page, "#queue-pane")["width"] - keyed) <= 1, "the keyboard's width did not survive a reload"
    divider.focus()
    page.keyboard.press("Home")
    assert abs(box(page, "#queue-pane")["width"] - low) <= 1
    assert abs(float(divider.get_attribute("aria-valuenow")) - low) <= 1

    # Dragged far beyond either edge, both panes keep their minimum width (18rem list, 22rem reading pane).
    for distance in (-2000, 2000):
        grip = box(page, "#followup-divider")
        x = grip["x"] + grip["width"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + distance, y, steps=4)
        page.mouse.up()
        assert box(page, "#queue-pane")["width"] >= 18 * 16 - 1
        assert box(page, "#reading")["width"] >= 22 * 16 - 1
        assert box(page, "#reading")["x"] + box(page, "#reading")["width"] <= width


def test_the_folded_menu_belongs_to_the_account(site, new_page, chromium):
    """GEN-01, QUE-01: the menu folds away and the screen gets its width; the account keeps the choice
    through a reload and a new login, another account does not get it; the toggle needs the CSRF token
    and works without script too."""
    manager = ready("manager")
    ready("sales1")
    strangers_mail()
    page = screen(site, new_page, "zh-CN", 1280)
    toggle = page.locator("#menu-toggle")
    expect(page.locator("#tp-sidebar")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    content, reading = box(page, "main")["width"], box(page, "#reading")["width"]
    page.screenshot(path=artifact("menu-open-1280"))

    with page.expect_response(lambda r: r.url.endswith("/preferences/menu/") and r.status == 204):
        toggle.click()
    expect(page.locator("#tp-sidebar")).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert box(page, "main")["width"] >= content + 200
    assert box(page, "#reading")["width"] > reading
    manager.refresh_from_db()
    assert manager.menu_collapsed
    page.screenshot(path=artifact("menu-folded-1280"))

    # Drawn folded by the server: no script involved, so no flash of the open menu.
    page.reload()
    expect(page.locator("#tp-shell")).to_have_class(re.compile(r"\btp-menu-collapsed\b"))
    expect(page.locator("#tp-sidebar")).to_be_hidden()
    elsewhere = new_page("zh-CN")
    log_in(elsewhere, site, "manager", PASSWORD)
    expect(elsewhere.locator("#tp-sidebar")).to_be_hidden()
    expect(elsewhere.locator("#menu-toggle")).to_have_attribute("aria-expanded", "false")
    colleague = new_page("zh-CN")
    log_in(colleague, site, "sales1", PASSWORD)
    expect(colleague.locator("#tp-sidebar")).to_be_visible()

    # (The new login ended the first page's session: one login per account.)
    # A post without the CSRF token is refused and changes nothing.
    refused = elsewhere.request.post(f"{site}/preferences/menu/", form={"collapsed": "0"}, max_redirects=0)
    assert refused.status == 403
    manager.refresh_from_db()
    assert manager.menu_collapsed
    # With the token, a plain post goes back only to a page of this site.
    token = elsewhere.locator("[data-menu-toggle] [name=csrfmiddlewaretoken]").input_value()
    away = elsewhere.request.post(f"{site}/preferences/menu/", max_redirects=0, headers={"Referer": site}, form={
        "csrfmiddlewaretoken": token, "collapsed": "1", "next": "https://elsewhere.example/"})
    assert (away.status, away.headers["location"]) == (302, "/")

    elsewhere.goto(f"{site}/mail/followup/undistributed/")
    with elsewhere.expect_response(lambda r: r.url.endswith("/preferences/menu/") and r.status == 204):
        elsewhere.locator("#menu-toggle").click()
    expect(elsewhere.locator("#tp-sidebar")).to_be_visible()
    elsewhere.reload()
    expect(elsewhere.locator("#tp-sidebar")).to_be_visible()
    manager.refresh_from_db()
    assert not manager.menu_collapsed

    # Without script the toggle is a plain form that comes back to the same page.
    context = chromium.new_context(locale="en-US", java_script_enabled=False)
    try:
        plain = context.new_page()
        log_in(plain, site, "manager", PASSWORD)
        plain.goto(f"{site}/mail/followup/undistributed/")
        plain.locator("#menu-toggle").click()
        expect(plain).to_have_url(f"{site}/mail/followup/undistributed/")
        expect(plain.locator("#tp-sidebar")).to_be_hidden()
    finally:
        context.close()
    manager.refresh_from_db()
    assert manager.menu_collapsed


CHOICES = """() => Array.from(document.querySelectorAll('#merge-form input[type=radio][name=scope]')).map(radio => {
  const label = radio.labels[0], box = element => {
    const r = element.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
  };
  return {text: label.textContent.trim(), label: box(label), radio: box(radio),
          line: parseFloat(getComputedStyle(label).lineHeight)};
})"""


def merge_panel_ok(page, width, *, chinese):
    """The radio labels read across, the [Merge] button covers none of them, "Only this mail" is on screen."""
    page.locator("#merge-form").scroll_into_view_if_needed()
    choices = page.evaluate(CHOICES)
    only_text = "仅此邮件" if chinese else "Only this mail"
    assert [c["text"] for c in choices][1:] == [only_text]
    button = box(page, "#merge-form button[type=submit]")
    for choice in choices:
        label, radio = choice["label"], choice["radio"]
        assert label["width"] > label["height"], \
            f"at {width} px the choice {choice['text']!r} is {label['width']:.0f}×{label['height']:.0f} px"
        assert label["height"] <= 3 * choice["line"] + 1, \
            f"at {width} px the choice {choice['text']!r} takes {label['height'] / choice['line']:.1f} lines"
        assert not intersects(label, button), f"at {width} px the [Merge] button covers {choice['text']!r}"
        assert not intersects(radio, button)
    reading, merge = box(page, "#reading"), box(page, "#merge-form")
    assert merge["x"] >= reading["x"] - 1
    assert merge["x"] + merge["width"] <= reading["x"] + reading["width"] + 1
    only = page.locator("#merge-form input[value=one]")
    only.scroll_into_view_if_needed()
    seen = page.evaluate(CHOICES)[1]["label"]
    assert seen["x"] >= 0, f"at {width} px {only_text!r} is off screen"
    assert seen["x"] + seen["width"] <= width, f"at {width} px {only_text!r} is off screen"
    assert seen["y"] >= 0
    assert seen["y"] + seen["height"] <= HEIGHT, f"at {width} px {only_text!r} does not fit on the screen"
    on_top = page.evaluate("([x, y]) => document.elementFromPoint(x, y)?.closest('label')?.textContent.trim()",
                           [seen["x"] + seen["width"] / 2, seen["y"] + seen["height"] / 2])
    assert on_top == only_text, f"at {width} px something covers {only_text!r}"


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
@pytest.mark.parametrize("queue", ["undistributed", "unknown"])
def test_the_merge_panel_reads_across_at_every_width(site, new_page, queue, locale):
    """MAIL-06, MAIL-07, MAIL-08, QUE-09: in the undistributed queue (manager) and the unknown-sender queue
    (salesperson), at 1280, 1440 and 1920 px, the choices 'all mail from this address' / 'only this mail' are
    horizontal labels next to their radios, the [Merge] button is below them, and both can be chosen."""
    manager = ready("manager")
    ready("sales1")
    mails = strangers_mail()
    mail = mails[1]
    username = "manager"
    if queue == "unknown":
        triage.distribute(mail, to=Employee.objects.get(code="0002"), actor=manager, future_rule=False, note="")
        username = "sales1"
    chinese = locale.startswith("zh")
    page = screen(site, new_page, locale, 1440, username=username, queue=queue)
    page.locator(f"#queue-table tr[data-mail='{mail.pk}'] a[data-open-mail]").click()
    expect(page.locator(f"#reading article[data-mail='{mail.pk}'] #merge-form")).to_be_visible()
    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": HEIGHT})
        merge_panel_ok(page, width, chinese=chinese)
        page.locator("#merge-form").screenshot(path=artifact(f"merge-{queue}-{width}-{locale}"))
        if width != 1440:
            page.screenshot(path=artifact(f"merge-page-{queue}-{width}-{locale}"), full_page=True)
    page.locator("#merge-form label[for=id_scope_1]").click()
    expect(page.locator("#merge-form input[value=one]")).to_be_checked()
    expect(page.locator("#merge-form input[value=all]")).not_to_be_checked()
