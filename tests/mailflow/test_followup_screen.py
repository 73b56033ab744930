"""The follow-up screen through the test client: a stranger's mail is distributed with a rule, the
salesperson sees it, transfers it, and the reading pane serves a sandboxed body."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.accounts.models import Account
from tradeport.mail.models import AddressRule, Delivery, MailEvent
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def client_for(account) -> Client:
    client = Client()
    sign_in(client, account)
    return client


def test_distribute_then_transfer(world):
    """MAIL-02, MAIL-03, MAIL-04, MAIL-05, QUE-06, QUE-10, READ-01, GEN-03: the triage walk by the client."""
    boss = client_for(make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理"))
    lily = client_for(Account.objects.get(username="lily"))
    stranger = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "buyer@newtrade.example", subject="Inquiry for LED lamps", message_id="<s1@newtrade.example>")).mail
    screen = boss.get(reverse("mail:undistributed"))
    assert "Inquiry for LED lamps" in screen.content.decode()
    assert screen.context["counters"]["undistributed"] == 1
    pane = boss.get(reverse("mail:mail_read", args=[stranger.pk]))
    assert "unknown sender buyer@newtrade.example" in pane.content.decode()
    response = boss.post(reverse("mail:mail_action", args=[stranger.pk, "distribute"]),
                         {"employee": world["lily"].pk, "future_rule": "on", "note": "LED buyer"})
    assert response.status_code == 302
    assert AddressRule.objects.get(address="buyer@newtrade.example").employee == world["lily"]
    assert boss.get(reverse("mail:undistributed")).context["counters"]["undistributed"] == 0
    assert MailEvent.objects.get(mail=stranger, action="distributed").note == "LED buyer"

    queue = lily.get(reverse("mail:followup_queue", args=["unknown"]))
    assert [m.pk for m in queue.context["rows"]] == [stranger.pk]
    form = lily.get(reverse("customers:customer_create") + f"?from_mail={stranger.pk}")
    assert 'value="buyer@newtrade.example"' in form.content.decode()
    second = message_ingest(mailbox=world["mailbox"], raw=raw_mail(
        "buyer@newtrade.example", subject="Re: Inquiry", message_id="<s2@newtrade.example>")).mail
    assert second.route == "rule"
    assert lily.get(reverse("mail:followup_queue", args=["unknown"])).context["counters"]["unknown"] == 2

    body = lily.get(reverse("mail:mail_body", args=[stranger.pk]))
    assert "default-src 'none'" in body["Content-Security-Policy"]
    moved = lily.post(reverse("mail:mail_action", args=[stranger.pk, "transfer"]), {"employee": world["tom"].pk})
    assert moved.status_code == 302
    assert Delivery.objects.get(mail=stranger, employee=world["tom"]).state == "pending"
    assert Delivery.objects.get(mail=stranger, employee=world["lily"]).state == "handled"
