import socket

import pytest
from django.urls import reverse

from matrix import check_matrix
from tradeport.mail.models import Mailbox

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def mailbox(db):
    box = Mailbox(address="info@tradeport.test", host="127.0.0.1", port=free_port(), security="plain",
                  username="info")
    box.password = "Secret-Pass-1"
    box.save()
    return box


def test_mailbox_pages_join_the_permission_matrix(roles, mailbox):
    """SYS-02, MBOX-01, GEN-01: only holders of the System mailbox function reach the pages.

    A salesperson may edit a personal mailbox, so a system mailbox's page is a 404 for them.
    """
    for url in (reverse("mail:mailbox_list"), reverse("mail:mailbox_create"),
                reverse("mail:quarantine_list", args=[mailbox.pk])):
        check_matrix(url, users=roles, anonymous=302, outsider=403, salesperson=403, manager=200)
    check_matrix(reverse("mail:mailbox_update", args=[mailbox.pk]), users=roles,
                 anonymous=302, outsider=403, salesperson=404, manager=200)


def test_a_saved_password_is_encrypted_and_never_shown_again(client, manager, signed_in, mailbox):
    """MBOX-02: the password is stored encrypted and the form does not send it back."""
    assert "Secret-Pass-1" not in mailbox.password_encrypted
    assert Mailbox.objects.get().password == "Secret-Pass-1"
    signed_in(client, manager)
    html = client.get(reverse("mail:mailbox_update", args=[mailbox.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Secret-Pass-1" not in html
    assert mailbox.password_encrypted not in html
    assert "A password is saved. Leave empty to keep it." in html


def test_saving_without_a_password_keeps_the_old_one(client, manager, signed_in, mailbox):
    """MBOX-02: an empty password field keeps the saved password."""
    signed_in(client, manager)
    response = client.post(reverse("mail:mailbox_update", args=[mailbox.pk]), {
        "address": "info@tradeport.test", "protocol": "imap", "host": "127.0.0.1", "port": mailbox.port,
        "security": "plain", "username": "info", "smtp_security": "ssl", "enabled": "on"})
    assert response.status_code == 302
    assert Mailbox.objects.get().password == "Secret-Pass-1"


def test_a_mailbox_without_a_server_needs_protocol_none(client, manager, signed_in):
    """MBOX-01, MBOX-02: an incoming protocol needs a server; 'None' is an import-only archive."""
    signed_in(client, manager)
    url = reverse("mail:mailbox_create")
    data = {"address": "Archive@Tradeport.test", "protocol": "imap", "security": "ssl", "smtp_security": "ssl"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert "Enter the incoming server, or choose None (import only)." in response.content.decode()
    response = client.post(url, {**data, "protocol": "none"})
    assert response.status_code == 302
    assert Mailbox.objects.get().address == "archive@tradeport.test"


def test_connection_test_names_a_refused_port(client, manager, signed_in, mailbox):
    """MBOX-03: [Test connection] says the server refused the connection, naming host and port."""
    signed_in(client, manager)
    response = client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Connection test failed (refused)" in html
    assert f"127.0.0.1:{mailbox.port}" in html


def test_connection_test_names_an_unknown_host(client, manager, signed_in, mailbox):
    """MBOX-03: a server name that does not resolve is reported as a DNS failure."""
    Mailbox.objects.filter(pk=mailbox.pk).update(host="no-such-host.invalid")
    signed_in(client, manager)
    response = client.post(reverse("mail:mailbox_test", args=[mailbox.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Connection test failed (dns)" in response.content.decode()


def test_a_salesperson_keeps_their_own_personal_mailbox(client, salesperson, signed_in):
    """PERS-03, MBOX-05, MBOX-03: the personal mailbox page creates the user's own mailbox; a server that
    cannot be reached is named first, and [Save anyway] keeps the settings all the same."""
    signed_in(client, salesperson)
    data = {"address": "lily@tradeport.test", "protocol": "pop3", "host": "pop.tradeport.test", "security": "ssl",
            "password": "Pop-Pass-9", "smtp_security": "ssl", "enabled": "on"}
    response = client.post(reverse("mail:personal_mailbox"), data)
    assert response.status_code == 200
    assert not Mailbox.objects.exists()
    response = client.post(reverse("mail:personal_mailbox"), {**data, "save_anyway": "1"})
    assert response.status_code == 302
    mine = Mailbox.objects.get()
    assert (mine.kind, mine.owner, mine.password) == ("personal", salesperson, "Pop-Pass-9")


def test_receive_all_fetches_every_enabled_system_mailbox(client, manager, signed_in, mailbox):
    """ADM-13, SHORT-05: [Receive mail now] enqueues a fetch of each enabled system mailbox (run at once in tests)."""
    signed_in(client, manager)
    response = client.post(reverse("mail:receive_all"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Receiving started for 1 system mailboxes" in response.content.decode()
    # The immediate task backend ran the fetch: the refused port is now the mailbox's recorded error.
    checked = Mailbox.objects.get(pk=mailbox.pk)
    assert checked.failures == 1
    assert "refused the connection" in checked.last_error
