"""Replying to and forwarding mail through a real SMTP server on loopback (READ-02..05, SEND-01, SEND-14,
SEND-16, SEND-17): what the customer's server receives, and what Tradeport files."""

import email
import email.policy
from email.message import EmailMessage

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.mail import sending
from tradeport.mail.models import Mail, Mailbox, OutgoingAttachment, OutgoingMail
from tradeport.mail.services import message_ingest
from tradeport.org.models import Department, Employee
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db


@pytest.fixture
def sendable(world, smtp_sink):
    mailbox = world["mailbox"]
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = smtp_sink.host, smtp_sink.port, "plain"
    mailbox.display_name = "Tradeport Sales"
    mailbox.save()
    return world


def lily_client(world) -> Client:
    client = Client()
    sign_in(client, Account.objects.get(username="lily"))
    return client


def test_reply_reaches_the_customer_with_threading_headers_and_is_filed(sendable, smtp_sink):
    """READ-02, SEND-16, SEND-14, MAIL-16, QUE-03: [Reply] writes to the sender only, with In-Reply-To and
    References; the sent copy is filed in the customer's history and the author's Sent list."""
    world = sendable
    original = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "anna@hanse.de", subject="询价 pumps", message_id="<q1@hanse.de>")).mail
    client = lily_client(world)
    page = client.get(reverse("mail:compose") + f"?reply={original.pk}")
    assert page.status_code == 200
    assert page.context["form"].initial["to"] == "anna@hanse.de"
    assert page.context["form"].initial["subject"] == "Re: 询价 pumps"
    response = client.post(reverse("mail:compose"), {
        "kind": "reply", "source": original.pk, "mailbox": world["mailbox"].pk, "to": "anna@hanse.de",
        "subject": "Re: 询价 pumps", "body": "报价见附件。", "follow_up_source": "on", "follow_up_days": "3",
        "send": "1"})
    assert response.status_code == 302, response.context and response.context["form"].errors
    outgoing = OutgoingMail.objects.get()
    assert sending.deliver(outgoing.pk) == "sent"
    assert len(smtp_sink.messages) == 1
    received = smtp_sink.messages[0]
    assert received.recipients == ["anna@hanse.de"]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "Re: 询价 pumps"
    assert message["In-Reply-To"] == "<q1@hanse.de>"
    assert "<q1@hanse.de>" in message["References"]
    assert message.get_body(("plain",)).get_content().strip() == "报价见附件。"
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    sent = outgoing.mail
    assert sent.direction == Mail.Direction.OUT
    assert sent.customer == world["customer"]
    assert sent.thread_key == Mail.objects.get(pk=original.pk).thread_key
    assert sent.sent_by == world["lily"]
    original.refresh_from_db()
    assert original.followed_up_at is not None
    assert original.follow_up_days == 3


# Helpers --------------------------------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUOTE_NAME = "报价单.pdf"


