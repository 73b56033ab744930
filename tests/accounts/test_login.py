import pytest
from django.test import override_settings
from django.urls import reverse

from tradeport.accounts.models import Account, OnlineSession
from tradeport.audit.models import SystemLogEntry

pytestmark = pytest.mark.django_db


def login(client, username, password, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def test_admin_first_login_forces_a_password_change(client, presets):
    """ACC-01, ACC-02: admin/admin logs in, lands in the console, and must change the password first."""
    response = login(client, "admin", "admin")
    assert response.status_code == 302
    assert response["Location"] == reverse("console:home")
    response = client.get(reverse("console:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "admin", "new_password1": "Harbour-Lights-42", "new_password2": "Harbour-Lights-42",
    })
    assert response.status_code == 302
    assert client.get(reverse("console:home")).status_code == 200
    admin = Account.objects.get(username="admin")
    assert not admin.must_change_password
    assert admin.check_password("Harbour-Lights-42")


@pytest.mark.parametrize("username", ["manager", "sales1", "sales5"])
def test_preset_accounts_start_with_their_name_as_password(client, presets, username):
    """ACC-06: manager and sales1..sales5 log in with their own name and must change it."""
    response = login(client, username, username)
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench")
    assert Account.objects.get(username=username).must_change_password


def test_wrong_password_is_refused_and_logged(client, presets):
    """ACC-02, ADM-08: a failed login shows a clear message and is written to the system log."""
    response = login(client, "manager", "guess", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="TestBrowser/1",
                     HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Wrong username or password." in response.content.decode()
    entry = SystemLogEntry.objects.get(event=SystemLogEntry.Event.FAILED)
    assert (entry.username, entry.ip_address, entry.user_agent) == ("manager", "10.1.2.3", "TestBrowser/1")


@override_settings(TRADEPORT_SEATS=1)
def test_seat_limit_refuses_the_next_login_but_not_admin(client, presets):
    """ACC-03, ACC-04: with one seat taken, the next login is refused; admin never takes a seat."""
    from django.test import Client

    assert login(Client(), "sales1", "sales1").status_code == 302
    second = login(Client(HTTP_ACCEPT_LANGUAGE="en"), "sales2", "sales2")
    assert second.status_code == 403
    assert "The maximum number of concurrent online users (1) has been reached." in second.content.decode()
    assert login(Client(), "admin", "admin").status_code == 302
    assert SystemLogEntry.objects.filter(event=SystemLogEntry.Event.REFUSED, username="sales2").exists()
    assert OnlineSession.objects.filter(takes_seat=True).count() == 1
