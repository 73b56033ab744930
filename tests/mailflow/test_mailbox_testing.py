"""[Test connection] and saving a mailbox against real servers: the private Dovecot (IMAP, POP3) and an
authenticating SMTP server on loopback. The server's words are shown as text, a failing change is named
before it is saved, and the private-network refusal names the setting to the administrator only."""

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.urls import reverse

from mailflow.test_fetch import make_mailbox
from tradeport.mail.models import Mailbox

pytestmark = pytest.mark.django_db

SMTP_USER, SMTP_PASSWORD = "sender@tradeport.test", "Smtp-Pass-7"


@pytest.fixture(autouse=True)
def trust_test_certificate(dovecot, monkeypatch):
    monkeypatch.setenv("TRADEPORT_MAIL_CA_FILE", str(dovecot.cafile))


class Accepting:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(), SMTP_PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: the server answers 235 or 535 itself


@pytest.fixture
def smtp_auth():
    """A real SMTP server on loopback that asks for AUTH (aiosmtpd), answering a wrong password with 535."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Accepting(), hostname="127.0.0.1", port=port, authenticator=_check_login,
                            auth_require_tls=False)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()


def with_smtp(mailbox: Mailbox, host: str, port: int, password: str) -> Mailbox:
    mailbox.smtp_host, mailbox.smtp_port, mailbox.smtp_security = host, port, "plain"
    mailbox.smtp_username, mailbox.smtp_password = SMTP_USER, password
    mailbox.save()
    return mailbox


def form_data(mailbox: Mailbox, **changes) -> dict:
    """The mailbox form as the browser posts it, with the stored settings and empty password fields."""
    data = {"address": mailbox.address, "protocol": mailbox.protocol, "host": mailbox.host, "port": mailbox.port,
            "security": mailbox.security, "username": mailbox.username, "smtp_host": mailbox.smtp_host,
            "smtp_port": mailbox.smtp_port or "", "smtp_security": mailbox.smtp_security,
            "smtp_username": mailbox.smtp_username, "enabled": "on"}
    data.update(changes)
    return data


@pytest.mark.parametrize("protocol", ["imap", "pop3"])
def test_a_wrong_password_is_shown_in_the_servers_words(client, manager, signed_in, dovecot, dovecot_user,
                                                         protocol):
    """MBOX-03: [Test connection] shows what Dovecot answered as text, never a Python bytes repr (b'...')."""
    mailbox = make_mailbox(dovecot, dovecot_user, protocol=protocol)
    mailbox.password = "not-the-password"
    mailbox.save()
    signed_in(client, manager)
    html = client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), follow=True,
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connection test failed (auth)" in html
    words = {"imap": "[AUTHENTICATIONFAILED] Authentication failed.", "pop3": "-ERR [AUTH] Authentication failed."}
    assert words[protocol] in html
    assert "b&#x27;" not in html


def test_smtp_is_tested_too_and_its_refusal_is_in_the_servers_words(client, manager, signed_in, dovecot,
                                                                     dovecot_user, smtp_auth):
    """MBOX-03, SEND-01: [Test connection] also logs in to the sending server; a wrong SMTP password shows the
    server's 535 answer as text, the right one says sending works."""
    mailbox = with_smtp(make_mailbox(dovecot, dovecot_user), *smtp_auth, "wrong-smtp-password")
    signed_in(client, manager)
    url = reverse("mail:mailbox_test", args=[mailbox.pk])
    html = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connection works. IMAP: INBOX: 0 messages" in html
    assert "Sending test failed (auth)" in html
    assert "535 5.7.8 Authentication credentials invalid" in html
    assert "b&#x27;" not in html
    with_smtp(mailbox, *smtp_auth, SMTP_PASSWORD)
    html = client.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Sending works. SMTP: signed in as {SMTP_USER} (235 2.7.0 Authentication successful)" in html


