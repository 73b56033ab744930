"""Bounces and read receipts that come back for mail Tradeport sent (SEND-07, SEND-17): linked to the sent
mail, filed with its customer, kept out of the triage queue, and a permanent failure flags the address."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import sign_in
from mailflow.test_sending import lily_client, sendable  # noqa: F401
from tradeport.accounts.models import Account
from tradeport.mail import queues, sending
from tradeport.mail.models import BouncedAddress, Mail, OutgoingMail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def sent_mail(world, client, *, read_receipt=False) -> OutgoingMail:
    data = {"kind": "new", "mailbox": world["mailbox"].pk, "to": "anna@hanse.de", "subject": "Price list 2027",
            "body": "Attached.", "send": "1"}
    if read_receipt:
        data["read_receipt"] = "on"
    assert client.post(reverse("mail:compose"), data).status_code == 302
    outgoing = OutgoingMail.objects.latest("id")
    assert sending.deliver(outgoing.pk) == "sent"
    outgoing.refresh_from_db()
    return outgoing


def bounce(original_id: str, recipient: str, status: str = "5.1.1") -> bytes:
    return (
        "From: MAILER-DAEMON@mx.hanse.de (Mail Delivery System)\r\nTo: info@tradeport.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n"
        f"Message-ID: <bounce-{status}@mx.hanse.de>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.hanse.de\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; 550 {status} User unknown\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: info@tradeport.test\r\nTo: {recipient}\r\nSubject: Price list 2027\r\nMessage-ID: {original_id}\r\n"
        "--B--\r\n").encode()


def receipt(original_id: str) -> bytes:
    return (
        "From: Anna <anna@hanse.de>\r\nTo: info@tradeport.test\r\nSubject: Read: Price list 2027\r\n"
        "Date: Fri, 27 Nov 2026 11:00:00 +0100\r\nMessage-ID: <mdn-1@hanse.de>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain\r\n\r\nYour message was displayed.\r\n"
        "--R\r\nContent-Type: message/disposition-notification\r\n\r\n"
        f"Reporting-UA: mail.hanse.de\r\nFinal-Recipient: rfc822; anna@hanse.de\r\nOriginal-Message-ID: {original_id}\r\n"
        "Disposition: manual-action/MDN-sent-manually; displayed\r\n--R--\r\n").encode()


def test_a_bounce_is_linked_to_the_sent_mail_and_flags_the_address(sendable, smtp_sink):  # noqa: F811
    """SEND-17, SEND-14: a DSN names the sent mail; it is linked and filed with the customer, stays out of the
    undistributed queue, the outbox shows the failing address with the server's words, and the customer's
    page flags the address."""
    world = sendable
    client = lily_client(world)
    outgoing = sent_mail(world, client)
    report = message_ingest(mailbox=world["mailbox"], raw=bounce(outgoing.message_id, "anna@hanse.de")).mail
    report.refresh_from_db()
    assert report.kind == "dsn"
    assert report.report_for == outgoing.mail
    assert report.customer == world["customer"]
    assert report not in queues.mails("undistributed", None)
    outgoing.refresh_from_db()
    assert outgoing.bounces == {"anna@hanse.de": "5.1.1 550 5.1.1 User unknown"}
    assert BouncedAddress.objects.get().address == "anna@hanse.de"
    outbox = client.get(reverse("mail:outbox")).content.decode()
    assert "anna@hanse.de (5.1.1 550 5.1.1 User unknown)" in outbox
    pane = client.get(reverse("mail:mail_read", args=[outgoing.mail.pk])).content.decode()
    assert 'data-report="dsn"' in pane
    manager = Client()
    sign_in(manager, Account.objects.get(username="lily"))
    detail = manager.get(reverse("customers:customer_detail", args=[world["customer"].pk])).content.decode()
    assert 'id="bounced-addresses"' in detail
    assert "anna@hanse.de" in detail[detail.index('id="bounced-addresses"'):]


def test_a_delayed_notice_does_not_flag_the_address(sendable, smtp_sink):  # noqa: F811
    """SEND-17: a temporary failure (4.x.x) is shown on the sent mail but does not flag the address."""
    world = sendable
    outgoing = sent_mail(world, lily_client(world))
    message_ingest(mailbox=world["mailbox"], raw=bounce(outgoing.message_id, "anna@hanse.de", status="4.4.1"))
    outgoing.refresh_from_db()
    assert outgoing.bounces["anna@hanse.de"].startswith("4.4.1")
    assert not BouncedAddress.objects.exists()


def test_a_read_receipt_marks_the_sent_mail_read(sendable, smtp_sink):  # noqa: F811
    """SEND-07: the requested receipt (Disposition-Notification-To) comes back as an MDN; the sent mail shows
    it was read, and the receipt does not wait in any queue."""
    world = sendable
    client = lily_client(world)
    outgoing = sent_mail(world, client, read_receipt=True)
    assert b"Disposition-Notification-To: info@tradeport.test" in smtp_sink.messages[0].data
    report = message_ingest(mailbox=world["mailbox"], raw=receipt(outgoing.message_id)).mail
    outgoing.refresh_from_db()
    assert outgoing.read_at is not None
    assert Mail.objects.get(pk=report.pk).report_for == outgoing.mail
    assert not report.deliveries.exists()
    assert "Read receipt: read at" in client.get(reverse("mail:outbox")).content.decode()


def test_a_report_about_unknown_mail_stays_for_triage(sendable):  # noqa: F811
    """SEND-17: a bounce that names no mail Tradeport sent is left to triage like any other mail."""
    world = sendable
    report = message_ingest(mailbox=world["mailbox"], raw=bounce("<elsewhere@other.example>", "x@other.example")).mail
    report.refresh_from_db()
    assert report.report_for is None
    assert report in queues.mails("undistributed", None)