def composed(sender: str, *, to: str = "info@tradeport.test", cc: str = "", subject: str = "Inquiry",
             message_id: str = "<m1@hanse.de>", attachments=()) -> bytes:
    """A MIME message as a customer's mail client writes it, with attachments if given."""
    message = EmailMessage()
    message["From"] = f"Anna Becker <{sender}>"
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Date"] = "Wed, 4 Mar 2026 09:30:00 +0100"
    message["Message-ID"] = message_id
    message.set_content("Please find our inquiry attached.")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def compose_data(world, **fields) -> dict:
    """The compose form as the browser posts it for a new mail; fields override."""
    data = {"kind": "new", "mailbox": world["mailbox"].pk, "to": "anna@hanse.de", "cc": "", "bcc": "",
            "subject": "Offer", "body": "Dear Anna,\nour offer follows.", "send": "1"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def submitted(client, world, **fields) -> OutgoingMail:
    """Post the compose form with Send; the mail must land in the outbox."""
    response = client.post(reverse("mail:compose"), compose_data(world, **fields))
    assert response.status_code == 302, response.context and response.context["form"].errors
    assert response["Location"] == reverse("mail:outbox")
    outgoing = OutgoingMail.objects.latest("pk")
    assert outgoing.state == OutgoingMail.State.QUEUED
    return outgoing


def parsed(received) -> EmailMessage:
    return email.message_from_bytes(received.data, policy=email.policy.default)


def header_block(data: bytes) -> bytes:
    return data.split(b"\r\n\r\n", 1)[0]


def account_for(code: str, name: str, username: str) -> Account:
    """A salesperson with follow-up management who owns none of the world's customers."""
    Employee.objects.create(code=code, name=name, department=Department.objects.get(code="01"),
                            is_salesperson=True)
    return make_account(username, template="employee", employee_code=code)


def client_for(account: Account, **kwargs) -> Client:
    client = Client(**kwargs)
    sign_in(client, account)
    return client


# READ-03 reply all ----------------------------------------------------------------------------

def test_reply_all_copies_everyone_but_our_own_mailboxes(sendable, smtp_sink):
    """READ-03, SEND-02: [Reply all] writes to the sender, with the original's To and Cc (less every address of
    our own mailboxes) in Cc; the server gets one message addressed to all of them."""
    world = sendable
    Mailbox.objects.create(address="lily@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                           owner=Account.objects.get(username="lily"))
    original = message_ingest(mailbox=world["mailbox"], raw=composed(
        "anna@hanse.de", to="info@tradeport.test, Sales <sales@hanse.de>",
        cc="Bob <bob@partner.example>, LILY@tradeport.test", subject="Pump order",
        message_id="<ra1@hanse.de>")).mail
    client = lily_client(world)
    page = client.get(reverse("mail:compose") + f"?reply_all={original.pk}")
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert page.context["kind"] == "reply_all"
    assert sending.split_addresses(initial["to"]) == ["anna@hanse.de"]
    assert sending.split_addresses(initial["cc"]) == ["sales@hanse.de", "bob@partner.example"]
    assert initial["subject"] == "Re: Pump order"

    outgoing = submitted(client, world, kind="reply_all", source=original.pk, to=initial["to"], cc=initial["cc"],
                         subject=initial["subject"], body="Thanks, all.")
    assert outgoing.kind == OutgoingMail.Kind.REPLY_ALL
    assert outgoing.source_id == original.pk
    assert sending.deliver(outgoing.pk) == "sent"
    assert len(smtp_sink.messages) == 1
    received = smtp_sink.messages[0]
    assert received.sender == "info@tradeport.test"
    assert sorted(received.recipients) == ["anna@hanse.de", "bob@partner.example", "sales@hanse.de"]
    message = parsed(received)
    assert [a.addr_spec for a in message["To"].addresses] == ["anna@hanse.de"]
    assert [a.addr_spec for a in message["Cc"].addresses] == ["sales@hanse.de", "bob@partner.example"]
    assert message["In-Reply-To"] == "<ra1@hanse.de>"
    assert "tradeport.test" not in str(message["To"]) + str(message["Cc"])


def test_reply_all_leaves_out_our_mailbox_written_with_a_display_name(sendable):
    """READ-03: customers usually write to "Tradeport Sales <info@tradeport.test>"; [Reply all] must still
    leave our own mailboxes out of Cc, and not copy the sender it already writes to."""
    world = sendable
    original = message_ingest(mailbox=world["mailbox"], raw=composed(
        "anna@hanse.de", to="Tradeport Sales <info@tradeport.test>", cc="Bob <bob@partner.example>, Anna <anna@hanse.de>",
        subject="Pump order", message_id="<ra2@hanse.de>")).mail
    assert original.to == ["Tradeport Sales <info@tradeport.test>"]
    page = lily_client(world).get(reverse("mail:compose") + f"?reply_all={original.pk}")
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert sending.split_addresses(initial["to"]) == ["anna@hanse.de"]
    # Neither our own mailbox nor the sender (already in To) belongs in Cc.
    assert sending.split_addresses(initial["cc"]) == ["bob@partner.example"]


# SEND-04 BCC ----------------------------------------------------------------------------------

def test_bcc_is_in_the_envelope_only(sendable, smtp_sink):
    """SEND-04, SEND-14: a BCC recipient gets the mail, but no header of what anyone receives names them,
    and the filed copy does not either."""
    world = sendable
    client = lily_client(world)
    outgoing = submitted(client, world, to="anna@hanse.de", cc="sales@hanse.de", bcc="boss@tradeport-audit.example",
                         subject="Offer 2026-17")
    assert outgoing.bcc == ["boss@tradeport-audit.example"]
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert sorted(received.recipients) == ["anna@hanse.de", "boss@tradeport-audit.example", "sales@hanse.de"]
    assert b"boss@tradeport-audit.example" not in received.data
    assert b"tradeport-audit" not in received.data.lower()
    message = parsed(received)
    assert message["Bcc"] is None
    assert message["Subject"] == "Offer 2026-17"
    outgoing.refresh_from_db()
    filed = Mail.objects.get(pk=outgoing.mail_id)
    assert filed.to == ["anna@hanse.de"]
    assert filed.cc == ["sales@hanse.de"]
    assert "boss@tradeport-audit.example" not in [*filed.to, *filed.cc]
    with default_storage.open(filed.raw.path, "rb") as handle:
        assert b"tradeport-audit" not in handle.read()


# Chinese in headers and file names ------------------------------------------------------------

def test_chinese_subject_sender_and_attachment_name_survive_encoded(sendable, smtp_sink):
    """SEND-05, SEND-13, GEN-01: a Chinese subject, sender name and attachment name arrive as written; on the
    wire every header is ASCII (RFC 2047 words, RFC 2231 file names)."""
    world = sendable
    mailbox = world["mailbox"]
    mailbox.display_name = "杭州贸易"
    mailbox.save()
    subject = "报价单：不锈钢离心泵（2026年3月）"
    client = lily_client(world)
    outgoing = submitted(client, world, subject=subject, body="您好，报价单见附件。",
                         files=SimpleUploadedFile(QUOTE_NAME, PDF, content_type="application/pdf"))
    assert [a.filename for a in outgoing.attachments.all()] == [QUOTE_NAME]
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    header_block(received.data).decode("ascii")  # raises if any raw 8-bit byte is in the headers
    assert b"filename*=utf-8''" in received.data
    message = parsed(received)
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "杭州贸易"
    assert message["From"].addresses[0].addr_spec == "info@tradeport.test"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == QUOTE_NAME
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == PDF
    # The attachment's own MIME headers are ASCII as well.
    start = received.data.index(b"filename*=utf-8''")
    part_headers = received.data[received.data.rindex(b"\r\n\r\n", 0, start):received.data.index(b"\r\n\r\n", start)]
    part_headers.decode("ascii")
    assert message.get_body(("plain",)).get_content().strip() == "您好，报价单见附件。"
    outgoing.refresh_from_db()
    filed = outgoing.mail
    assert filed.subject == subject
    assert [a.filename for a in filed.attachments.all()] == [QUOTE_NAME]


# READ-04 forward, READ-05 forward as attachment ----------------------------------------------

def test_forward_takes_the_original_attachments_along(sendable, smtp_sink):
    """READ-04: [Forward] quotes the original and sends its attachments with it."""
    world = sendable
    original = message_ingest(mailbox=world["mailbox"], raw=composed(
        "anna@hanse.de", subject="Drawing for the pump", message_id="<fw1@hanse.de>",
        attachments=[(QUOTE_NAME, "application/pdf", PDF)])).mail
    assert [a.filename for a in original.attachments.all()] == [QUOTE_NAME]
    client = lily_client(world)
    page = client.get(reverse("mail:compose") + f"?forward={original.pk}")
    assert page.status_code == 200
    assert page.context["kind"] == "forward"
    assert [a.filename for a in page.context["forwarded"]] == [QUOTE_NAME]
    initial = page.context["form"].initial
    assert initial["subject"] == "Fwd: Drawing for the pump"
    assert "Please find our inquiry attached." in initial["body"]
    outgoing = submitted(client, world, kind="forward", source=original.pk, to="factory@supplier.example",
                         subject=initial["subject"], body=initial["body"])
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert received.recipients == ["factory@supplier.example"]
    message = parsed(received)
    assert message["Subject"] == "Fwd: Drawing for the pump"
    assert message["In-Reply-To"] is None
    attachments = list(message.iter_attachments())
    assert [(a.get_filename(), a.get_content()) for a in attachments] == [(QUOTE_NAME, PDF)]
    assert "Please find our inquiry attached." in message.get_body(("plain",)).get_content()


def test_forward_as_attachment_carries_the_original_message(sendable, smtp_sink):
    """READ-05: [Forward as attachment] sends the original, whole, as a message/rfc822 part."""
    world = sendable
    raw = composed("anna@hanse.de", subject="询价：离心泵", message_id="<fw2@hanse.de>",
                   attachments=[(QUOTE_NAME, "application/pdf", PDF)])
    original = message_ingest(mailbox=world["mailbox"], raw=raw).mail
    client = lily_client(world)
    page = client.get(reverse("mail:compose") + f"?forward_eml={original.pk}")
    assert page.status_code == 200
    assert page.context["kind"] == "forward_eml"
    assert page.context["form"].initial["subject"] == "Fwd: 询价：离心泵"
    outgoing = submitted(client, world, kind="forward_eml", source=original.pk, to="factory@supplier.example",
                         subject="Fwd: 询价：离心泵", body="See the mail below.")
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    message = parsed(received)
    parts = [p for p in message.walk() if p.get_content_type() == "message/rfc822"]
    assert len(parts) == 1
    assert parts[0].get_filename().endswith(".eml")
    inner = parts[0].get_content()
    assert inner["Message-ID"] == "<fw2@hanse.de>"
    assert inner["Subject"] == "询价：离心泵"
    assert inner["From"].addresses[0].addr_spec == "anna@hanse.de"
    assert [(a.get_filename(), a.get_content()) for a in inner.iter_attachments()] == [(QUOTE_NAME, PDF)]
    # The forwarded mail is only inside the .eml: nothing at the outer level besides it.
    assert [p.get_content_type() for p in message.iter_attachments()] == ["message/rfc822"]


# SEND-17 temporary and permanent failures -----------------------------------------------------

def test_temporary_failure_waits_then_sends(sendable, smtp_sink):
    """SEND-17: a 4xx answer keeps the mail waiting with the server's words and a later retry time; it is
    not sent again before then, and is sent on the next try after."""
    world = sendable
    client = lily_client(world)
    outgoing = submitted(client, world, subject="Try later")
    smtp_sink.answers.append("451 4.3.0 Try again later")
    before = timezone.now()
    assert sending.deliver(outgoing.pk) == "retry"
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert "451" in outgoing.last_error
    assert "Try again later" in outgoing.last_error
    assert outgoing.next_attempt_at > timezone.now()
    assert outgoing.next_attempt_at >= before + timezone.timedelta(minutes=sending.BACKOFF_MINUTES[0])
    assert outgoing.lease_until is None
    assert smtp_sink.messages == []
    assert outgoing.pk not in sending.due_ids()

    page = client.get(reverse("mail:outbox") + "?state=waiting")
    assert page.status_code == 200
    assert "451 4.3.0 Try again later" in page.content.decode()

    assert sending.deliver(outgoing.pk) == "not due"
    assert smtp_sink.messages == []

    OutgoingMail.objects.filter(pk=outgoing.pk).update(next_attempt_at=timezone.now() - timezone.timedelta(seconds=1))
    assert outgoing.pk in sending.due_ids()
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert parsed(received)["Message-ID"] == outgoing.message_id
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    assert outgoing.last_error == ""
    assert outgoing.attempts == 2


def test_permanent_failure_is_shown_and_can_be_retried(sendable, smtp_sink):
    """SEND-17: a 5xx answer fails the mail with the server's words, shown in the outbox; Retry puts it back
    and the next delivery sends the same message."""
    world = sendable
    client = lily_client(world)
    outgoing = submitted(client, world, to="nobody@hanse.de", subject="Permanent")
    smtp_sink.answers.append("550 5.1.1 No such user")
    assert sending.deliver(outgoing.pk) == "failed"
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.FAILED
    assert "550 5.1.1 No such user" in outgoing.last_error
    assert outgoing.pk not in sending.due_ids()
    assert sending.deliver(outgoing.pk) == "not due"
    assert smtp_sink.messages == []

    page = client.get(reverse("mail:outbox") + "?state=failed")
    assert page.status_code == 200
    html = page.content.decode()
    assert "550 5.1.1 No such user" in html
    assert f'data-outgoing="{outgoing.pk}" data-state="failed"' in html
    assert reverse("mail:outbox_action", args=[outgoing.pk, "retry"]) in html

    response = client.post(reverse("mail:outbox_action", args=[outgoing.pk, "retry"]))
    assert response.status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert received.recipients == ["nobody@hanse.de"]
    assert parsed(received)["Message-ID"] == outgoing.message_id
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    # Retrying a mail that already left does nothing.
    client.post(reverse("mail:outbox_action", args=[outgoing.pk, "retry"]))
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT


def test_partly_refused_recipients_are_recorded_and_all_refused_fails(sendable, smtp_sink):
    """SEND-17: recipients the server refuses while taking the others are recorded on the sent mail; when it
    refuses all of them the mail fails (5xx) with the server's words."""
    world = sendable
    client = lily_client(world)
    smtp_sink.refuse_recipients["gone@hanse.de"] = "550 5.1.1 Mailbox unavailable"
    outgoing = submitted(client, world, to="anna@hanse.de; gone@hanse.de", subject="Partly")
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    assert received.recipients == ["anna@hanse.de"]
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.SENT
    assert list(outgoing.refused) == ["gone@hanse.de"]
    assert "550" in outgoing.refused["gone@hanse.de"]

    alone = submitted(client, world, to="gone@hanse.de", subject="Nobody")
    assert sending.deliver(alone.pk) == "failed"
    alone.refresh_from_db()
    assert alone.state == OutgoingMail.State.FAILED
    assert "gone@hanse.de" in alone.last_error
    assert "550 5.1.1 Mailbox unavailable" in alone.last_error
    assert len(smtp_sink.messages) == 1


# SEND-13 attachment size limit ---------------------------------------------------------------

@pytest.mark.parametrize("sizes", [[1_260_000], [630_000, 630_000]], ids=["one-file", "two-files"])
def test_attachments_over_the_limit_reshow_the_form(sendable, smtp_sink, sizes):
    """SEND-13: attachments over the size limit (per mail, all files together) re-show the form with an error
    naming the limit; nothing is queued and what was typed is still there."""
    world = sendable
    SystemOption.objects.create(key="attachment_size_limit_mb", value=1)
    client = lily_client(world)
    files = [SimpleUploadedFile(f"part{i}.bin", b"\0" * size, content_type="application/octet-stream")
             for i, size in enumerate(sizes)]
    response = client.post(reverse("mail:compose"), compose_data(
        world, subject="Catalogue 2026 Sonderangebot", body="The catalogue is attached.", files=files))
    assert response.status_code == 200
    errors = response.context["form"].errors["files"]
    assert len(errors) == 1
    assert "1 MB" in errors[0]
    html = response.content.decode()
    assert 'id="attachment-error"' in html
    assert "1 MB" in html
    assert 'value="Catalogue 2026 Sonderangebot"' in html
    assert "The catalogue is attached." in html
    assert 'value="anna@hanse.de"' in html
    assert not OutgoingMail.objects.exists()
    assert smtp_sink.messages == []


def test_attachments_under_the_limit_are_taken(sendable, smtp_sink):
    """SEND-13: the limit is the option's value: a file just under it goes out."""
    world = sendable
    SystemOption.objects.create(key="attachment_size_limit_mb", value=1)
    client = lily_client(world)
    data = b"x" * 1_000_000
    outgoing = submitted(client, world, files=SimpleUploadedFile("catalogue.bin", data,
                                                                 content_type="application/octet-stream"))
    assert sending.deliver(outgoing.pk) == "sent"
    [attachment] = list(parsed(smtp_sink.messages[0]).iter_attachments())
    assert attachment.get_content() == data


# SEND-15 drafts -------------------------------------------------------------------------------

def test_drafts_are_saved_private_sent_later_and_deleted(sendable, smtp_sink):
    """SEND-15, SEND-08: [Save draft] keeps the mail, even without a recipient, and sends nothing; only its
    author opens it; sent later it leaves with its attachment; only drafts can be deleted."""
    world = sendable
    client = lily_client(world)
    response = client.post(reverse("mail:compose"), compose_data(
        world, to="", subject="Half-written offer", body="Dear …", send=None, save="1",
        files=SimpleUploadedFile(QUOTE_NAME, PDF, content_type="application/pdf")))
    assert response.status_code == 302
    draft = OutgoingMail.objects.get()
    assert response["Location"] == reverse("mail:compose") + f"?draft={draft.pk}"
    assert draft.state == OutgoingMail.State.DRAFT
    assert draft.to == []
    assert draft.subject == "Half-written offer"
    assert draft.raw_path == ""
    assert sending.deliver(draft.pk) == "not due"
    assert draft.pk not in sending.due_ids()
    assert smtp_sink.messages == []

    page = client.get(reverse("mail:compose") + f"?draft={draft.pk}")
    assert page.status_code == 200
    assert page.context["draft"] == draft
    assert page.context["form"].initial["subject"] == "Half-written offer"
    assert [a.filename for a in page.context["attachments"]] == [QUOTE_NAME]
    assert "Half-written offer" in client.get(reverse("mail:outbox") + "?state=drafts").content.decode()

    tom = Client()
    sign_in(tom, Account.objects.get(username="tom"))
    assert tom.get(reverse("mail:compose") + f"?draft={draft.pk}").status_code == 404
    assert tom.post(reverse("mail:compose"), compose_data(world, draft=draft.pk)).status_code == 404
    assert tom.post(reverse("mail:outbox_action", args=[draft.pk, "delete"])).status_code == 404
    assert "Half-written offer" not in tom.get(reverse("mail:outbox")).content.decode()
    draft.refresh_from_db()
    assert draft.state == OutgoingMail.State.DRAFT
    assert draft.to == []

    response = client.post(reverse("mail:compose"), compose_data(
        world, draft=draft.pk, to="anna@hanse.de", subject="Offer, final", body="Dear Anna, see the offer."))
    assert response.status_code == 302
    assert OutgoingMail.objects.count() == 1
    draft.refresh_from_db()
    assert draft.state == OutgoingMail.State.QUEUED
    assert sending.deliver(draft.pk) == "sent"
    [received] = smtp_sink.messages
    message = parsed(received)
    assert received.recipients == ["anna@hanse.de"]
    assert message["Subject"] == "Offer, final"
    assert [(a.get_filename(), a.get_content()) for a in message.iter_attachments()] == [(QUOTE_NAME, PDF)]

    # Delete: a sent mail stays; a draft goes.
    client.post(reverse("mail:outbox_action", args=[draft.pk, "delete"]))
    assert OutgoingMail.objects.get(pk=draft.pk).state == OutgoingMail.State.SENT
    client.post(reverse("mail:compose"), compose_data(world, to="", subject="Scrap", send=None, save="1"))
    scrap = OutgoingMail.objects.get(subject="Scrap")
    queued = submitted(client, world, subject="Waiting")
    assert client.post(reverse("mail:outbox_action", args=[queued.pk, "delete"])).status_code == 302
    assert OutgoingMail.objects.get(pk=queued.pk).state == OutgoingMail.State.QUEUED
    assert client.post(reverse("mail:outbox_action", args=[scrap.pk, "delete"])).status_code == 302
    assert not OutgoingMail.objects.filter(pk=scrap.pk).exists()
    assert OutgoingMail.objects.filter(pk=draft.pk).exists()


def test_sending_a_draft_without_recipient_is_refused(sendable, smtp_sink):
    """SEND-15, SEND-02: a draft may lack a recipient; [Send] may not."""
    world = sendable
    client = lily_client(world)
    response = client.post(reverse("mail:compose"), compose_data(world, to=""))
    assert response.status_code == 200
    assert response.context["form"].errors["to"]
    assert not OutgoingMail.objects.exists()
    assert smtp_sink.messages == []


# SEND-07 read receipt -------------------------------------------------------------------------

@pytest.mark.parametrize("ticked", [True, False])
def test_read_receipt_header_only_when_asked(sendable, smtp_sink, ticked):
    """SEND-07: a read receipt asks the mailbox's own address (Disposition-Notification-To); unticked, none."""
    world = sendable
    client = lily_client(world)
    outgoing = submitted(client, world, read_receipt="on" if ticked else None)
    assert outgoing.read_receipt is ticked
    assert sending.deliver(outgoing.pk) == "sent"
    message = parsed(smtp_sink.messages[0])
    if ticked:
        assert message["Disposition-Notification-To"] == "info@tradeport.test"
    else:
        assert "Disposition-Notification-To" not in message
        assert b"disposition-notification-to" not in smtp_sink.messages[0].data.lower()


# Security -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["reply", "reply_all", "forward", "forward_eml"])
def test_no_reply_or_forward_of_mail_one_cannot_see(sendable, smtp_sink, kind):
    """PERM-13, READ-02..05: a salesperson cannot answer or forward a mail of someone else's customer, by
    GET or by a crafted POST: 404, nothing queued."""
    world = sendable
    original = message_ingest(mailbox=world["mailbox"], raw=composed(
        "anna@hanse.de", subject="Secret prices", message_id="<sec1@hanse.de>",
        attachments=[(QUOTE_NAME, "application/pdf", PDF)])).mail
    max_ = account_for("0009", "Max", "max")
    assert not Mail.objects.visible_to(max_).filter(pk=original.pk).exists()
    client = client_for(max_)
    assert client.get(reverse("mail:compose")).status_code == 200  # may write mail at all
    assert client.get(reverse("mail:compose") + f"?{kind}={original.pk}").status_code == 404
    response = client.post(reverse("mail:compose"), compose_data(
        world, kind=kind, source=original.pk, to="max@private.example", subject="Fwd: Secret prices"))
    assert response.status_code == 404
    assert not OutgoingMail.objects.exists()
    assert smtp_sink.messages == []


def test_no_acting_on_another_users_outbox(sendable, smtp_sink):
    """SEND-15, SEND-17: another user's outbox rows are a 404 for every action, and not listed."""
    world = sendable
    client = lily_client(world)
    failed = submitted(client, world, subject="Lily's failed mail")
    smtp_sink.answers.append("550 5.7.1 Rejected")
    assert sending.deliver(failed.pk) == "failed"
    client.post(reverse("mail:compose"), compose_data(world, to="", subject="Lily's draft", send=None, save="1"))
    draft = OutgoingMail.objects.get(subject="Lily's draft")
    attachment = OutgoingAttachment.objects.create(outgoing=draft, filename="a.pdf", content_type="application/pdf",
                                                   size=1, path="x")
    other = client_for(account_for("0009", "Max", "max"))
    for action in ("retry", "cancel", "delete"):
        for row in (failed, draft):
            assert other.post(reverse("mail:outbox_action", args=[row.pk, action])).status_code == 404
    assert other.post(reverse("mail:outbox_action", args=[draft.pk, "remove-attachment"]),
                      {"attachment": attachment.pk}).status_code == 404
    assert OutgoingMail.objects.get(pk=failed.pk).state == OutgoingMail.State.FAILED
    assert OutgoingMail.objects.get(pk=draft.pk).state == OutgoingMail.State.DRAFT
    assert OutgoingAttachment.objects.filter(pk=attachment.pk).exists()
    html = other.get(reverse("mail:outbox")).content.decode()
    assert "Lily&#x27;s" not in html
    assert "Lily's" not in html
    assert smtp_sink.messages == []


def test_no_sending_from_someone_elses_personal_mailbox(sendable, smtp_sink):
    """SEND-03: a personal mailbox is its owner's to send from; another user posting its id gets a form error."""
    world = sendable
    personal = Mailbox.objects.create(address="lily@tradeport.test", protocol="none", kind=Mailbox.Kind.PERSONAL,
                                      owner=Account.objects.get(username="lily"), smtp_host=smtp_sink.host,
                                      smtp_port=smtp_sink.port, smtp_security="plain")
    assert personal in sending.sendable_mailboxes(Account.objects.get(username="lily"))
    tom = Client()
    sign_in(tom, Account.objects.get(username="tom"))
    response = tom.post(reverse("mail:compose"), compose_data(world, mailbox=personal.pk))
    assert response.status_code == 200
    assert response.context["form"].errors["mailbox"]
    assert not OutgoingMail.objects.exists()


def test_without_follow_up_function_compose_is_forbidden(sendable, outsider):
    """PERM-13: an account without the follow-up function cannot write mail."""
    client = client_for(outsider)
    assert client.get(reverse("mail:compose")).status_code == 403
    assert client.post(reverse("mail:compose"), compose_data(sendable)).status_code == 403
    assert not OutgoingMail.objects.exists()


def test_posts_without_csrf_token_are_refused(sendable, smtp_sink):
    """GEN-02: compose and outbox actions need the CSRF token."""
    world = sendable
    plain = lily_client(world)
    plain.post(reverse("mail:compose"), compose_data(world, to="", subject="Keep me", send=None, save="1"))
    draft = OutgoingMail.objects.get()
    client = client_for(Account.objects.get(username="lily"), enforce_csrf_checks=True)
    assert client.get(reverse("mail:compose")).status_code == 200
    assert client.post(reverse("mail:compose"), compose_data(world, subject="Forged")).status_code == 403
    assert client.post(reverse("mail:outbox_action", args=[draft.pk, "delete"])).status_code == 403
    assert list(OutgoingMail.objects.values_list("subject", "state")) == [("Keep me", OutgoingMail.State.DRAFT)]
    assert smtp_sink.messages == []


# No double sending ---------------------------------------------------------------------------

def test_a_dead_workers_mail_fails_and_is_never_resent_by_itself(sendable, smtp_sink):
    """SEND-17: a row left "sending" by a worker that died is failed with an explanation once its lease has
    expired; it is not due, and delivering it sends nothing. A live lease is left alone."""
    world = sendable
    client = lily_client(world)
    dead = submitted(client, world, subject="Died mid-send")
    alive = submitted(client, world, subject="Being sent")
    now = timezone.now()
    OutgoingMail.objects.filter(pk=dead.pk).update(state=OutgoingMail.State.SENDING, attempts=1,
                                                   lease_until=now - timezone.timedelta(seconds=1))
    OutgoingMail.objects.filter(pk=alive.pk).update(state=OutgoingMail.State.SENDING, attempts=1,
                                                    lease_until=now + sending.LEASE)
    assert sending.release_stale() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.state == OutgoingMail.State.FAILED
    assert "interrupted" in dead.last_error
    assert "already" in dead.last_error
    assert dead.lease_until is None
    assert alive.state == OutgoingMail.State.SENDING
    assert dead.pk not in sending.due_ids()
    assert alive.pk not in sending.due_ids()
    assert sending.deliver(dead.pk) == "not due"
    assert sending.deliver(alive.pk) == "not due"
    assert sending.release_stale() == 0
    assert smtp_sink.messages == []
    dead.refresh_from_db()
    assert dead.state == OutgoingMail.State.FAILED
    assert dead.attempts == 1
    assert "interrupted" in client.get(reverse("mail:outbox") + "?state=failed").content.decode()


# Invalid addresses ---------------------------------------------------------------------------

@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
def test_invalid_address_is_named_and_nothing_is_queued(sendable, smtp_sink, field):
    """SEND-02: an address that is not one re-shows the form with an error naming it; what was typed stays."""
    world = sendable
    client = lily_client(world)
    response = client.post(reverse("mail:compose"), compose_data(
        world, **{field: "not-an-address; anna@hanse.de"}, subject="Typo in the address"))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert len(errors) == 1
    assert "not-an-address" in errors[0]
    assert "anna@hanse.de" not in errors[0]
    html = response.content.decode()
    assert "Not an email address: not-an-address" in html
    assert 'value="Typo in the address"' in html
    assert not OutgoingMail.objects.exists()
    assert smtp_sink.messages == []



# Bugs found while writing these tests ---------------------------------------------------------

def test_a_long_english_paragraph_is_sent(sendable, smtp_sink):
    """SEND-01: a paragraph typed in the message box has no line breaks; over 1000 characters of plain English
    must still leave, with every line within the 998-octet limit, and read back as typed."""
    world = sendable
    client = lily_client(world)
    paragraph = " ".join(["Thank you for your inquiry about our stainless steel centrifugal pumps."] * 20)
    assert len(paragraph) > 1000
    assert paragraph.isascii()
    outgoing = submitted(client, world, body=paragraph)
    result = sending.deliver(outgoing.pk)
    outgoing.refresh_from_db()
    assert (result, outgoing.last_error) == ("sent", "")
    [received] = smtp_sink.messages
    assert max(len(line) for line in received.data.split(b"\r\n")) <= 998
    assert parsed(received).get_body(("plain",)).get_content().strip() == paragraph


def test_forward_as_attachment_keeps_raw_utf8_headers_of_the_original(sendable, smtp_sink):
    """READ-05: an original whose headers are raw UTF-8 (no RFC 2047) is forwarded byte for byte; its subject is
    not rewritten into a charset no mail client knows."""
    world = sendable
    raw = raw_mail("anna@hanse.de", subject="询价 pumps", message_id="<q9@hanse.de>", body="请报价。")
    original = message_ingest(mailbox=world["mailbox"], raw=raw).mail
    assert original.subject == "询价 pumps"
    client = lily_client(world)
    outgoing = submitted(client, world, kind="forward_eml", source=original.pk, to="factory@supplier.example",
                         subject="Fwd: 询价 pumps")
    assert sending.deliver(outgoing.pk) == "sent"
    [received] = smtp_sink.messages
    inner = next(p for p in parsed(received).walk() if p.get_content_type() == "message/rfc822").get_content()
    assert inner["Message-ID"] == "<q9@hanse.de>"
    assert b"unknown-8bit" not in received.data
    assert "Subject: 询价 pumps\r\n".encode() in received.data


def test_a_subject_with_a_line_break_is_not_a_server_error(sendable, smtp_sink):
    """SEND-01, GEN-02: a crafted subject with CR/LF never injects a header and never breaks the page: it is refused
    with a form error, or sent with the break removed."""
    world = sendable
    client = Client(raise_request_exception=False)
    sign_in(client, Account.objects.get(username="lily"))
    response = client.post(reverse("mail:compose"), compose_data(world, subject="Hello\r\nBcc: spy@evil.example"))
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert not OutgoingMail.objects.exists()
    else:
        outgoing = OutgoingMail.objects.get()
        assert sending.deliver(outgoing.pk) == "sent"
        [received] = smtp_sink.messages
        assert received.recipients == ["anna@hanse.de"]
        assert parsed(received)["Bcc"] is None


def test_quoted_date_is_in_local_time(sendable, settings):
    """READ-02, READ-04: the "On …, … wrote:" line and the forwarded header give the time the user sees in the
    reader (TIME_ZONE), not UTC."""
    settings.TIME_ZONE = "Asia/Shanghai"
    world = sendable
    original = message_ingest(mailbox=world["mailbox"], raw=raw_mail("anna@hanse.de", message_id="<t1@hanse.de>")).mail
    client = lily_client(world)
    reply = client.get(reverse("mail:compose") + f"?reply={original.pk}").context["form"].initial["body"]
    forward = client.get(reverse("mail:compose") + f"?forward={original.pk}").context["form"].initial["body"]
    assert "On 2026-03-03 17:00, Sender wrote:" in reply  # sent 10:00 +0100 = 17:00 in Shanghai
    assert "Date: 2026-03-03 17:00" in forward


def test_a_mail_sent_to_a_stranger_opens_from_the_senders_sent_folder(sendable, smtp_sink):
    """DAILY-04, PERM-13, SEND-14: mail sent from a system mailbox to someone who is no customer is listed in
    the author's Sent folder and opens for the author; another salesperson still gets 404."""
    world = sendable
    client = lily_client(world)
    client.post(reverse("mail:compose"), {"kind": "new", "mailbox": world["mailbox"].pk, "to": "new@stranger.example",
                                          "subject": "Hello", "body": "Nice to meet you.", "send": "1"})
    outgoing = OutgoingMail.objects.get()
    assert sending.deliver(outgoing.pk) == "sent"
    outgoing.refresh_from_db()
    assert outgoing.mail.customer is None
    listed = client.get(reverse("mail:followup_queue", args=["sent"])).content.decode()
    assert f'data-mail="{outgoing.mail_id}"' in listed
    assert client.get(reverse("mail:mail_read", args=[outgoing.mail_id])).status_code == 200
    tom = Client()
    sign_in(tom, Account.objects.get(username="tom"))
    assert tom.get(reverse("mail:mail_read", args=[outgoing.mail_id])).status_code == 404
