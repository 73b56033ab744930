"""What happens to mail waiting for approval when the reviewer set-up changes, and how approved mail is
dated (SEND-10..12)."""

import datetime
import email
import email.policy

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import days_from_today, make_account, sign_in
from mailflow.test_sending import lily_client, sendable  # noqa: F401
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail import sending
from tradeport.mail.models import OutgoingMail, ReviewerAssignment

pytestmark = pytest.mark.django_db


def awaiting_mail(world, reviewer) -> OutgoingMail:
    lily = Account.objects.get(username="lily")
    ReviewerAssignment.objects.update_or_create(account=lily, defaults={"reviewer": reviewer})
    client = lily_client(world)
    response = client.post(reverse("mail:compose"), {
        "kind": "new", "mailbox": world["mailbox"].pk, "to": "anna@hanse.de", "subject": "Offer", "body": "Hi",
        "send": "1"})
    assert response.status_code == 302
    outgoing = OutgoingMail.objects.latest("id")
    assert outgoing.state == OutgoingMail.State.AWAITING
    return outgoing


def admin_client() -> Client:
    client = Client()
    sign_in(client, make_account("setup", template=MANAGER_TEMPLATE))
    return client


def test_a_new_reviewer_takes_over_what_waits(sendable):  # noqa: F811
    """SEND-12: changing the reviewer moves the waiting mail to the new one; the old one can no longer approve."""
    old, new = make_account("old", template=MANAGER_TEMPLATE), make_account("new", template=MANAGER_TEMPLATE)
    outgoing = awaiting_mail(sendable, old)
    lily = Account.objects.get(username="lily")
    response = admin_client().post(reverse("mail:reviewer_modify", args=[lily.pk]), {"reviewer": "new"})
    assert response.status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.reviewer == new
    assert not sending.approve(outgoing, reviewer=old)
    assert sending.approve(outgoing, reviewer=new)


def test_clearing_the_reviewer_returns_waiting_mail_to_the_drafts(sendable):  # noqa: F811
    """SEND-12: an empty reviewer means no approval; what was waiting goes back to the drafts with a note,
    not out by itself; sent again, it leaves without approval and the note is gone."""
    outgoing = awaiting_mail(sendable, make_account("old", template=MANAGER_TEMPLATE))
    lily = Account.objects.get(username="lily")
    admin_client().post(reverse("mail:reviewer_modify", args=[lily.pk]), {"reviewer": ""})
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.DRAFT
    assert "no longer needed" in outgoing.review_comment
    client = lily_client(sendable)
    response = client.post(reverse("mail:compose"), {
        "draft": outgoing.pk, "mailbox": sendable["mailbox"].pk, "to": "anna@hanse.de", "subject": "Offer",
        "body": "Hi", "send": "1"})
    assert response.status_code == 302
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED
    assert outgoing.review_comment == ""


def test_approved_mail_is_dated_when_it_leaves(sendable, smtp_sink, monkeypatch):  # noqa: F811
    """SEND-11: the message is built again on approval, so its Date is the approval's, not the submission's
    two days before; the Message-ID stays."""
    boss = make_account("boss", template=MANAGER_TEMPLATE)
    real_now = timezone.now
    with monkeypatch.context() as patch:
        patch.setattr(timezone, "now", lambda: real_now() - datetime.timedelta(days=2))
        outgoing = awaiting_mail(sendable, boss)
    with open(default_storage.path(outgoing.raw_path), "rb") as handle:
        submitted = email.message_from_bytes(handle.read(), policy=email.policy.default)
    assert (real_now() - submitted["Date"].datetime).days >= 1
    assert sending.approve(outgoing, reviewer=boss)
    assert sending.deliver(outgoing.pk) == "sent"
    message = email.message_from_bytes(smtp_sink.messages[0].data, policy=email.policy.default)
    assert message["Message-ID"] == outgoing.message_id
    assert abs((message["Date"].datetime - real_now()).total_seconds()) < 60


def test_the_administrator_is_not_a_reviewer(sendable, admin_account):  # noqa: F811
    """SEND-12: the built-in administrator works in the console and never sees the approval list."""
    lily = Account.objects.get(username="lily")
    response = admin_client().post(reverse("mail:reviewer_modify", args=[lily.pk]), {"reviewer": "admin"})
    assert response.status_code == 200
    assert response.context["form"].errors["reviewer"]
    assert not ReviewerAssignment.objects.exists()


def test_reply_extras_go_onto_the_sent_mail(sendable, smtp_sink):  # noqa: F811
    """SEND-09: a reply's contact purpose, next contact date and remarks are stored on the sent mail's
    follow-up record."""
    from mailflow.conftest import raw_mail
    from tradeport.codes.models import CodeGroup, CodeItem
    from tradeport.mail.services import message_ingest

    group = CodeGroup.objects.create(key="contact_purpose", name_zh="联系目的", name_en="Contact purpose")
    quotation = CodeItem.objects.create(group=group, code="QUO", name_zh="报价", name_en="Quotation")
    original = message_ingest(mailbox=sendable["mailbox"], raw=raw_mail("anna@hanse.de", message_id="<x1@hanse.de>")).mail
    client = lily_client(sendable)
    next_contact = days_from_today(7)
    response = client.post(reverse("mail:compose"), {
        "kind": "reply", "source": original.pk, "mailbox": sendable["mailbox"].pk, "to": "anna@hanse.de",
        "subject": "Re: Inquiry", "body": "Quote attached.", "purpose": quotation.pk, "next_contact": next_contact,
        "remarks": "Call if no answer by Friday.", "send": "1"})
    assert response.status_code == 302
    outgoing = OutgoingMail.objects.latest("id")
    assert sending.deliver(outgoing.pk) == "sent"
    outgoing.refresh_from_db()
    sent = outgoing.mail
    assert sent.purpose == quotation
    assert str(sent.next_contact) == next_contact
    assert sent.remarks == "Call if no answer by Friday."
