"""A success message is shown once (GEN-03): after sending a mail (outbox), after acting in the reading view,
as a whole page and as the pane htmx swaps in, and after approving a mail."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from mailflow.test_sending import compose_data, lily_client, sendable  # noqa: F401
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail.models import OutgoingMail, ReviewerAssignment
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def test_the_sent_message_shows_once_in_the_outbox(sendable):  # noqa: F811
    """SEND-01, GEN-03: [Send] leads to the outbox, which says once that the mail leaves in a moment."""
    response = lily_client(sendable).post(reverse("mail:compose"), compose_data(sendable), follow=True,
                                          HTTP_ACCEPT_LANGUAGE="en")
    assert response.redirect_chain[-1][0] == reverse("mail:outbox")
    assert response.content.decode().count("Your mail is in the outbox and leaves in a moment.") == 1


def test_an_action_in_the_reading_view_is_confirmed_once(world):
    """READ-01, READ-12, GEN-03: the reading view opened as a page and the pane swapped in by htmx each show
    the action's message once."""
    lily = lily_client(world)
    first = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de", message_id="<o1@hanse.de>")).mail
    second = message_ingest(mailbox=world["mailbox"], raw=raw_mail("info@hanse.de", message_id="<o2@hanse.de>")).mail
    data = {"followed_up": "on"}

    page = lily.post(reverse("mail:mail_action", args=[first.pk, "followup"]), data, follow=True,
                     HTTP_ACCEPT_LANGUAGE="en")
    assert page.redirect_chain[-1][0] == reverse("mail:mail_read", args=[first.pk])
    assert page.content.decode().count("Marked followed up.") == 1

    pane = lily.post(reverse("mail:mail_action", args=[second.pk, "followup"]), data, HTTP_HX_REQUEST="true",
                     HTTP_ACCEPT_LANGUAGE="en")
    assert pane.status_code == 200
    assert pane.content.decode().count("Marked followed up.") == 1


def test_the_approval_message_shows_once(sendable):  # noqa: F811
    """SEND-11, GEN-03: approving a mail returns to the list, which says so once."""
    boss = make_account("boss", template=MANAGER_TEMPLATE)
    ReviewerAssignment.objects.create(account=Account.objects.get(username="lily"), reviewer=boss)
    lily_client(sendable).post(reverse("mail:compose"), compose_data(sendable))
    outgoing = OutgoingMail.objects.get(state=OutgoingMail.State.AWAITING)
    client = Client()
    sign_in(client, boss)
    response = client.post(reverse("mail:approval_action", args=[outgoing.pk, "approve"]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.content.decode().count("Approved: “Offer” leaves now or at its time.") == 1