def test_saving_a_wrong_password_warns_first_and_keeps_what_was_typed(client, manager, signed_in, dovecot,
                                                                       dovecot_user):
    """MBOX-02, MBOX-03: a changed password is tested before it is saved. When the server refuses it, the form
    comes back with the server's words and [Save anyway]; nothing typed is lost and the old password stays."""
    mailbox = make_mailbox(dovecot, dovecot_user)
    signed_in(client, manager)
    url = reverse("mail:mailbox_update", args=[mailbox.pk])
    data = form_data(mailbox, password="Typo-Pass-1", display_name="Sales team")
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="connection-warning"' in html
    assert "[AUTHENTICATIONFAILED] Authentication failed." in html
    assert 'value="Typo-Pass-1"' in html
    assert 'value="Sales team"' in html
    assert 'name="save_anyway"' in html
    stored = Mailbox.objects.get(pk=mailbox.pk)
    assert (stored.password, stored.display_name) == (dovecot_user.password, "")

    response = client.post(url, {**data, "save_anyway": "1"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert f"Mailbox {mailbox.address} saved." in response.content.decode()
    assert Mailbox.objects.get(pk=mailbox.pk).password == "Typo-Pass-1"


def test_saving_the_right_password_tests_and_saves_at_once(client, manager, signed_in, dovecot, dovecot_user):
    """MBOX-02, MBOX-03: settings that work are saved in one step, and the page says the connection works."""
    mailbox = make_mailbox(dovecot, dovecot_user)
    mailbox.password = "old-wrong-password"
    mailbox.save()
    signed_in(client, manager)
    response = client.post(reverse("mail:mailbox_update", args=[mailbox.pk]),
                           form_data(mailbox, password=dovecot_user.password), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Connection works. IMAP: INBOX: 0 messages" in html
    assert Mailbox.objects.get(pk=mailbox.pk).password == dovecot_user.password


def test_saving_a_wrong_smtp_password_warns_first(client, manager, signed_in, dovecot, dovecot_user, smtp_auth):
    """MBOX-02, MBOX-03: the SMTP password is tested on saving as well; the incoming side, unchanged, is not."""
    mailbox = with_smtp(make_mailbox(dovecot, dovecot_user), *smtp_auth, SMTP_PASSWORD)
    signed_in(client, manager)
    response = client.post(reverse("mail:mailbox_update", args=[mailbox.pk]),
                           form_data(mailbox, smtp_password="wrong-smtp-password"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Sending test failed (auth)" in html
    assert "535 5.7.8 Authentication credentials invalid" in html
    assert "Connection test failed" not in html
    assert Mailbox.objects.get(pk=mailbox.pk).smtp_password == SMTP_PASSWORD


def test_the_private_network_refusal_tells_a_salesperson_whom_to_ask(client, salesperson, signed_in, settings):
    """MBOX-05, MBOX-03: a salesperson's personal mailbox on a private address is refused with "ask your
    administrator"; the environment variable is not named to them."""
    settings.TRADEPORT_MAIL_PRIVATE_HOSTS = "system"
    mailbox = Mailbox(kind=Mailbox.Kind.PERSONAL, owner=salesperson, address="lily@tradeport.test",
                      host="127.0.0.1", port=993, security="ssl", username="lily")
    mailbox.password = "Lily-Pass-3"
    mailbox.save()
    signed_in(client, salesperson)
    html = client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), {"next": reverse("mail:personal_mailbox")},
                       follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connection test failed (private)" in html
    assert "Ask your administrator to allow it." in html
    assert "TRADEPORT_MAIL_PRIVATE_HOSTS" not in html


def test_the_private_network_refusal_names_the_setting_to_the_administrator(client, admin_account, signed_in,
                                                                             settings):
    """MBOX-05, MBOX-03: the administrator, who can change it, is told the environment variable."""
    settings.TRADEPORT_MAIL_PRIVATE_HOSTS = "none"
    mailbox = Mailbox(address="info@tradeport.test", host="127.0.0.1", port=993, security="ssl", username="info")
    mailbox.save()
    signed_in(client, admin_account)
    html = client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), follow=True,
                       HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connection test failed (private)" in html
    assert "TRADEPORT_MAIL_PRIVATE_HOSTS" in html
    assert "Ask your administrator" not in html
