"""A real, private Dovecot IMAP/POP3 server for mail-fetching tests.

``DovecotServer`` writes its own ``dovecot.conf`` (``/etc/dovecot`` is never read),
a self-signed certificate and passwd-files under one temporary directory, starts
``/usr/sbin/dovecot -c CONF`` (which daemonises) on free ports of 127.0.0.1 and
stops it again. The ``dovecot`` fixture gives each pytest process (each xdist
worker) one such server for the whole session; ``dovecot_user`` makes a fresh
mail account for one test.

Layout of the directory::

    dovecot.conf  cert.pem  key.pem  dovecot.log  dovecot.out (output of the dovecot command)
    users/<address>   a passwd-file with one line per user
    run/          Dovecot's base_dir: sockets and master.pid
    state/        Dovecot's state_dir
    mail/<address>/Maildir/   one maildir per user, owned by the ``dovecot`` user

Dovecot specifics worked around here (details in the comments where they apply):

* Dovecot refuses mail access as root (``mail_uid = root`` is fatal for imap/pop3
  whatever ``first_valid_uid`` says), so the mail processes run as the
  unprivileged ``dovecot`` user. That user cannot enter pytest's temporary
  directory (``/tmp/pytest-of-root`` is 0700), so each user's home is written
  as ``<mail>/./<address>``: Dovecot chroots into ``<mail>`` (allowed by
  ``valid_chroot_dirs``) before it drops root.
* passwd-file rejects UID 0 and cannot hold ``:`` in a password: the uid/gid
  fields stay empty (``mail_uid``/``mail_gid`` apply) and passwords are stored
  as ``{PLAIN.B64}``.
* Dovecot looks at a passwd-file's mtime and size at most once a second, so a
  user added to a shared file is unknown for up to a second. Each user gets a
  file of their own (``args = users/%u``), read when first needed; changing a
  password waits for the next second so that the file's mtime changes.
* The auth process reads the passwd-files from that 0700 directory too, so
  ``default_internal_user = root``; the login processes still run as
  ``dovenull`` in their chroot.
* Failed logins are delayed by Dovecot's auth penalty (2 s and more for every
  login from the same IP after a failure, trusted networks included); the
  penalty socket is disabled. ``auth_failure_delay = 0`` leaves Dovecot's own
  0.5 s batching of failure replies.
* On SIGTERM the master does not wait for live IMAP/POP3 sessions (nor its log
  process) and takes about a second to exit; ``stop()`` therefore ends every
  process of the server's session (the master calls setsid), by pid.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import imaplib
import ipaddress
import itertools
import os
import poplib
import pwd
import random
import re
import secrets
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT_BINARY = "/usr/sbin/dovecot"
MAIL_OS_USER = "dovecot"  # owns the maildirs; Dovecot will not touch mail as root
LOGIN_OS_USER = "dovenull"
APPENDUID_RE = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")
# Index files of one maildir folder; without them Dovecot rebuilds from dovecot-uidlist.
FOLDER_INDEX_FILES = ("dovecot.index", "dovecot.index.log", "dovecot.index.log.2", "dovecot.index.cache")
LIST_INDEX_FILES = ("dovecot.list.index", "dovecot.list.index.log", "dovecot.list.index.log.2")


class DovecotError(RuntimeError):
    """The server could not be started, stopped or used."""


def dovecot_unavailable() -> str | None:
    """Why a private Dovecot cannot run here, or None when it can."""
    if not os.access(DOVECOT_BINARY, os.X_OK):
        return f"{DOVECOT_BINARY} is missing: apt-get install dovecot-imapd dovecot-pop3d (make system-packages)"
    if os.geteuid() != 0:
        return "the private Dovecot needs root (it drops to the dovecot/dovenull users)"
    for name in (MAIL_OS_USER, LOGIN_OS_USER):
        try:
            pwd.getpwnam(name)
        except KeyError:
            return f"the system user {name!r} is missing (reinstall dovecot-core)"
    return None


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3), as it goes on the wire and on disk."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def imap_quote(text: str) -> str:
    """An IMAP quoted string (imaplib does not quote mailbox names)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state, ppid, pgrp, session, ...)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data.rsplit(b")", 1)[1].decode().split()


