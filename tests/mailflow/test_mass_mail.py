"""Mass mail through the loopback SMTP server (MASS-01..07): recipients from customers and from a file,
one message each that shows no other address, personalisation, throttle, pause, opt-outs, and filing."""

import email
import email.policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.mail import mass
from tradeport.mail.models import Mail, MassMailing, MassRecipient, OptOut

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(sendable):
    """A manager (mass mail is a manager's function by default) who sees every customer."""
    account = make_account("boss", template=MANAGER_TEMPLATE)
    client = Client()
    sign_in(client, account)
    return account, client


def new_mailing(client, world, **fields) -> MassMailing:
    data = {"mailbox": world["mailbox"].pk, "subject": "New catalogue for {company}",
            "body": "Dear {name},\n\nour 2027 catalogue is attached.", **fields}
    response = client.post(reverse("mail:mass_create"), data)
    assert response.status_code == 302, response.context["form"].errors
    return MassMailing.objects.latest("id")


def test_each_recipient_gets_an_own_personalised_message(sendable, smtp_sink, boss):
    """MASS-01, MASS-02, MASS-03, MASS-04, MASS-05, MASS-06: customers chosen by filter plus a file of
    addresses; every recipient receives exactly one message addressed to them alone, personalised; the
    customer's copy is filed in their history; the progress page counts it all."""
    world = sendable
    _account, client = boss
    mailing = new_mailing(client, world)
    detail = reverse("mail:mass_detail", args=[mailing.pk])
    found = client.get(detail, {"filter": "1"})
    assert found.context["matching"] == 1
    client.post(reverse("mail:mass_recipients", args=[mailing.pk, "customers"]) + "?filter=1",
                {"contacts": "on"})
    OptOut.objects.create(address="stop@buyers.example")
    upload = SimpleUploadedFile("list.txt", b"a@buyers.example; b@buyers.example\nstop@buyers.example\n"
                                b"A@Buyers.example, not-an-address\n")
    response = client.post(reverse("mail:mass_recipients", args=[mailing.pk, "upload"]), {"file": upload},
                           follow=True)
    page = response.content.decode()
    assert "2 recipients added." in page
    assert "1 opted out" in page
    assert "not-an-address" in page
    addresses = set(mailing.recipients.values_list("address", flat=True))
    assert addresses == {"info@hanse.de", "anna@hanse.de", "a@buyers.example", "b@buyers.example"}
    client.post(reverse("mail:mass_action", args=[mailing.pk, "submit"]))
    mailing.refresh_from_db()
    assert mailing.state == MassMailing.State.SENDING
    assert mass.run(mailing.pk, sleep=lambda seconds: None) == "done"

    assert len(smtp_sink.messages) == 4
    for received in smtp_sink.messages:
        assert len(received.recipients) == 1
        message = email.message_from_bytes(received.data, policy=email.policy.default)
        shown = {a.addr_spec for a in message["To"].addresses}
        assert shown == set(received.recipients)
        assert "Cc" not in message
        assert message["List-Unsubscribe"] == "<mailto:info@tradeport.test?subject=unsubscribe>"
        for other in addresses - set(received.recipients):
            assert other.encode() not in received.data
    anna = next(m for m in smtp_sink.messages if m.recipients == ["anna@hanse.de"])
    message = email.message_from_bytes(anna.data, policy=email.policy.default)
    assert message["Subject"] == "New catalogue for Hanse Trade"
    assert message.get_body(("plain",)).get_content().startswith("Dear Anna,")
    mailing.refresh_from_db()
    assert (mailing.state, mailing.sent, mailing.failed, mailing.total) == ("done", 4, 0, 4)
    filed = Mail.objects.filter(customer=world["customer"], direction=Mail.Direction.OUT)
    assert sorted(m.to[0] for m in filed) == ["anna@hanse.de", "info@hanse.de"]
    assert "mass mailing" in filed.first().reason
    progress = client.get(detail).content.decode()
    assert 'data-sent="4"' in progress


def test_a_refused_recipient_fails_alone_and_can_be_retried(sendable, smtp_sink, boss):
    """MASS-05: one recipient refused (550) is failed with the server's words; the others are sent; [Retry the
    failed ones] sends it again once the server accepts."""
    world = sendable
    _account, client = boss
    mailing = new_mailing(client, world, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry("x@buyers.example"), mass.Entry("gone@buyers.example"),
                                  mass.Entry("y@buyers.example")])
    smtp_sink.refuse_recipients["gone@buyers.example"] = "550 5.1.1 No such user"
    mass.submit(mailing)
    mass.run(mailing.pk, sleep=lambda seconds: None)
    gone = MassRecipient.objects.get(address="gone@buyers.example")
    assert gone.state == MassRecipient.State.FAILED
    assert "550 5.1.1 No such user" in gone.error
    assert len(smtp_sink.messages) == 2
    smtp_sink.refuse_recipients.clear()
    client.post(reverse("mail:mass_action", args=[mailing.pk, "retry-failed"]))
    mass.run(mailing.pk, sleep=lambda seconds: None)
    mailing.refresh_from_db()
    assert (mailing.sent, mailing.failed) == (3, 0)
    assert len(smtp_sink.messages) == 3


def test_the_throttle_and_pause(sendable, smtp_sink, boss, settings):
    """MASS-05: at 60 per minute a batch of 60 waits about a minute before the next one; pausing between
    batches stops the mailing with the rest waiting, and resuming finishes it."""
    from tradeport.system.models import SystemOption

    SystemOption.objects.create(key="mass_mail_per_minute", value=60)
    world = sendable
    _account, client = boss
    mailing = new_mailing(client, world, subject="Offer", body="Hello")
    mass.add_recipients(mailing, [mass.Entry(f"r{n}@buyers.example") for n in range(120)])
    mass.submit(mailing)
    waits = []

    def pause_after_first_batch(seconds):
        waits.append(seconds)
        mass.pause(MassMailing.objects.get(pk=mailing.pk))

    assert mass.run(mailing.pk, sleep=pause_after_first_batch) == "paused"
    assert len(waits) == 1
    assert 55 < waits[0] <= 60
    assert len(smtp_sink.messages) == 60
    assert mailing.recipients.filter(state=MassRecipient.State.PENDING).count() == 60
    assert mass.resume(MassMailing.objects.get(pk=mailing.pk))
    assert mass.run(mailing.pk, sleep=lambda seconds: None) == "done"
    assert len(smtp_sink.messages) == 120
    assert len({m.recipients[0] for m in smtp_sink.messages}) == 120
