import pytest
from django.urls import reverse

from mailflow.conftest import raw_mail
from matrix import check_matrix
from tradeport.mail.models import AddressRule, BlockedAddress, Mail
from tradeport.mail.services import message_ingest

pytestmark = pytest.mark.django_db


def test_blocked_and_rule_pages_are_for_mail_administrators(roles):
    """SYS-05, SYS-06, PERM-08: the screens need the system mail management permission."""
    for url in (reverse("mail:blocked_list"), reverse("mail:rule_list")):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=200)


def test_blocking_an_address_refuses_its_mail(client, manager, signed_in, world):
    """SYS-05, MAIL-13, MBOX-09: a blocked address (normalised) is refused at intake and counted."""
    signed_in(client, manager)
    response = client.post(reverse("mail:blocked_list"), {"address": " Spam@Junk.Example ", "reason": "spam"})
    assert response.status_code == 302
    assert BlockedAddress.objects.get().address == "spam@junk.example"
    assert message_ingest(mailbox=world["mailbox"], raw=raw_mail("spam@junk.example")).outcome == "blocked"
    html = client.get(reverse("mail:blocked_list")).content.decode()
    assert "spam@junk.example" in html


def test_an_invalid_address_gets_a_clear_message(client, manager, signed_in):
    """SYS-05: a blocked address that is not an address is refused with a message."""
    signed_in(client, manager)
    response = client.post(reverse("mail:blocked_list"), {"address": "not an address"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "not an address is not an email address." in response.content.decode()
    assert not BlockedAddress.objects.exists()


def test_an_address_rule_routes_future_mail(client, manager, signed_in, world):
    """SYS-06, MAIL-14: a rule added on the screen sends that stranger's mail to the salesperson."""
    signed_in(client, manager)
    client.post(reverse("mail:rule_list"), {"address": "Buyer@Unknown.example", "employee": world["tom"].pk})
    assert AddressRule.objects.get().address == "buyer@unknown.example"
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("buyer@unknown.example")).mail
    assert mail.route == Mail.Route.RULE
    client.post(reverse("mail:rule_delete", args=[AddressRule.objects.get().pk]))
    assert not AddressRule.objects.exists()