def _alive(pid: int) -> bool:
    """True while PID runs; a zombie counts as ended (PID 1 may reap it late)."""
    fields = _proc_stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def _session_members(sid: int) -> list[int]:
    """Live processes of session SID: a daemonised Dovecot master and all its children."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(int(entry))
            if fields is not None and int(fields[3]) == sid and fields[0] not in ("Z", "X"):
                members.append(int(entry))
    return members


def _wait_until(condition, timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_ports(count: int) -> list[int]:
    """Free ports below the ephemeral range, so no outgoing connection takes one while we restart."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    top = low if low > 12000 else 65536
    chosen: list[int] = []
    for port in random.sample(range(10000, top), k=min(2000, top - 10000)):
        if port not in chosen and _port_is_free(port):
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise DovecotError("no free ports on 127.0.0.1")


def _make_certificate(cert_path: Path, key_path: Path, host: str) -> None:
    """A self-signed certificate for HOST (and localhost) that is its own CA: use it as cafile."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tradeport test Dovecot")])
    now = datetime.datetime.now(datetime.UTC)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))


CONFIG_TEMPLATE = """\
# Written by tests/mailserver/dovecot.py for one test session; /etc/dovecot is not read.
instance_name = {instance}
base_dir = {run_dir}
state_dir = {state_dir}
protocols = imap pop3
listen = {host}
log_path = {log_path}
shutdown_clients = yes

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_default_realm = {domain}
# Failed logins answer after ~0.5 s (Dovecot batches them) instead of 2 s ...
auth_failure_delay = 0
# One passwd-file per user: Dovecot re-checks a file at most once a second.
passdb {{
  driver = passwd-file
  args = {users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = {users_dir}/%u
}}

# The auth process reads {users_dir} inside a root-only directory.
default_internal_user = root
default_login_user = {login_user}
# Mail is never accessed as root; homes are <mail>/./<address>, a chroot into <mail>.
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = {mail_uid}
first_valid_gid = {mail_gid}
valid_chroot_dirs = {mail_dir}
mail_location = maildir:~/Maildir
mail_fsync = never

namespace inbox {{
  inbox = yes
  mailbox Drafts {{
    special_use = \\Drafts
  }}
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Archive {{
    special_use = \\Archive
  }}
}}

service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = {pop3s_port}
    ssl = yes
  }}
}}
# ... and without the auth penalty (2-15 s per login after a failure from the same IP).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

# On EOF of its stdin (the pytest process has ended, however it ended) the watchdog ends
# the server's process group; a clean stop() has removed master.pid first, so it does nothing.
WATCHDOG_SCRIPT = (
    'read -r _; p=$(cat "$1" 2>/dev/null) && [ -n "$p" ] || exit 0; '
    'kill -TERM "-$p" 2>/dev/null; sleep 1; kill -KILL "-$p" 2>/dev/null; exit 0'  # dash: no "--"
)


