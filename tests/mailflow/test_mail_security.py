"""Who may open and act on a mail, and how its body and attachments are served (PERM-08, PERM-10, PERM-13,
READ-01, READ-07, READ-08, GEN-01): other people's mail is a 404 by every URL, the body frame loads nothing
remote until allowed, attachments keep their Chinese names and download unless safe to preview."""

import itertools
import re
from email.message import EmailMessage
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from matrix import check_matrix
from tradeport.accounts.functions import EMPLOYEE_TEMPLATE, MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail import triage
from tradeport.mail.models import (
    BlockedAddress,
    Delivery,
    Mail,
    MailAttachment,
    Mailbox,
    MailEvent,
    RemoteContentAllowance,
)
from tradeport.mail.services import message_ingest
from tradeport.org.models import Employee

pytestmark = pytest.mark.django_db

_serial = itertools.count(1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")
QUOTE_NAME = "报价单.pdf"
ACTIONS = ("distribute", "merge", "spam", "trash", "restore", "delete", "block", "followup", "transfer", "copy",
           "done", "allow-remote", "recycle-restore")


def composed(sender: str, *, html: str | None = None, attachments=(), to: str = "info@tradeport.test") -> bytes:
    """A MIME message as a mail client writes it: text (and HTML) plus attachments."""
    number = next(_serial)
    message = EmailMessage()
    message["From"] = f"Buyer {number} <{sender}>"
    message["To"] = to
    message["Subject"] = f"Quotation {number}"
    message["Date"] = "Wed, 4 Mar 2026 09:30:00 +0100"
    message["Message-ID"] = f"<sec-{number}@{sender.rpartition('@')[2]}>"
    message.set_content("Please find our quotation attached.")
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def arrive(mailbox, sender: str, **parts) -> Mail:
    result = message_ingest(mailbox=mailbox, raw=composed(sender, **parts))
    assert result.outcome == "stored", result.outcome
    return result.mail


def grant(account: Account, *codenames: str) -> Account:
    account.user_permissions.add(*Permission.objects.filter(codename__in=codenames, content_type__app_label="accounts"))
    assert account.user_permissions.count() == len(codenames)
    return Account.objects.get(pk=account.pk)


def client_for(account, **options) -> Client:
    return sign_in(Client(**options), account)


def reading_urls(mail: Mail) -> dict[str, str]:
    attachment = mail.attachments.filter(inline=False).first()
    urls = {"read": reverse("mail:mail_read", args=[mail.pk]), "body": reverse("mail:mail_body", args=[mail.pk]),
            "print": reverse("mail:mail_print", args=[mail.pk])}
    if attachment is not None:
        urls["attachment"] = reverse("mail:mail_attachment", args=[mail.pk, attachment.pk])
    return urls


@pytest.fixture
def boss(world):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


@pytest.fixture
def accounts(world):
    return {"lily": Account.objects.get(username="lily"), "tom": Account.objects.get(username="tom")}


@pytest.fixture
def toms_mail(world, boss):
    """A stranger's quotation with a Chinese-named PDF, distributed to tom only."""
    mail = arrive(world["mailbox"], "buyer@fareast.example",
                  attachments=[(QUOTE_NAME, "application/pdf", PDF)])
    triage.distribute(mail, to=world["tom"], actor=boss)
    return Mail.objects.get(pk=mail.pk)


# PERM-13: another salesperson's mail does not exist for you -----------------------------------------

def test_a_salesperson_cannot_open_another_salespersons_mail_by_url(world, accounts, toms_mail):
    """PERM-13, READ-01, READ-08: reading pane, body, print view and attachment are 404 for lily, 200 for tom."""
    urls = reading_urls(toms_mail)
    assert set(urls) == {"read", "body", "print", "attachment"}
    lily, tom = client_for(accounts["lily"]), client_for(accounts["tom"])
    for name, url in urls.items():
        assert lily.get(url).status_code == 404, name
        assert tom.get(url).status_code == 200, name
    assert lily.get(urls["attachment"] + "?inline=1").status_code == 404


def test_a_salesperson_cannot_act_on_another_salespersons_mail(world, accounts, toms_mail):
    """PERM-13, QUE-07, READ-15, READ-16, READ-17, READ-18, READ-19: every action on tom's mail is a 404 for lily, and nothing changes."""
    lily = client_for(accounts["lily"])
    before = (list(Delivery.objects.values_list("employee__code", "state")),
              list(MailEvent.objects.values_list("action", flat=True)))
    for action in ACTIONS:
        response = lily.post(reverse("mail:mail_action", args=[toms_mail.pk, action]), {
            "employee": world["lily"].pk, "employees": [world["lily"].pk], "customer": world["customer"].pk,
            "scope": "all", "followed_up": "on", "block": "on"})
        assert response.status_code == 404, action
    after = (list(Delivery.objects.values_list("employee__code", "state")),
             list(MailEvent.objects.values_list("action", flat=True)))
    assert after == before
    assert not BlockedAddress.objects.exists()
    assert not RemoteContentAllowance.objects.exists()
    assert Mail.objects.get(pk=toms_mail.pk).deleted_at is None
    refused = lily.post(reverse("mail:followup_bulk"), {"action": "delete", "mail": [toms_mail.pk]})
    assert refused.status_code == 403
    assert Mail.objects.get(pk=toms_mail.pk).deleted_at is None


def test_an_attachment_is_only_served_under_its_own_mail(world, boss, accounts, toms_mail):
    """PERM-13, READ-01: lily's own mail id with tom's attachment id is a 404, not tom's file."""
    own = arrive(world["mailbox"], "lily.buyer@fareast.example", attachments=[("own.pdf", "application/pdf", PDF)])
    triage.distribute(own, to=world["lily"], actor=boss)
    foreign = toms_mail.attachments.get()
    lily = client_for(accounts["lily"])
    assert lily.get(reverse("mail:mail_attachment", args=[own.pk, own.attachments.get().pk])).status_code == 200
    assert lily.get(reverse("mail:mail_attachment", args=[own.pk, foreign.pk])).status_code == 404


def test_a_system_mail_holder_reads_every_mail(world, toms_mail):
    """PERM-08, SYS-03, PERM-13: follow-up management plus system_mail opens tom's mail and its attachment."""
    auditor = grant(make_account("auditor", employee_name="审计"), "fn_followup_management", "system_mail")
    client = client_for(auditor)
    for name, url in reading_urls(toms_mail).items():
        assert client.get(url).status_code == 200, name
    # reading is not distributing: without the Mail distribution function the triage actions are refused
    distribute = client.post(reverse("mail:mail_action", args=[toms_mail.pk, "distribute"]),
                             {"employee": world["lily"].pk})
    assert distribute.status_code == 403


def test_personal_mailbox_mail_is_readable_with_perm_10_only(world, accounts):
    """PERM-10, INSP-11, PERM-13: the personal-mailbox permission opens tom's personal mail, nothing else."""
    personal = Mailbox.objects.create(address="tom@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                                      owner=accounts["tom"])
    private = arrive(personal, "friend@private.example", to="tom@tradeport.test",
                     attachments=[("合同.pdf", "application/pdf", PDF)])
    assert private.route == Mail.Route.PERSONAL
    system = arrive(world["mailbox"], "other@stranger.example")
    inspector = grant(make_account("inspector", template=EMPLOYEE_TEMPLATE, employee_name="督察"),
                      "view_personal_mailboxes")
    assert inspector.has_perm("accounts.fn_followup_management")
    client = client_for(inspector)
    for name, url in reading_urls(private).items():
        assert client.get(url).status_code == 200, name
    assert client.get(reverse("mail:mail_read", args=[system.pk])).status_code == 404
    lily = client_for(accounts["lily"])
    assert lily.get(reverse("mail:mail_read", args=[private.pk])).status_code == 404
    assert client_for(accounts["tom"]).get(reverse("mail:mail_read", args=[private.pk])).status_code == 200


def test_an_internal_copy_can_be_opened_by_its_recipient(world, accounts):
    """READ-19, DAILY-01, PERM-13: wang, who does not own Hanse Trade, opens the copy lily sent him."""
    Employee.objects.create(code="0004", name="王五", department=world["department"], is_salesperson=True)
    wang = make_account("wang", template=EMPLOYEE_TEMPLATE, employee_code="0004")
    mail = arrive(world["mailbox"], "info@hanse.de", attachments=[("price.pdf", "application/pdf", PDF)])
    client = client_for(wang)
    assert client.get(reverse("mail:mail_read", args=[mail.pk])).status_code == 404  # before the copy
    triage.internal_copy(mail, employees=[wang.employee], actor=accounts["lily"], note="FYI")
    listed = client.get(reverse("mail:followup_queue", args=["copies"]))
    assert [m.pk for m in listed.context["rows"]] == [mail.pk]
    for name, url in reading_urls(mail).items():
        assert client.get(url).status_code == 200, name


# The body frame: CSP and remote images (READ-01, READ-07) -----------------------------------------

TRACKED = ('<p>Dear buyer,</p><img src="http://tracker.example/open.gif?id=7" alt="logo">'
           '<img src="https://newsletter.example/banner.png"><script>alert("x")</script>'
           '<a href="https://shop.example" onclick="steal()">shop</a>')


def img_sources(csp: str) -> set[str]:
    directive = next(d.strip() for d in csp.split(";") if d.strip().startswith("img-src"))
    return set(directive.split()[1:])


def test_the_body_loads_nothing_remote_until_allowed(world, accounts):
    """READ-01, READ-07: strict CSP and held-back images; once for this view, then always for the sender."""
    mail = arrive(world["mailbox"], "info@hanse.de", html=TRACKED)
    mail = Mail.objects.get(pk=mail.pk)
    assert mail.has_remote_images
    lily, tom = client_for(accounts["lily"]), client_for(accounts["tom"])
    body_url = reverse("mail:mail_body", args=[mail.pk])

    blocked = lily.get(body_url)
    csp = blocked["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert img_sources(csp) == {"data:"}
    assert "sandbox" in csp
    assert "form-action 'none'" in csp
    assert blocked["Referrer-Policy"] == "no-referrer"
    html = blocked.content.decode()
    assert 'data-remote-src="http://tracker.example/open.gif?id=7"' in html
    assert 'data-remote-src="https://newsletter.example/banner.png"' in html
    assert not re.search(r'<img[^>]*\ssrc="https?:', html)
    assert "<script" not in html
    assert "onclick" not in html
    assert "steal()" not in html
    pane = lily.get(reverse("mail:mail_read", args=[mail.pk])).content.decode()
    assert 'id="remote-blocked"' in pane

    once = lily.get(body_url, {"remote": "1"})
    assert img_sources(once["Content-Security-Policy"]) == {"data:", "http:", "https:"}
    assert "default-src 'none'" in once["Content-Security-Policy"]
    assert 'src="http://tracker.example/open.gif?id=7"' in once.content.decode()
    assert img_sources(lily.get(body_url)["Content-Security-Policy"]) == {"data:"}  # only that once

    allowed = lily.post(reverse("mail:mail_action", args=[mail.pk, "allow-remote"]))
    assert allowed.status_code == 302
    assert RemoteContentAllowance.objects.filter(account=accounts["lily"], sender="info@hanse.de").exists()
    always = lily.get(body_url)
    assert img_sources(always["Content-Security-Policy"]) == {"data:", "http:", "https:"}
    assert 'src="https://newsletter.example/banner.png"' in always.content.decode()
    assert 'id="remote-blocked"' not in lily.get(reverse("mail:mail_read", args=[mail.pk])).content.decode()

    later = arrive(world["mailbox"], "info@hanse.de", html=TRACKED)  # the sender's next mail too
    assert img_sources(lily.get(reverse("mail:mail_body", args=[later.pk]))["Content-Security-Policy"]) == {
        "data:", "http:", "https:"}
    other = tom.get(body_url)  # tom made no choice: still blocked for him
    assert img_sources(other["Content-Security-Policy"]) == {"data:"}
    assert 'data-remote-src="http://tracker.example/open.gif?id=7"' in other.content.decode()


def test_the_text_view_escapes_the_body(world, accounts):
    """READ-07: the plain-text switch shows the text part escaped, under the same strict policy."""
    message = composed("info@hanse.de", html="<b>bold</b>")
    message = message.replace(b"Please find our quotation attached.", b"<script>alert(1)</script> 5 < 6")
    mail = message_ingest(mailbox=world["mailbox"], raw=message).mail
    response = client_for(accounts["lily"]).get(reverse("mail:mail_body", args=[mail.pk]), {"text": "1"})
    body = response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 5 &lt; 6" in body
    assert "<script>" not in body
    assert "<b>bold</b>" not in body
    assert img_sources(response["Content-Security-Policy"]) == {"data:"}


# Attachments: names and download (READ-01) ----------------------------------------------------------

def disposition(response) -> str:
    return response["Content-Disposition"]


def test_attachments_keep_their_chinese_name_and_download(world, accounts, toms_mail):
    """READ-01: 报价单.pdf downloads with an RFC 5987 name; it previews inline only when asked."""
    attachment = toms_mail.attachments.get()
    assert (attachment.filename, attachment.content_type) == (QUOTE_NAME, "application/pdf")
    tom = client_for(accounts["tom"])
    url = reverse("mail:mail_attachment", args=[toms_mail.pk, attachment.pk])

    download = tom.get(url)
    assert download.status_code == 200
    assert disposition(download) == f"attachment; filename*=utf-8''{quote(QUOTE_NAME)}"
    assert "%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf" in disposition(download)
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == PDF

    preview = tom.get(url, {"inline": "1"})
    assert disposition(preview) == f"inline; filename*=utf-8''{quote(QUOTE_NAME)}"
    assert preview["Content-Type"] == "application/pdf"
    page = tom.get(reverse("mail:mail_read", args=[toms_mail.pk])).content.decode()
    assert QUOTE_NAME in page
    assert f"{url}?inline=1" in page


@pytest.mark.parametrize(("filename", "content_type"), [
    ("价格表.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("页面.html", "text/html"),
    ("图标.svg", "image/svg+xml"),
    ("安装.exe", "application/x-msdownload"),
])
def test_types_that_cannot_be_previewed_are_forced_to_download(world, accounts, boss, filename, content_type):
    """READ-01: even with ?inline=1 a non-previewable type is an octet-stream attachment (no HTML or SVG inline)."""
    mail = arrive(world["mailbox"], "sales@hanse.de", attachments=[(filename, content_type, b"<svg onload=x>")])
    attachment = MailAttachment.objects.get(mail=mail, inline=False)
    assert attachment.content_type == content_type
    response = client_for(accounts["lily"]).get(
        reverse("mail:mail_attachment", args=[mail.pk, attachment.pk]), {"inline": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert disposition(response) == f"attachment; filename*=utf-8''{quote(filename)}"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_inline_image_preview_has_its_own_policy(world, accounts):
    """READ-01: a previewed image opens inline under a CSP that runs nothing."""
    mail = arrive(world["mailbox"], "anna@hanse.de", attachments=[("样品.png", "image/png", PNG)])
    attachment = mail.attachments.get()
    response = client_for(accounts["tom"]).get(
        reverse("mail:mail_attachment", args=[mail.pk, attachment.pk]), {"inline": "1"})
    assert response["Content-Type"] == "image/png"
    assert disposition(response).startswith("inline;")
    assert "default-src 'none'" in response["Content-Security-Policy"]


# CSRF ---------------------------------------------------------------------------------------------------

def test_actions_need_the_csrf_token(world, boss):
    """GEN-01, MAIL-03, MAIL-11: a POST without the token is refused with 403 and changes nothing."""
    mail = arrive(world["mailbox"], "csrf@attack.example")
    client = client_for(boss, enforce_csrf_checks=True)
    url = reverse("mail:mail_action", args=[mail.pk, "distribute"])
    assert client.post(url, {"employee": world["lily"].pk}).status_code == 403
    assert client.post(reverse("mail:followup_bulk"), {"action": "delete", "mail": [mail.pk]}).status_code == 403
    stored = Mail.objects.get(pk=mail.pk)
    assert (stored.triaged_at, stored.deleted_at) == (None, None)
    assert not Delivery.objects.filter(mail=mail).exists()

    client.get(reverse("mail:mail_read", args=[mail.pk]))  # the page sets the token cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(url, {"employee": world["lily"].pk, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302
    assert Delivery.objects.get(mail=mail).employee == world["lily"]


# The permission matrix (GEN-01, PERM-08, MAIL-02, SYS-04) -----------------------------------------------

@pytest.fixture
def stray(db):
    """An undistributed mail in a mailbox of its own (the `roles` accounts have no employee)."""
    mailbox = Mailbox.objects.create(address="sales@tradeport.test", protocol="none")
    return arrive(mailbox, "anyone@stranger.example", attachments=[(QUOTE_NAME, "application/pdf", PDF)])


def test_the_follow_up_pages_join_the_permission_matrix(roles, stray):
    """GEN-01, QUE-01, MAIL-02, PERM-08, SYS-04, PERM-13: screen, triage queues, recycle bin and a stranger's mail."""
    check_matrix(reverse("mail:followup"), users=roles,
                 anonymous=302, outsider=403, salesperson=200, manager=200, admin=200)
    for url in (reverse("mail:undistributed"), reverse("mail:followup_queue", args=["undistributed_trash"])):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=404, manager=200, admin=200)
    check_matrix(reverse("mail:recycle_bin"), users=roles,
                 anonymous=302, outsider=403, salesperson=403, manager=200, admin=200)
    for url in reading_urls(stray).values():
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=404, manager=200, admin=200)
    check_matrix(reverse("mail:mail_action", args=[stray.pk, "trash"]), users=roles, method="post",
                 anonymous=302, outsider=403, salesperson=404)
    check_matrix(reverse("mail:followup_bulk"), users=roles, method="post", data={"action": "trash"},
                 anonymous=302, outsider=403, salesperson=403, manager=302)
    assert Mail.objects.get(pk=stray.pk).triaged_at is None


def test_the_triage_queues_need_distribution_and_system_mail_together(db, stray):
    """MAIL-02, PERM-08, GEN-01: either permission alone does not offer the undistributed queue (404)."""
    users = {
        "distribution_only": grant(make_account("dist"), "fn_followup_management", "fn_mail_distribution"),
        "system_mail_only": grant(make_account("sysm"), "fn_followup_management", "system_mail"),
        "both": grant(make_account("both"), "fn_followup_management", "fn_mail_distribution", "system_mail"),
    }
    check_matrix(reverse("mail:undistributed"), users=users,
                 distribution_only=404, system_mail_only=404, both=200)
    screen = client_for(users["both"]).get(reverse("mail:undistributed"))
    assert [m.pk for m in screen.context["rows"]] == [stray.pk]
    assert client_for(users["system_mail_only"]).post(
        reverse("mail:mail_action", args=[stray.pk, "spam"])).status_code == 403
    assert Mail.objects.get(pk=stray.pk).triaged_at is None


def test_the_recycle_bin_needs_the_function_and_perm_08(db, stray):
    """SYS-04, PERM-08, GEN-01: the System mail management function alone is refused."""
    users = {
        "function_only": grant(make_account("fonly"), "fn_system_mail_admin"),
        "perm08_only": grant(make_account("ponly"), "system_mail", "fn_mail_distribution"),
    }
    check_matrix(reverse("mail:recycle_bin"), users=users, function_only=403, perm08_only=403)


def test_a_system_mail_manager_without_mail_distribution_opens_the_recycle_bin(db, stray):
    """SYS-04, SYS-03, PERM-08: fn_system_mail_admin plus system_mail is enough for the recycle bin."""
    manager = grant(make_account("sysadmin"), "fn_system_mail_admin", "system_mail")
    triage.delete_permanently(stray, actor=manager)
    response = client_for(manager).get(reverse("mail:recycle_bin"))
    assert response.status_code == 200
    assert [m.pk for m in response.context["rows"]] == [stray.pk]


def test_the_mail_distribution_menu_entry_opens_for_its_holder(db, stray):
    """GEN-01, MAIL-02, PERM-08: a function the menu shows is usable: Mail distribution plus PERM-08 opens the queue."""
    distributor = grant(make_account("mailer"), "fn_mail_distribution", "system_mail")
    client = client_for(distributor)
    home = client.get(reverse("mail:blocked_list"))  # a page of theirs, with the menu
    assert home.status_code == 200
    menu = [f.url_name for entry in home.context["nav_modules"]() for f in entry["functions"]]
    assert "mail:undistributed" in menu
    assert client.get(reverse("mail:undistributed")).status_code == 200


def test_the_print_view_shows_header_and_body(world, accounts):
    """READ-08: the print page has the header, the attachment names and the text body."""
    mail = arrive(world["mailbox"], "info@hanse.de", attachments=[(QUOTE_NAME, "application/pdf", PDF)])
    page = client_for(accounts["lily"]).get(reverse("mail:mail_print", args=[mail.pk])).content.decode()
    assert mail.subject in page
    assert "info@hanse.de" in page
    assert QUOTE_NAME in page
    assert "Please find our quotation attached." in page


def test_the_print_view_of_an_html_only_mail_shows_its_body(world, accounts):
    """READ-08: a mail sent as HTML only still prints its body."""
    number = next(_serial)
    raw = ("From: Hanse <info@hanse.de>\r\nTo: info@tradeport.test\r\nSubject: HTML only offer\r\n"
           f"Message-ID: <html-only-{number}@hanse.de>\r\nDate: Wed, 4 Mar 2026 09:30:00 +0100\r\n"
           "MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           "<html><body><p>Offer: 500 pcs at USD 3.20</p></body></html>\r\n").encode()
    mail = message_ingest(mailbox=world["mailbox"], raw=raw).mail
    assert "500 pcs at USD 3.20" in mail.html
    page = client_for(accounts["lily"]).get(reverse("mail:mail_print", args=[mail.pk])).content.decode()
    assert "500 pcs at USD 3.20" in page


def test_an_action_does_not_redirect_off_site(world, boss):
    """READ-01, GEN-01: `next` may only point into Tradeport; an outside address falls back to the reading pane."""
    mail = arrive(world["mailbox"], "redirect@stranger.example")
    client = client_for(boss)
    response = client.post(reverse("mail:mail_action", args=[mail.pk, "trash"]),
                           {"next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mail:mail_read", args=[mail.pk])
    back = client.post(reverse("mail:mail_action", args=[mail.pk, "restore"]),
                       {"next": reverse("mail:undistributed")})
    assert back["Location"] == reverse("mail:undistributed")
    assert Mail.objects.get(pk=mail.pk).triaged_at is None
