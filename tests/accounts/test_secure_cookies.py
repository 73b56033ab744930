"""Cookies and transport headers follow how the request arrived (ACC-01, SYS-07): a login over HTTPS
gets Secure cookies and HSTS without any setting; plain HTTP keeps working on an intranet."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import make_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def lily(db):
    return make_account("lily", template="employee", employee_name="李丽")


def log_in(client: Client, **extra):
    response = client.post(reverse("accounts:login"), {"username": "lily", "password": "Sesame-2026"}, **extra)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_a_login_over_https_sets_secure_cookies_and_hsts(lily):
    """ACC-01: every cookie of the answer is Secure; Strict-Transport-Security is sent."""
    client = Client()
    client.get(reverse("accounts:login"), secure=True)
    response = log_in(client, secure=True)
    assert response.cookies["sessionid"]["secure"] is True
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    page = client.get(reverse("accounts:login"), secure=True)
    assert all(morsel["secure"] is True for morsel in page.cookies.values())


def test_a_login_over_plain_http_keeps_cookies_usable(lily):
    """ACC-01: an intranet without TLS still logs in; no HSTS over HTTP."""
    response = log_in(Client())
    assert not response.cookies["sessionid"]["secure"]
    assert "Strict-Transport-Security" not in response


def test_a_declared_proxy_that_says_https_counts_as_https(lily, settings):
    """SYS-07: behind TRADEPORT_PROXY_COUNT proxies, X-Forwarded-Proto: https makes the cookies Secure."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = log_in(Client(), headers={"X-Forwarded-Proto": "https"})
    assert response.cookies["sessionid"]["secure"] is True


def test_without_a_declared_proxy_the_forwarded_header_is_ignored(lily, settings):
    """SYS-07: any client can send X-Forwarded-Proto; without a declared proxy it changes nothing."""
    assert settings.SECURE_PROXY_SSL_HEADER is None
    response = log_in(Client(), headers={"X-Forwarded-Proto": "https"})
    assert not response.cookies["sessionid"]["secure"]