class DovecotServer:
    """One private Dovecot on 127.0.0.1: IMAP (+STARTTLS), IMAPS, POP3 (+STLS) and POP3S."""

    host = "127.0.0.1"
    separator = "."  # Dovecot's maildir++ hierarchy separator

    def __init__(self, directory: Path, *, domain: str = "tradeport.test", instance: str = "tradeport"):
        self.directory = Path(directory)
        self.domain = domain
        self.instance = re.sub(r"[^A-Za-z0-9_-]", "-", instance)
        self.config_path = self.directory / "dovecot.conf"
        self.users_dir = self.directory / "users"
        self.log_path = self.directory / "dovecot.log"
        self.cafile = self.directory / "cert.pem"
        self.keyfile = self.directory / "key.pem"
        self.run_dir = self.directory / "run"  # Dovecot's base_dir
        self.state_dir = self.directory / "state"
        self.mail_dir = self.directory / "mail"
        self.imap_port = self.imaps_port = self.pop3_port = self.pop3s_port = 0
        self.passwords: dict[str, str] = {}  # address -> password
        self.pid: int | None = None  # of the master while running
        self._mail_owner = pwd.getpwnam(MAIL_OS_USER)
        self._watchdog: subprocess.Popen | None = None
        self._prepared = False
        # Unix socket paths are limited to 107 bytes; the longest below run/ is token-login/imap-urlauth.
        if len(os.fsencode(self.run_dir)) > 107 - len("/token-login/imap-urlauth"):
            raise DovecotError(f"{self.run_dir} is too long for Dovecot's sockets; use a shorter --basetemp")
        if any(char.isspace() for char in str(self.directory)):
            raise DovecotError(f"{self.directory}: Dovecot settings here cannot hold white space")

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.pid is not None and _alive(self.pid)

    def start(self, timeout: float = 10.0) -> None:
        """Start the server (on new free ports the first time, the same ports later); wait until it answers."""
        if self.running:
            return
        if not self._prepared:
            self._prepare()
        attempts = 1 if self.imap_port else 5
        for attempt in range(attempts):
            if attempts > 1:
                self.imap_port, self.imaps_port, self.pop3_port, self.pop3s_port = _free_ports(4)
            self._write_config()
            # Output to a file, not a pipe: the daemon keeps the inherited descriptors open.
            with open(self.directory / "dovecot.out", "w+") as out:
                returncode = subprocess.call([DOVECOT_BINARY, "-c", str(self.config_path)],
                                             stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                             timeout=timeout)
                out.seek(0)
                output = out.read()
            if returncode == 0:
                break
            # Another process took a port between our probe and Dovecot's bind: new ports.
            if "in use" in output and attempt + 1 < attempts:
                continue
            raise DovecotError(f"dovecot -c {self.config_path} failed ({returncode}):\n"
                               f"{output}{self.log_tail()}")
        pid_file = self.run_dir / "master.pid"
        if not _wait_until(pid_file.exists, timeout):
            raise DovecotError(f"Dovecot wrote no {pid_file}\n{self.log_tail()}")
        self.pid = int(pid_file.read_text().strip())
        self._start_watchdog()
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the server and every process it started. Connected clients are cut off."""
        if self.pid is None:
            return
        master, self.pid = self.pid, None
        if _alive(master):
            os.kill(master, signal.SIGTERM)
            # The master ends its children itself, but not the IMAP/POP3 sessions or its log process;
            # once it is shutting down it spawns nothing new, so the rest of its session goes too.
            time.sleep(0.02)
            self._signal(_session_members(master), signal.SIGTERM, skip=master)
            # The master then idles up to a second before it exits; nothing of it is left to wait for.
            if not _wait_until(lambda: not _alive(master), 0.2):
                self._signal(_session_members(master), signal.SIGKILL)
        if not _wait_until(lambda: not _session_members(master), timeout):
            self._signal(_session_members(master), signal.SIGKILL)
            _wait_until(lambda: not _session_members(master), timeout)
        # A killed master leaves master.pid, and Dovecot would take its zombie for a running server.
        (self.run_dir / "master.pid").unlink(missing_ok=True)
        left = _session_members(master)
        if left:
            raise DovecotError(f"Dovecot processes {left} would not end")

    def restart(self, timeout: float = 10.0) -> None:
        """Stop (cutting off connected clients) and start again on the same ports with the same mail."""
        self.stop()
        self.start(timeout)

    def close(self) -> None:
        """Stop the server and its watchdog (the end of the session)."""
        try:
            self.stop()
        finally:
            if self._watchdog is not None:
                self._watchdog.stdin.close()
                try:
                    self._watchdog.wait(5)
                except subprocess.TimeoutExpired:
                    self._watchdog.kill()
                    self._watchdog.wait()
                self._watchdog = None

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n--- dovecot.log ---\n" + "\n".join(text.splitlines()[-lines:])

    def _prepare(self) -> None:
        for path in (self.directory, self.run_dir, self.state_dir, self.mail_dir, self.users_dir):
            path.mkdir(parents=True, exist_ok=True)
        self.mail_dir.chmod(0o755)
        _make_certificate(self.cafile, self.keyfile, self.host)
        self._prepared = True

    def _write_config(self) -> None:
        self.config_path.write_text(CONFIG_TEMPLATE.format(
            instance=self.instance, run_dir=self.run_dir, state_dir=self.state_dir, host=self.host,
            log_path=self.log_path, cert=self.cafile, key=self.keyfile, domain=self.domain,
            users_dir=self.users_dir, login_user=LOGIN_OS_USER, mail_uid=self._mail_owner.pw_uid,
            mail_gid=self._mail_owner.pw_gid, mail_dir=self.mail_dir, imap_port=self.imap_port,
            imaps_port=self.imaps_port, pop3_port=self.pop3_port, pop3s_port=self.pop3s_port,
        ))

    def _start_watchdog(self) -> None:
        if self._watchdog is None or self._watchdog.poll() is not None:
            self._watchdog = subprocess.Popen(
                ["/bin/sh", "-c", WATCHDOG_SCRIPT, "dovecot-watchdog", str(self.run_dir / "master.pid")],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C in the terminal does not reach it
            )

    @staticmethod
    def _signal(pids: Iterable[int], signum: int, skip: int | None = None) -> None:
        for pid in pids:
            if pid != skip:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)

    def _wait_ready(self, timeout: float) -> None:
        """Every listener greets: IMAP and POP3 in the clear, IMAPS and POP3S after a verified handshake."""
        context = self.ssl_context()
        checks = [(self.imap_port, None, b"* OK"), (self.imaps_port, context, b"* OK"),
                  (self.pop3_port, None, b"+OK"), (self.pop3s_port, context, b"+OK")]
        deadline = time.monotonic() + timeout
        for port, tls, greeting in checks:
            while True:
                try:
                    line = self._greeting(port, tls)
                    if line.startswith(greeting):
                        break
                    problem = f"unexpected greeting {line!r}"
                except OSError as exc:  # ssl.SSLError included
                    problem = repr(exc)
                if not self.running:
                    raise DovecotError(f"Dovecot exited during start{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise DovecotError(f"port {port} not ready: {problem}{self.log_tail()}")
                time.sleep(0.01)

    def _greeting(self, port: int, tls: ssl.SSLContext | None) -> bytes:
        with socket.create_connection((self.host, port), timeout=2) as raw:
            if tls is None:
                return raw.makefile("rb").readline()
            with tls.wrap_socket(raw, server_hostname=self.host) as conn:
                return conn.makefile("rb").readline()

    # -- users -------------------------------------------------------------------------------

    def address(self, user: str) -> str:
        """The full address of USER (a bare name gets @domain), as stored and used to log in."""
        user = user.strip().lower()
        return user if "@" in user else f"{user}@{self.domain}"

    def add_user(self, name: str, password: str) -> str:
        """Create (or change the password of) a mail user; returns its address.

        Logging in works with the address or the bare name (auth_default_realm).
        """
        address = self.address(name)
        if not re.fullmatch(r"[a-z0-9._+-]+@[a-z0-9.-]+", address):
            raise ValueError(f"unsupported user name {name!r}")
        home = self.mail_dir / address
        if not home.exists():
            home.mkdir(mode=0o700)
            os.chown(home, self._mail_owner.pw_uid, self._mail_owner.pw_gid)
        passwd_file = self.users_dir / address
        if address in self.passwords and self.passwords[address] != password:
            # Same second and same size: Dovecot would keep the old password.
            time.sleep(1.01 - time.time() % 1)
        # user:password:uid:gid:gecos:home:shell - no uid/gid (mail_uid applies; UID 0 is rejected),
        # "/./" in home = chroot there, {PLAIN.B64} so that any password fits between the colons.
        encoded = base64.b64encode(password.encode()).decode()
        tmp = passwd_file.with_name(f".{address}.tmp")
        tmp.write_text(f"{address}:{{PLAIN.B64}}{encoded}::::{self.mail_dir}/./{address}::\n")
        tmp.replace(passwd_file)
        self.passwords[address] = password
        return address

    # -- clients -----------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server's certificate (and checks the host name)."""
        return ssl.create_default_context(cafile=self.cafile)

    def imap(self, user: str, *, security: str = "plain") -> imaplib.IMAP4:
        """A logged-in IMAP connection: security "plain", "starttls" or "ssl"."""
        if security == "ssl":
            conn = imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.ssl_context(), timeout=10)
        else:
            conn = imaplib.IMAP4(self.host, self.imap_port, timeout=10)
            if security == "starttls":
                conn.starttls(self.ssl_context())
        address = self.address(user)
        conn.login(address, self.passwords[address])
        return conn

    def pop3(self, user: str, *, security: str = "plain") -> poplib.POP3:
        """A logged-in POP3 connection: security "plain", "starttls" (STLS) or "ssl"."""
        if security == "ssl":
            conn = poplib.POP3_SSL(self.host, self.pop3s_port, context=self.ssl_context(), timeout=10)
        else:
            conn = poplib.POP3(self.host, self.pop3_port, timeout=10)
            if security == "starttls":
                conn.stls(self.ssl_context())
        address = self.address(user)
        conn.user(address)
        conn.pass_(self.passwords[address])
        return conn

    # -- mail --------------------------------------------------------------------------------

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX", flags: Sequence[str] = (),
                internaldate: datetime.datetime | None = None) -> int:
        """Put one message into FOLDER (created if missing) by IMAP APPEND as USER; returns its UID.

        FLAGS are IMAP flags such as "\\Seen". Like any IMAP APPEND, bare LF line ends become CRLF.
        """
        return self.deliver_many(user, [raw], folder, flags, internaldate)[0]

    def deliver_many(self, user: str, messages: Iterable[bytes], folder: str = "INBOX",
                     flags: Sequence[str] = (), internaldate: datetime.datetime | None = None) -> list[int]:
        """Append MESSAGES in order over one IMAP connection; returns their UIDs."""
        mailbox = imap_quote(imap_utf7(folder))
        flag_list = f"({' '.join(flags)})" if flags else None
        date = imaplib.Time2Internaldate(internaldate) if internaldate else None
        uids = []
        conn = self.imap(user)
        try:
            if folder.upper() != "INBOX":
                conn.create(mailbox)  # NO [ALREADYEXISTS] is fine
                conn.subscribe(mailbox)
            for raw in messages:
                typ, data = conn.append(mailbox, flag_list, date, raw)
                match = APPENDUID_RE.search(data[0] or b"") if typ == "OK" else None
                if not match:
                    raise DovecotError(f"APPEND to {folder!r} failed: {typ} {data}")
                uids.append(int(match.group(2)))
        finally:
            conn.logout()  # Dovecot closes the mailbox before it answers LOGOUT
        return uids

    def status(self, user: str, folder: str = "INBOX") -> dict[str, int]:
        """MESSAGES, UIDNEXT, UIDVALIDITY and UNSEEN of FOLDER, from the server."""
        conn = self.imap(user)
        try:
            typ, data = conn.status(imap_quote(imap_utf7(folder)), "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN)")
        finally:
            conn.logout()
        if typ != "OK":
            raise DovecotError(f"STATUS {folder!r}: {typ} {data}")
        items = re.search(rb"\(([^)]*)\)\s*$", data[0]).group(1).split()
        return {key.decode(): int(value) for key, value in itertools.batched(items, 2)}

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        """The maildir++ directory of FOLDER on disk."""
        root = self.mail_dir / self.address(user) / "Maildir"
        if folder.upper() == "INBOX":
            return root
        return root / ("." + imap_utf7(folder))  # "A.B" (separator ".") is the directory .A.B

    def reset_uidvalidity(self, user: str, folder: str = "INBOX", *, first_uid: int = 1) -> int:
        """Give FOLDER a new, higher UIDVALIDITY and renumber its messages from FIRST_UID; returns it.

        This is what Dovecot itself does when it loses a folder's dovecot-uidlist: the
        messages and their flags stay, every UID is new. Here the folder's indexes go and
        dovecot-uidlist is replaced by a header alone ("3 V<uidvalidity> N<next uid>"), so
        Dovecot numbers the files again from FIRST_UID when the folder is next opened.
        Use it while no client has the folder selected (a session holding it open may
        write its old view back); POP3 UIDLs change as well (they contain the UIDVALIDITY).
        """
        if first_uid < 1:
            raise ValueError("first_uid must be 1 or more")
        path = self.maildir(user, folder)
        if not (path / "cur").is_dir():
            raise DovecotError(f"no folder {folder!r} for {user!r} at {path}")
        uidlist = path / "dovecot-uidlist"
        old = 0
        if uidlist.exists():
            header = uidlist.read_text(errors="replace").split("\n", 1)[0]
            match = re.search(r"\bV(\d+)", header)
            old = int(match.group(1)) if match else 0
        new = max(old + 1, int(time.time()))
        for name in FOLDER_INDEX_FILES:
            (path / name).unlink(missing_ok=True)
        for name in LIST_INDEX_FILES:  # cached STATUS values of every folder; rebuilt on demand
            (self.maildir(user) / name).unlink(missing_ok=True)
        tmp = path / "dovecot-uidlist.tmp-reset"
        tmp.write_text(f"3 V{new} N{first_uid}\n")
        os.chown(tmp, self._mail_owner.pw_uid, self._mail_owner.pw_gid)
        tmp.chmod(0o600)
        tmp.replace(uidlist)
        return new


@dataclass(frozen=True)
class MailUser:
    address: str
    password: str


_user_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory) -> Iterator[DovecotServer]:
    """This test process's private Dovecot (one per xdist worker), running for the whole session.

    Users and mail accumulate across tests: make users with unique names (or use
    ``dovecot_user``). ``restart()`` is fine; do not ``stop()`` it.
    """
    reason = dovecot_unavailable()
    if reason:
        if os.environ.get("CI"):  # CI installs Dovecot and runs as root: missing it is a failure there
            pytest.fail(f"Dovecot is required on CI: {reason}")
        pytest.skip(reason)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    server = DovecotServer(tmp_path_factory.mktemp(f"dovecot-{worker}", numbered=True),
                           instance=f"tradeport-{worker}")
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def dovecot_user(dovecot) -> MailUser:
    """A fresh mail user on the session's Dovecot, with a random password."""
    password = secrets.token_urlsafe(12)
    address = dovecot.add_user(f"user{next(_user_numbers)}-{secrets.token_hex(3)}", password)
    return MailUser(address, password)
