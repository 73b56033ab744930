"""Every `next` a form posts is followed only within the site (GEN-01, OWN-06, MBOX-03, ADM-13, OWN-01,
ACC-01): a crafted form must not send the user on to another host."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account, sign_in
from tradeport.mail.models import Mailbox

pytestmark = pytest.mark.django_db

ELSEWHERE = ("https://evil.example/x", "//evil.example/x", "https:evil.example", "/\\evil.example")


@pytest.fixture
def admin_client(db):
    admin = make_account("admin", is_superuser=True, is_staff=True, employee_name="系统管理员")
    return sign_in(Client(), admin)


@pytest.fixture
def mailbox(db):
    # protocol "none": the test and the fetch end at once, without a server
    return Mailbox.objects.create(address="info@tradeport.test", protocol="none")


def posts(mailbox) -> dict[str, tuple[str, dict]]:
    return {
        "customer bulk assignment": (reverse("customers:customer_bulk_assign"), {}),
        "ownership mode": (reverse("customers:ownership_mode"), {"mode": "strict"}),
        "mailbox test": (reverse("mail:mailbox_test", args=[mailbox.pk]), {}),
        "mailbox receive": (reverse("mail:mailbox_receive", args=[mailbox.pk]), {}),
    }


@pytest.mark.parametrize("target", ELSEWHERE)
@pytest.mark.parametrize("name", ["customer bulk assignment", "ownership mode", "mailbox test", "mailbox receive"])
def test_next_to_another_host_is_not_followed(admin_client, mailbox, name, target):
    """GEN-01, OWN-06, OWN-01, MBOX-03, ADM-13: the answer redirects within the site."""
    url, data = posts(mailbox)[name]
    response = admin_client.post(url, {**data, "next": target})
    assert response.status_code == 302, (name, response.status_code)
    assert response["Location"].startswith("/"), response["Location"]
    assert not response["Location"].startswith(("//", "/\\")), response["Location"]
    assert "evil.example" not in response["Location"]


def test_next_within_the_site_is_still_followed(admin_client, mailbox):
    """MBOX-03: the mailbox list's [Test] returns to the page it came from."""
    response = admin_client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), {"next": "/mail/mailboxes/?page=2"})
    assert response["Location"] == "/mail/mailboxes/?page=2"


def test_login_does_not_follow_next_to_another_host(db):
    """ACC-01: after logging in, a `next` of another host lands on the user's own start page."""
    make_account("lily", template="employee", employee_name="李丽")
    response = Client().post(reverse("accounts:login") + "?next=https://evil.example/x",
                             {"username": "lily", "password": "Sesame-2026"})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
