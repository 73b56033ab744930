"""Self-tests of the private Dovecot fixture: the server the mail-fetching tests talk to is real.

They use imaplib and poplib directly, as a fetching client would, rather than the
fixture's own helpers wherever the helper is what is being proven.
"""

import imaplib
import poplib
import re
import socket
import ssl
import time

import pytest

from mailserver.dovecot import DovecotServer, _session_members, dovecot_unavailable

MESSAGE = (
    "From: =?UTF-8?B?5byg5LiJ?= <zhang@customer.test>\r\n"
    "To: sales@tradeport.test\r\n"
    "Subject: =?UTF-8?B?5oql5Lu3IFF1b3RhdGlvbg==?=\r\n"
    "Message-ID: <quote-1@customer.test>\r\n"
    "Date: Thu, 26 Nov 2026 10:00:00 +0800\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "您好，请报价。\r\n"
    ".a line that starts with a dot\r\n"
    "\r\n"
).encode()


def message(n: int) -> bytes:
    return f"Message-ID: <m{n}@customer.test>\r\nSubject: message {n}\r\n\r\nbody {n}\r\n".encode()


def uid_fetch_all(conn: imaplib.IMAP4, folder: str = "INBOX") -> tuple[int, dict[int, bytes]]:
    """(UIDVALIDITY, {uid: raw bytes}) of FOLDER, fetched as a client would."""
    typ, _ = conn.select(folder, readonly=True)
    assert typ == "OK"
    uidvalidity = int(conn.response("UIDVALIDITY")[1][0])
    typ, data = conn.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
    assert typ == "OK"
    found = {}
    for item in data:
        if isinstance(item, tuple):
            found[int(re.search(rb"UID (\d+)", item[0]).group(1))] = item[1]
    return uidvalidity, found


def pop3_uidls(server, address: str) -> list[bytes]:
    """The UIDL listing ("n uidl" lines) of ADDRESS's maildrop."""
    conn = server.pop3(address)
    try:
        return conn.uidl()[1]
    finally:
        conn.quit()


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_imap_login_plain_starttls_and_imaps(dovecot, dovecot_user, security):
    """MBOX-01, MBOX-02, MBOX-03: a mailbox's incoming parameters work against a real IMAP server.

    Logs in with imaplib over each security choice of MBOX-02: plain IMAP on imap_port,
    STARTTLS on the same port with a context trusting only ``cafile``, and implicit TLS on
    imaps_port; the TLS ones really are TLS and the server names the user as logged in.
    """
    context = ssl.create_default_context(cafile=dovecot.cafile)
    if security == "ssl":
        conn = imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=context, timeout=10)
    else:
        conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
        assert "STARTTLS" in conn.capabilities
        if security == "starttls":
            conn.starttls(context)
    try:
        assert isinstance(conn.sock, ssl.SSLSocket) == (security != "plain")
        typ, data = conn.login(dovecot_user.address, dovecot_user.password)
        assert typ == "OK", data
        typ, data = conn.select("INBOX")
        assert (typ, data) == ("OK", [b"0"])
    finally:
        conn.logout()


def test_tls_needs_the_test_certificate(dovecot):
    """MBOX-03: a client that does not trust the server's certificate gets a verification error.

    The default context (system CAs only) refuses both IMAPS and STARTTLS, so the
    fixture's TLS is real and tests of [Test] can provoke certificate errors.
    """
    untrusting = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=untrusting, timeout=10)
    conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.starttls(untrusting)  # the failed handshake closes the socket


