"""Replying to and forwarding mail through a real SMTP server on loopback (READ-02..05, SEND-01, SEND-14,
SEND-16, SEND-17): what the customer's server receives, and what Tradeport files."""

import email
import email.policy

import pytest
from django.test import Client
from django.urls import reverse

from conftest import sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.models import Account
from tradeport.mail import sending
from tradeport.mail.models import Mail, OutgoingMail
from tradeport.mail.services import message_ingest

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
