"""System mail management (SYS-03): every mail with its route and the reason, in the reader's language."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from conftest import make_account, sign_in
from mailflow.conftest import raw_mail
from matrix import check_matrix
from tradeport.accounts.functions import MANAGER_TEMPLATE
from tradeport.mail import views
from tradeport.mail.models import Mail
from tradeport.mail.services import ingest_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(world):
    return make_account("boss", template=MANAGER_TEMPLATE, employee_name="经理")


def client_for(account, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    sign_in(client, account)
    return client


def test_known_and_unknown_senders_are_listed_with_their_route_and_reason(world, boss):
    """SYS-03, MAIL-01, MAIL-15: the list shows who received a customer's mail and why; a stranger's is undistributed."""
    ingest_batch(mailbox=world["mailbox"], messages=[
        raw_mail("sales@hanse.de", subject="Order 7", message_id="<o7@hanse.de>"),
        raw_mail("someone@nowhere.example", subject="Hello", message_id="<h1@nowhere.example>"),
    ])
    page = client_for(boss).get(reverse("mail:system_mail")).content.decode()
    assert "backup email of C0012 Hanse Trade → owners 李丽, Tom" in page
    assert "unknown sender someone@nowhere.example → undistributed" in page
    known = Mail.objects.get(message_id="<o7@hanse.de>")
    assert f'data-mail="{known.pk}" data-route="customer"' in page


def test_the_reason_follows_the_readers_language(world, boss):
    """SYS-03, MAIL-15, GEN-05: a reason written at intake in English reads in Chinese for a Chinese reader."""
    with translation.override("en"):
        ingest_batch(mailbox=world["mailbox"], messages=[raw_mail("anna@hanse.de", message_id="<a@hanse.de>")])
    mail = Mail.objects.get()
    assert mail.route_reason.startswith("contact email of C0012")
    chinese = client_for(boss, "zh-hans").get(reverse("mail:system_mail")).content.decode()
    with translation.override("zh-hans"):
        expected = mail.reason
    assert expected != mail.route_reason
    assert expected in chinese


def test_filters_narrow_the_list(world, boss):
    """SYS-03: filters by route, direction and text."""
    ingest_batch(mailbox=world["mailbox"], messages=[
        raw_mail("info@hanse.de", subject="Price list", message_id="<p@hanse.de>"),
        raw_mail("x@nowhere.example", subject="Spam offer", message_id="<s@nowhere.example>"),
        raw_mail("info@tradeport.test", to="info@hanse.de", subject="Our quote", message_id="<q@tradeport.test>"),
    ])
    client = client_for(boss)
    url = reverse("mail:system_mail")
    undistributed = client.get(url, {"route": "undistributed"}).content.decode()
    assert "Spam offer" in undistributed
    assert "Price list" not in undistributed
    sent = client.get(url, {"direction": "out"}).content.decode()
    assert "Our quote" in sent
    assert "Price list" not in sent
    found = client.get(url, {"q": "price"}).content.decode()
    assert "Price list" in found
    assert "Spam offer" not in found


def test_pages_go_by_id_without_losing_or_repeating_a_mail(world, boss, monkeypatch):
    """SYS-03: keyset pages: following Older links visits every mail once."""
    monkeypatch.setattr(views, "SYSTEM_MAIL_PAGE", 3)
    ingest_batch(mailbox=world["mailbox"], messages=[
        raw_mail("x@nowhere.example", subject=f"Mail {n}", message_id=f"<n{n}@nowhere.example>") for n in range(8)])
    client = client_for(boss)
    seen, params = [], {}
    for _ in range(5):
        response = client.get(reverse("mail:system_mail"), params)
        seen += [m.pk for m in response.context["mails"]]
        if response.context["older"] is None:
            break
        params = {"before": response.context["older"]}
    assert seen == sorted(Mail.objects.values_list("pk", flat=True), reverse=True)


def test_a_salesperson_without_the_function_is_refused(roles):
    """SYS-03, PERM-08, GEN-01: the page joins the permission matrix."""
    check_matrix(reverse("mail:system_mail"), users=roles, anonymous=302, outsider=403, salesperson=403,
                 manager=200, admin=200)
