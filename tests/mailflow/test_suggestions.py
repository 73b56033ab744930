"""Domain suggestions (MAIL-01, MAIL-02): a stranger from a customer's domain is proposed, never routed."""

import pytest
from django.urls import reverse
from django.utils import timezone

from mailflow.conftest import raw_mail
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail.models import Delivery, Mail, Mailbox
from tradeport.mail.services import message_ingest
from tradeport.system import options
from tradeport.system.models import SystemOption

pytestmark = pytest.mark.django_db

SUGGESTION = " (the domain matches C0012 Hanse Trade: a suggestion only)"


def take(world, sender: str, **headers) -> Mail:
    result = message_ingest(mailbox=world["mailbox"], raw=raw_mail(sender, **headers))
    assert result.outcome == "stored"
    return result.mail


def second_customer(world, code: str, address: str) -> Customer:
    """Another live customer whose only address is `address`."""
    customer = Customer.objects.create(code=code, name=f"Customer {code}", region=world["customer"].region,
                                       main_email=address)
    EmailAddress.objects.create(address=address, domain=address.rpartition("@")[2], customer=customer, role="main")
    return customer


def test_a_stranger_from_a_customers_domain_is_suggested_but_stays_undistributed(world):
    """MAIL-01, MAIL-02: new@hanse.de suggests C0012; the mail waits undistributed with no delivery."""
    mail = take(world, "New@Hanse.DE")
    assert (mail.route, mail.customer, mail.suggested_customer) == (Mail.Route.UNDISTRIBUTED, None, world["customer"])
    assert mail.route_reason == "unknown sender new@hanse.de → undistributed" + SUGGESTION
    assert not Delivery.objects.exists()


def test_the_oldest_live_customer_with_the_domain_is_suggested(world):
    """MAIL-01: with two customers on one domain the older one is proposed; a deleted one never is."""
    second_customer(world, "C0020", "purchasing@hanse.de")
    assert take(world, "new@hanse.de").suggested_customer == world["customer"]

    Customer.objects.filter(pk=world["customer"].pk).update(deleted_at=timezone.now())
    mail = take(world, "other@hanse.de", message_id="<m2@hanse.de>")
    assert mail.suggested_customer.code == "C0020"
    assert "C0020 Customer C0020: a suggestion only" in mail.route_reason


def test_a_deleted_customers_domain_suggests_nothing(world):
    """MAIL-01: a customer in the recycle bin is no longer proposed."""
    Customer.objects.filter(pk=world["customer"].pk).update(deleted_at=timezone.now())
    mail = take(world, "new@hanse.de")
    assert (mail.route, mail.suggested_customer) == (Mail.Route.UNDISTRIBUTED, None)
    assert mail.route_reason == "unknown sender new@hanse.de → undistributed"


def test_a_public_mail_domain_suggests_nothing(world):
    """MAIL-01: a customer writing from gmail.com does not make every gmail.com sender theirs."""
    second_customer(world, "C0030", "hanse.trade@gmail.com")
    mail = take(world, "someone.else@gmail.com")
    assert (mail.route, mail.suggested_customer) == (Mail.Route.UNDISTRIBUTED, None)
    assert "suggestion" not in mail.route_reason
    # The customer's own gmail address still matches by address, as any address does.
    assert take(world, "hanse.trade@gmail.com", message_id="<m2@gmail.com>").customer.code == "C0030"


def test_our_own_domain_suggests_nothing(world):
    """MAIL-01: a colleague at tradeport.test is not proposed as a customer, even if a record uses that domain."""
    second_customer(world, "C0040", "trade-fair@tradeport.test")
    mail = take(world, "colleague@tradeport.test")
    assert mail.direction == Mail.Direction.IN
    assert (mail.route, mail.suggested_customer) == (Mail.Route.UNDISTRIBUTED, None)


def test_known_senders_and_sent_mail_get_no_suggestion(world):
    """MAIL-01: a matched sender needs no suggestion; mail we send to a stranger is not triaged."""
    known = take(world, "anna@hanse.de")
    sent = take(world, "info@tradeport.test", to="new@hanse.de", message_id="<out@tradeport.test>")
    assert (known.customer, known.suggested_customer) == (world["customer"], None)
    assert (sent.direction, sent.suggested_customer) == (Mail.Direction.OUT, None)


def test_a_suggestion_never_changes_another_route(world):
    """MAIL-01, MBOX-06: a personal mailbox's stranger still goes to its owner only; the suggestion is kept beside it."""
    from tradeport.accounts.models import Account

    personal = Mailbox.objects.create(address="lily@tradeport.test", kind="personal", protocol="none",
                                      owner=Account.objects.get(username="lily"))
    mail = message_ingest(mailbox=personal, raw=raw_mail("new@hanse.de")).mail
    assert (mail.route, mail.customer, mail.suggested_customer) == (Mail.Route.PERSONAL, None, world["customer"])
    assert list(mail.deliveries.values_list("employee__code", flat=True)) == ["0002"]


def test_a_followed_up_import_keeps_the_suggestion_but_archives_the_mail(world):
    """MAIL-01, ADM-12: imported as already handled, a same-domain stranger is archived, not undistributed."""
    mail = message_ingest(mailbox=world["mailbox"], raw=raw_mail("new@hanse.de"), followed_up=True).mail
    assert (mail.route, mail.suggested_customer) == (Mail.Route.ARCHIVED, world["customer"])
    assert not mail.deliveries.exists()


def test_a_domain_added_on_the_options_page_stops_suggesting(world, client, admin_account, signed_in):
    """ADM-03, ADM-05, MAIL-01: the administrator adds hanse.de to the public mail domains; it no longer suggests."""
    signed_in(client, admin_account)
    url = reverse("console:option_update", args=["public_mail_domains"])
    form = client.get(url)
    assert form.status_code == 200
    assert "gmail.com" in form.context["text"].splitlines()
    response = client.post(url, {"value": form.context["text"] + "\n@Hanse.DE\n"})
    assert response.status_code == 302
    saved = options.get("public_mail_domains")
    assert saved[-1] == "hanse.de"
    assert "gmail.com" in saved
    mail = take(world, "new@hanse.de")
    assert (mail.route, mail.suggested_customer) == (Mail.Route.UNDISTRIBUTED, None)
    assert "suggestion" not in mail.route_reason


def test_removing_a_public_domain_lets_it_suggest(world, client, admin_account, signed_in):
    """ADM-03, MAIL-01: a domain taken off the list suggests its customer again."""
    second_customer(world, "C0030", "hanse.trade@gmail.com")
    signed_in(client, admin_account)
    response = client.post(reverse("console:option_update", args=["public_mail_domains"]), {"value": "qq.com 163.com"})
    assert response.status_code == 302
    assert options.get("public_mail_domains") == ["qq.com", "163.com"]
    assert take(world, "someone.else@gmail.com").suggested_customer.code == "C0030"


def test_an_invalid_domain_is_refused_and_nothing_is_saved(world, client, admin_account, signed_in):
    """ADM-03: "not a domain!" is refused with a message; the stored list and the suggestions are unchanged."""
    signed_in(client, admin_account)
    response = client.post(reverse("console:option_update", args=["public_mail_domains"]),
                           {"value": "qq.com\nnot a domain!\nhanse.de"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "is not a domain name (e.g. gmail.com)." in response.context["error"]
    assert response.context["error"] in html
    assert response.context["text"] == "qq.com\nnot a domain!\nhanse.de"
    assert not SystemOption.objects.filter(key="public_mail_domains").exists()
    assert take(world, "new@hanse.de").suggested_customer == world["customer"]