def test_append_then_uid_fetch_returns_the_same_bytes(dovecot, dovecot_user):
    """MBOX-07: what is delivered is fetched byte for byte, under the UID Dovecot assigned.

    ``deliver`` appends as the user (8-bit UTF-8 body, a leading-dot line) and returns the
    UID from APPENDUID; SELECT + UID FETCH BODY.PEEK[] returns the same bytes under that
    UID and leaves the message unseen. ``deliver_many`` numbers on in order, and a folder
    with a Chinese name is created on the way (modified UTF-7 on the wire).
    """
    uid = dovecot.deliver(dovecot_user.address, MESSAGE)
    more = dovecot.deliver_many(dovecot_user.address, [message(1), message(2)])
    assert more == [uid + 1, uid + 2]
    sent = dovecot.deliver(dovecot_user.address, message(3), folder="已发送", flags=["\\Seen"])

    conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    try:
        conn.login(dovecot_user.address, dovecot_user.password)
        _, fetched = uid_fetch_all(conn)
        assert fetched == {uid: MESSAGE, uid + 1: message(1), uid + 2: message(2)}
        typ, data = conn.uid("FETCH", str(uid), "(FLAGS)")
        assert typ == "OK"
        assert b"\\Seen" not in data[0]
        _, fetched = uid_fetch_all(conn, '"&XfJT0ZAB-"')
        assert fetched == {sent: message(3)}
    finally:
        conn.logout()
    assert dovecot.status(dovecot_user.address, "已发送")["UNSEEN"] == 0


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_pop3_plain_stls_and_pop3s_list_uidl(dovecot, dovecot_user, security):
    """MBOX-02, MBOX-08: POP3 over each security choice lists the messages with stable UIDLs.

    poplib logs in on pop3_port (plain, then STLS with ``cafile``) or pop3s_port; STAT
    counts the delivered messages, UIDL gives one distinct id per message, the same in a
    second session (what the fetch ledger remembers), and RETR returns the delivered bytes.
    """
    raws = [message(1), message(2)]
    dovecot.deliver_many(dovecot_user.address, raws)
    context = ssl.create_default_context(cafile=dovecot.cafile)

    def session():
        if security == "ssl":
            conn = poplib.POP3_SSL(dovecot.host, dovecot.pop3s_port, context=context, timeout=10)
        else:
            conn = poplib.POP3(dovecot.host, dovecot.pop3_port, timeout=10)
            if security == "starttls":
                conn.stls(context)
        assert isinstance(conn.sock, ssl.SSLSocket) == (security != "plain")
        conn.user(dovecot_user.address)
        assert conn.pass_(dovecot_user.password).startswith(b"+OK")
        return conn

    conn = session()
    try:
        assert conn.stat()[0] == 2
        _, listing, _ = conn.uidl()
        uidls = dict(line.split() for line in listing)
        assert sorted(uidls) == [b"1", b"2"]
        assert len(set(uidls.values())) == 2
        _, lines, _ = conn.retr(2)
        assert b"\r\n".join(lines) + b"\r\n" == raws[1]
    finally:
        conn.quit()
    conn = session()
    try:
        assert dict(line.split() for line in conn.uidl()[1]) == uidls
    finally:
        conn.quit()


