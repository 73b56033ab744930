"""Holes a review found in sending, approval, mass mail and follow-up, each closed and kept closed
(SEND-10, SEND-11, SEND-15, SEND-02, MASS-03, MASS-05, MASS-07, FUP-18, VIEW-06, PERM-13)."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.test_sending import lily_client, sendable  # noqa: F401
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail import mass, sending
from tradeport.mail.models import (
    MassMailing,
    MassRecipient,
    OptOut,
    OutgoingMail,
    ReviewerAssignment,
)

pytestmark = pytest.mark.django_db


def send_form(world, **fields) -> dict:
    return {"kind": "new", "mailbox": world["mailbox"].pk, "to": "anna@hanse.de", "subject": "Offer",
            "body": "Hello", "send": "1", **fields}


def test_a_second_click_on_send_sends_nothing_more(sendable, smtp_sink):  # noqa: F811
    """SEND-15: the compose form carries its key; the same form posted twice makes one outbox row."""
    client = lily_client(sendable)
    page = client.get(reverse("mail:compose"))
    key = page.context["compose_key"]
    assert f'name="compose_key" value="{key}"' in page.content.decode()
    first = client.post(reverse("mail:compose"), send_form(sendable, compose_key=key))
    second = client.post(reverse("mail:compose"), send_form(sendable, compose_key=key), follow=True)
    assert first.status_code == 302
    assert "already sent from this form" in second.content.decode()
    assert OutgoingMail.objects.count() == 1


def test_a_reviewer_cannot_approve_a_mail_changed_since_it_was_read(sendable, smtp_sink):  # noqa: F811
    """SEND-10, SEND-11: the author takes the mail back and changes it; the reviewer's old page approves
    nothing; read again, it can be approved."""
    boss = make_account("boss", template=MANAGER_TEMPLATE)
    ReviewerAssignment.objects.create(account=Account.objects.get(username="lily"), reviewer=boss)
    author = lily_client(sendable)
    author.post(reverse("mail:compose"), send_form(sendable, body="harmless"))
    outgoing = OutgoingMail.objects.get()
    reviewer = Client()
    sign_in(reviewer, boss)
    seen = reviewer.get(reverse("mail:approval_list")).content.decode()
    version = outgoing.updated_at.isoformat()
    assert version in seen
    assert sending.cancel(outgoing)
    author.post(reverse("mail:compose"), send_form(sendable, draft=outgoing.pk, body="changed after reading"))
    reviewer.post(reverse("mail:approval_action", args=[outgoing.pk, "approve"]), {"version": version})
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.AWAITING
    reviewer.post(reverse("mail:approval_action", args=[outgoing.pk, "approve"]),
                  {"version": outgoing.updated_at.isoformat()})
    outgoing.refresh_from_db()
    assert outgoing.state == OutgoingMail.State.QUEUED


def test_an_internationalised_domain_is_sent_in_its_ascii_form(sendable, smtp_sink):  # noqa: F811
    """SEND-02: an address typed with a Chinese or German domain is stored and sent in IDNA form."""
    client = lily_client(sendable)
    client.post(reverse("mail:compose"), send_form(sendable, to="Einkauf@Bücher.de"))
    outgoing = OutgoingMail.objects.get()
    assert outgoing.to == ["einkauf@xn--bcher-kva.de"]
    assert sending.deliver(outgoing.pk) == "sent"
    assert smtp_sink.messages[0].recipients == ["einkauf@xn--bcher-kva.de"]


def test_an_address_that_opts_out_after_being_added_is_skipped(sendable, smtp_sink):  # noqa: F811
    """MASS-05: opt-outs are checked again when the batch is sent, not only when recipients are added."""
    boss = make_account("boss", template=MANAGER_TEMPLATE)
    mailing = MassMailing.objects.create(author=boss, mailbox=sendable["mailbox"], subject="News", body="Hi")
    mass.add_recipients(mailing, [mass.Entry("a@buyers.example"), mass.Entry("b@buyers.example")])
    OptOut.objects.create(address="b@buyers.example")
    mass.submit(mailing)
    assert mass.run(mailing.pk, sleep=lambda seconds: None) == "done"
    assert [m.recipients for m in smtp_sink.messages] == [["a@buyers.example"]]
    assert MassRecipient.objects.get(address="b@buyers.example").state == MassRecipient.State.SKIPPED
    mailing.refresh_from_db()
    assert (mailing.sent, mailing.skipped) == (1, 1)


def test_a_mailing_shows_only_customers_the_author_may_see(sendable):  # noqa: F811
    """MASS-03, PERM-13: typing an address does not reveal whose customer it is."""
    secret = Customer.objects.create(code="C0999", name="Secret GmbH", region=sendable["customer"].region,
                                     main_email="ceo@secret.example")
    EmailAddress.objects.create(address="ceo@secret.example", domain="secret.example", customer=secret, role="main")
    lily = Account.objects.get(username="lily")
    from django.contrib.auth.models import Permission

    lily.user_permissions.add(Permission.objects.get(codename="fn_mass_mail"))
    mailing = MassMailing.objects.create(author=lily, mailbox=sendable["mailbox"], subject="News", body="Hi")
    mass.add_recipients(mailing, [mass.Entry("ceo@secret.example")])
    page = lily_client(sendable).get(reverse("mail:mass_detail", args=[mailing.pk])).content.decode()
    assert "ceo@secret.example" in page
    assert "Secret GmbH" not in page


def test_reminders_of_a_customer_moved_away_leave_the_old_owners_list(sendable):  # noqa: F811
    """FUP-18, PERM-13: a reminder for a customer the salesperson no longer owns is not listed."""
    from django.utils import timezone

    from tradeport.customers.models import Ownership
    from tradeport.followup import reminders

    reminders.schedule(sendable["customer"], sendable["lily"], timezone.localdate(), source="mail")
    assert len(reminders.due_list(sendable["lily"])) == 1
    Ownership.objects.filter(employee=sendable["lily"]).delete()
    assert list(reminders.due_list(sendable["lily"])) == []


def test_bad_paging_and_folder_values_are_not_server_errors(sendable):  # noqa: F811
    """VIEW-06, FUP-17: a malformed "older than" or folder id answers like a page or a 404, not a 500."""
    client = lily_client(sendable)
    url = reverse("followup:customer_record", args=[sendable["customer"].pk])
    for before in ("2030-01-01", "2030-02-30T10:00", "nonsense"):
        assert client.get(url, {"before": before}).status_code == 200
    folders = reverse("followup:customer_folders", args=[sendable["customer"].pk, "rename"])
    assert client.post(folders, {"folder": "abc", "name": "x"}).status_code == 404
    assert client.get(reverse("mail:compose"), {"draft": "²"}).status_code == 200
