"""IMAP, POP3 and SMTP clients: connect, log in, list, fetch and send. No ORM here.

The server's mail is never changed: IMAP folders are opened read-only and
fetched with BODY.PEEK[]; POP3 messages are read with RETR and never deleted.
"""

import contextlib
import imaplib
import ipaddress
import poplib
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tradeport.conf import env_str

UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
FETCH_UID = re.compile(rb"UID (\d+)")
LIST_LINE = re.compile(rb'\((?P<flags>[^)]*)\) (?:"[^"]*"|NIL) (?P<name>.+)$')
SENT_NAMES = ("Sent", "Sent Messages", "Sent Items", "INBOX.Sent")


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str  # "ssl", "starttls" or "plain"
    username: str
    password: str
    timeout: float = 30.0
    allow_private: bool = True  # False: refuse loopback, private and link-local addresses


def _refuse_private(server: Server) -> None:
    """Keep a mailbox form from probing the company network (STYLE §8): check every resolved address."""
    for *_rest, sockaddr in socket.getaddrinfo(server.host, server.port, type=socket.SOCK_STREAM):
        address = ipaddress.ip_address(sockaddr[0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved \
                or address.is_unspecified or address.is_multicast:
            where = {"host": server.host, "address": address}
            # Only the administrator can change the setting: a salesperson is told whom to ask.
            raise MailServerError("private", _(
                "%(host)s is on a private network (%(address)s), which this mailbox may not reach. "
                "Ask your administrator to allow it.") % where, admin_message=_(
                "%(host)s is on a private network (%(address)s), which this mailbox may not reach. "
                "Set the environment variable TRADEPORT_MAIL_PRIVATE_HOSTS to \"all\" (or \"system\" for "
                "system mailboxes only) and restart Tradeport to allow it.") % where)


class MailServerError(Exception):
    """A failure the user can act on; `kind` names it: dns, refused, tls, auth, timeout, folder, protocol, private.

    `admin_message` is what the administrator reads when it differs (it may name server settings)."""

    def __init__(self, kind: str, message: str, *, admin_message: str = ""):
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.admin_message = admin_message or message


def server_words(exc: BaseException) -> str:
    """What the server said, as text: imaplib and poplib carry its reply as bytes, smtplib as code and bytes."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}".strip()
    parts = [a.decode(errors="replace") if isinstance(a, bytes) else str(a) for a in exc.args]
    return " ".join(p.strip() for p in parts if p.strip()) or exc.__class__.__name__


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    extra = env_str("TRADEPORT_MAIL_CA_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context


def _translate(exc: BaseException, server: Server) -> MailServerError:
    where = f"{server.host}:{server.port}"
    if isinstance(exc, MailServerError):
        return exc
    if isinstance(exc, socket.gaierror):
        return MailServerError("dns", _("The server name %(host)s cannot be found (DNS).") % {"host": server.host})
    if isinstance(exc, ConnectionRefusedError):
        return MailServerError("refused", _("%(where)s refused the connection: wrong port, or the server is down.")
                               % {"where": where})
    if isinstance(exc, ssl.SSLCertVerificationError):
        return MailServerError("tls", _("The certificate of %(where)s is not trusted: %(detail)s")
                               % {"where": where, "detail": exc.verify_message})
    if isinstance(exc, ssl.SSLError):
        return MailServerError("tls", _("TLS failed with %(where)s: check the security setting (SSL or STARTTLS). %(detail)s")
                               % {"where": where, "detail": exc.reason or exc})
    if isinstance(exc, TimeoutError | socket.timeout):
        return MailServerError("timeout", _("%(where)s did not answer in time.") % {"where": where})
    # smtplib's errors are OSErrors too, but they carry the server's answer, not a network failure.
    if isinstance(exc, smtplib.SMTPException | imaplib.IMAP4.error | poplib.error_proto):
        return MailServerError("protocol", _("The server answered unexpectedly: %(detail)s")
                               % {"detail": server_words(exc)})
    if isinstance(exc, OSError):
        return MailServerError("refused", _("Cannot reach %(where)s: %(detail)s") % {"where": where, "detail": exc})
    return MailServerError("protocol", _("The server answered unexpectedly: %(detail)s") % {"detail": server_words(exc)})


class _Client:
    """Connect with the mailbox's security, log in, and log out on leaving; failures are named."""

    auth_errors: tuple[type[BaseException], ...] = ()

    def __init__(self, server: Server):
        self.server = server
        self.conn = None

    def __enter__(self):
        try:
            if not self.server.allow_private:
                _refuse_private(self.server)
            # Loading the CA store costs ~50 ms: only for connections that use TLS.
            context = _tls_context() if self.server.security != "plain" else None
            conn = self._open(self.server, context)
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        try:
            self._login(conn, self.server)
        except self.auth_errors as exc:
            self._abandon(conn)
            raise MailServerError("auth", _("The server refused the user name or password (%(detail)s).")
                                  % {"detail": server_words(exc)}) from exc
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        self.conn = conn
        return self

    def __exit__(self, *exc_info):
        if self.conn is not None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                self._close(self.conn)


class ImapClient(_Client):
    auth_errors = (imaplib.IMAP4.error,)

    def _open(self, server: Server, context: ssl.SSLContext | None) -> imaplib.IMAP4:
        if server.security == "ssl":
            return imaplib.IMAP4_SSL(server.host, server.port, ssl_context=context, timeout=server.timeout)
        conn = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
        if server.security == "starttls":
            conn.starttls(ssl_context=context)
        return conn

    def _login(self, conn: imaplib.IMAP4, server: Server) -> None:
        conn.login(server.username, server.password)

    def _abandon(self, conn: imaplib.IMAP4) -> None:
        conn.shutdown()

    def _close(self, conn: imaplib.IMAP4) -> None:
        conn.logout()

    def _ok(self, typ, data, what: str):
        if typ != "OK":
            raise MailServerError("protocol", _("%(what)s failed: %(detail)s") % {
                "what": what, "detail": b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")})
        return data

    def open(self, folder: str) -> tuple[int, int]:
        """Open a folder read-only; returns (UIDVALIDITY, message count)."""
        try:
            typ, data = self.conn.select(_quote(folder), readonly=True)
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        if typ != "OK":
            raise MailServerError("folder", _("The folder %(folder)s does not exist on the server.") % {"folder": folder})
        count = int(data[0] or 0)
        code = self.conn.response("UIDVALIDITY")[1]
        validity = int(code[0]) if code and code[0] else 0
        return validity, count

    def uids_after(self, last_uid: int) -> list[int]:
        try:
            typ, data = self.conn.uid("SEARCH", None, f"UID {last_uid + 1}:*")
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        uids = [int(u) for u in b" ".join(self._ok(typ, data, "SEARCH")).split()]
        return sorted(u for u in uids if u > last_uid)  # "n:*" also answers the last UID when nothing is newer

    def fetch(self, uids: list[int]) -> list[tuple[int, bytes]]:
        """The full bytes of these messages, without setting \\Seen."""
        if not uids:
            return []
        try:
            typ, data = self.conn.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        found = []
        for item in self._ok(typ, data, "FETCH"):
            if isinstance(item, tuple) and len(item) == 2:
                match = FETCH_UID.search(item[0])
                if match:
                    found.append((int(match.group(1)), item[1]))
        return sorted(found)


    def sent_folder(self) -> str | None:
        """The folder the server marks \\Sent (RFC 6154), else one with a usual name."""
        try:
            typ, data = self.conn.list()
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        names = {}
        for line in self._ok(typ, data, "LIST"):
            match = LIST_LINE.match(line) if isinstance(line, bytes) else None
            if match:
                name = match.group("name").decode(errors="replace").strip('"')
                names[name] = match.group("flags").decode(errors="replace").lower()
        flagged = [n for n, flags in names.items() if "\\sent" in flags]
        if flagged:
            return flagged[0]
        return next((n for n in SENT_NAMES if n in names), None)

    def append(self, folder: str, message: bytes) -> None:
        """Store a copy of a sent message, marked read."""
        try:
            typ, data = self.conn.append(_quote(folder), "(\\Seen)", imaplib.Time2Internaldate(time.time()), message)
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        self._ok(typ, data, "APPEND")

    def has_message_id(self, folder: str, message_id: str) -> bool:
        self.open(folder)
        try:
            typ, data = self.conn.uid("SEARCH", "HEADER", "Message-ID", _quote_string(message_id))
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        return bool(b" ".join(self._ok(typ, data, "SEARCH")).split())


def _quote_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quote(folder: str) -> str:
    return folder if folder.isalnum() else '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Pop3Client(_Client):
    auth_errors = (poplib.error_proto,)

    def _open(self, server: Server, context: ssl.SSLContext | None) -> poplib.POP3:
        if server.security == "ssl":
            return poplib.POP3_SSL(server.host, server.port, context=context, timeout=server.timeout)
        conn = poplib.POP3(server.host, server.port, timeout=server.timeout)
        if server.security == "starttls":
            conn.stls(context=context)
        return conn

    def _login(self, conn: poplib.POP3, server: Server) -> None:
        conn.user(server.username)
        conn.pass_(server.password)

    def _abandon(self, conn: poplib.POP3) -> None:
        conn.close()

    def _close(self, conn: poplib.POP3) -> None:
        conn.quit()  # QUIT without DELE: nothing is removed from the server

    def uidls(self) -> list[tuple[int, str]]:
        """(message number, unique id) of every message on the server."""
        try:
            _response, lines, _octets = self.conn.uidl()
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        pairs = []
        for line in lines:
            number, _sep, uid = line.decode(errors="replace").partition(" ")
            pairs.append((int(number), uid.strip()))
        return pairs

    def retrieve(self, number: int) -> bytes:
        try:
            _response, lines, _octets = self.conn.retr(number)
        except Exception as exc:
            raise _translate(exc, self.server) from exc
        return b"\r\n".join(lines) + b"\r\n"


class SmtpClient(_Client):
    """Submission with the mailbox's security; logs in only when a user name is set (a relay may not ask)."""

    auth_errors = (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError)

    def _open(self, server: Server, context: ssl.SSLContext | None) -> smtplib.SMTP:
        if server.security == "ssl":
            return smtplib.SMTP_SSL(server.host, server.port, context=context, timeout=server.timeout)
        conn = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
        if server.security == "starttls":
            conn.starttls(context=context)
        return conn

    def _login(self, conn: smtplib.SMTP, server: Server) -> None:
        conn.ehlo_or_helo_if_needed()
        self.reply = (conn.ehlo_resp or conn.helo_resp or b"").splitlines()[:1]
        if server.username and server.password:
            code, words = conn.login(server.username, server.password)
            self.reply = [f"{code} ".encode() + words]

    def answer(self) -> str:
        """The server's last words of the session so far: the login reply, else its greeting."""
        return b" ".join(getattr(self, "reply", [])).decode(errors="replace")

    def _abandon(self, conn: smtplib.SMTP) -> None:
        conn.close()

    def _close(self, conn: smtplib.SMTP) -> None:
        conn.quit()

    def send(self, sender: str, recipients: list[str], message: bytes) -> dict[str, tuple[int, bytes]]:
        """Hand the bytes over; returns the recipients the server refused while accepting the others.
        SMTP errors are raised as they are: the caller tells temporary (4xx) from permanent (5xx)."""
        return self.conn.sendmail(sender, recipients, message)