def test_wrong_password_is_an_authentication_error(dovecot, dovecot_user):
    """MBOX-03: a wrong password is reported as an authentication failure, over IMAP and POP3.

    imaplib raises IMAP4.error with [AUTHENTICATIONFAILED]; poplib raises error_proto
    with -ERR [AUTH]. The right password then logs in at once: the fixture's Dovecot has
    no auth penalty, so tests do not wait seconds after a failure.
    """
    conn = imaplib.IMAP4(dovecot.host, dovecot.imap_port, timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
            conn.login(dovecot_user.address, dovecot_user.password + "x")
    finally:
        conn.shutdown()
    pop = poplib.POP3(dovecot.host, dovecot.pop3_port, timeout=10)
    try:
        pop.user(dovecot_user.address)
        with pytest.raises(poplib.error_proto, match=r"-ERR \[AUTH\]"):
            pop.pass_("wrong")
    finally:
        pop.close()
    started = time.monotonic()
    dovecot.imap(dovecot_user.address).logout()
    assert time.monotonic() - started < 1.5  # Dovecot's penalty would be 2 s or more


def test_reset_uidvalidity_changes_uidvalidity_and_keeps_messages(dovecot, dovecot_user):
    """MBOX-08 (and MBOX-02's "fetching again is harmless"): a UIDVALIDITY change keeps the mail.

    After ``reset_uidvalidity`` SELECT reports a higher UIDVALIDITY, the same number of
    messages with the same bytes and flags, numbered anew (from ``first_uid``), and the
    POP3 UIDLs change too: a fetcher must notice and fall back on Message-IDs.
    """
    address = dovecot_user.address
    dovecot.deliver_many(address, [message(1), message(2)])
    dovecot.deliver(address, message(3), flags=["\\Seen"])
    uidls_before = pop3_uidls(dovecot, address)
    before = dovecot.status(address)

    new = dovecot.reset_uidvalidity(address)
    after = dovecot.status(address)
    assert after["UIDVALIDITY"] == new > before["UIDVALIDITY"]
    assert after["MESSAGES"] == before["MESSAGES"] == 3
    assert after["UNSEEN"] == before["UNSEEN"] == 2
    uidls_after = pop3_uidls(dovecot, address)
    assert len(uidls_after) == 3
    assert not set(uidls_after) & set(uidls_before)

    newer = dovecot.reset_uidvalidity(address, first_uid=100)
    conn = dovecot.imap(address)
    try:
        uidvalidity, fetched = uid_fetch_all(conn)
    finally:
        conn.logout()
    assert uidvalidity == newer > new
    assert fetched == {100: message(1), 101: message(2), 102: message(3)}
    assert dovecot.deliver(address, message(4)) == 103


def test_restart_keeps_the_messages_and_cuts_off_clients(dovecot, dovecot_user):
    """MBOX-07: a server that goes away mid-session comes back on the same ports with the same mail.

    A client with INBOX selected loses its connection on ``restart()`` (what a fetch
    interrupted by the server looks like); afterwards the ports, UIDVALIDITY, UIDs and
    bytes are unchanged and new mail can be delivered.
    """
    address = dovecot_user.address
    uids = dovecot.deliver_many(address, [message(1), message(2)])
    ports = (dovecot.imap_port, dovecot.imaps_port, dovecot.pop3_port, dovecot.pop3s_port)
    conn = dovecot.imap(address)
    before = uid_fetch_all(conn)

    dovecot.restart()
    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        conn.uid("FETCH", "1:*", "(UID)")
    conn.shutdown()

    assert (dovecot.imap_port, dovecot.imaps_port, dovecot.pop3_port, dovecot.pop3s_port) == ports
    conn = dovecot.imap(address, security="ssl")
    try:
        assert uid_fetch_all(conn) == before
    finally:
        conn.logout()
    assert sorted(before[1]) == uids
    assert dovecot.deliver(address, message(3)) == uids[-1] + 1


def test_private_instance_starts_fast_and_leaves_nothing_running(dovecot, tmp_path_factory):
    """MBOX-07 (test infrastructure): each server is private, quick to start and ends completely.

    A second DovecotServer gets its own directory, ports and generated config (nothing
    from /etc/dovecot), starts in well under 2 s, and after ``close()`` none of its
    processes remain and its ports refuse connections.
    """
    assert dovecot_unavailable() is None
    directory = tmp_path_factory.mktemp("own")  # short: socket paths are limited
    server = DovecotServer(directory, instance="selftest")
    started = time.monotonic()
    server.start()
    try:
        assert time.monotonic() - started < 2
        master = server.pid
        assert _session_members(master)
        ports = {server.imap_port, server.imaps_port, server.pop3_port, server.pop3s_port}
        assert len(ports) == 4
        assert not ports & {dovecot.imap_port, dovecot.imaps_port, dovecot.pop3_port, dovecot.pop3s_port}
        config = server.config_path.read_text()
        settings = [line for line in config.splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in settings if "/etc/" in line or "!include" in line]
        assert f"base_dir = {directory}/run" in config
        address = server.add_user("solo", "pw")
        assert address == "solo@tradeport.test"
        assert server.deliver("solo", message(1)) == 1
    finally:
        server.close()
    assert _session_members(master) == []
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host, port), timeout=2).close()
