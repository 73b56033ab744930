"""The intake pipeline: store raw → parse → dedupe → match → route → persist; and fetching."""

import hashlib
import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tradeport.mail import protocols
from tradeport.mail.models import (
    AddressRule,
    BlockedAddress,
    Delivery,
    FetchLedger,
    FolderState,
    Mail,
    MailAttachment,
    Mailbox,
    Quarantine,
    RawMessage,
)
from tradeport.mail.parsing import (
    SUBJECT_PREFIX,
    NotAnEmail,
    ParsedMessage,
    parse_message,
)
from tradeport.mail.routing import RoutingIndex, route, suggest_customers
from tradeport.mail.threads import ThreadFacts, adopt_orphans, participants, thread_keys
from tradeport.org.models import Employee
from tradeport.system import options

log = logging.getLogger(__name__)
BATCH = 100
# Renewed after every batch; a dead worker blocks its mailbox for at most this long.
LEASE = timezone.timedelta(minutes=2)
WORKER_ID = f"{os.uname().nodename}:{os.getpid()}"


def stored_path(folder: str, digest: str) -> str:
    """Where content-addressed bytes live: one level of 256 folders (a second level cost a mkdir per file)."""
    return f"{folder}/{digest[:2]}/{digest}"


def _store_file(folder: str, data: bytes) -> tuple[str, str]:
    """Content-addressed storage: the same bytes are stored once."""
    digest = hashlib.sha256(data).hexdigest()
    path = stored_path(folder, digest)
    if isinstance(default_storage, FileSystemStorage):
        target = Path(default_storage.location) / path
        if not target.exists():
            # Written aside and renamed: a crash mid-write never leaves a truncated file that
            # the existence check above would later take for the stored message.
            partial = target.with_name(f".{digest}.{os.getpid()}.part")
            try:
                partial.write_bytes(data)
            except FileNotFoundError:  # the folder's first file: make it only then
                target.parent.mkdir(parents=True, exist_ok=True)
                partial.write_bytes(data)
            os.replace(partial, target)
    elif not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return digest, path


@dataclass
class Prepared:
    """A message after the work that needs no database: files written, bytes parsed."""

    raw: bytes
    digest: str
    parsed: ParsedMessage | None = None
    error: str = ""  # why it will be quarantined, when it could not be parsed
    attachment_files: list[tuple[str, str]] = field(default_factory=list)  # (sha256, path) per attachment


def prepare(messages: list[bytes]) -> list[Prepared]:
    """Store and parse a batch outside any transaction, so that workers hold no lock meanwhile."""
    prepared = []
    for raw in messages:
        digest, _path = _store_file("raw", raw)
        item = Prepared(raw, digest)
        try:
            item.parsed = parse_message(raw)
            item.attachment_files = [_store_file("attachments", a.content) for a in item.parsed.attachments]
        except NotAnEmail as exc:
            item.error = f"not an email: {exc}"
        except Exception as exc:  # a parser bug must not stop the batch
            log.exception("parsing failed for raw %s", digest)
            item.parsed, item.error = None, failure_reason(exc)
        prepared.append(item)
    return prepared


def failure_reason(exc: BaseException) -> str:
    """Why a message was quarantined, as text any database stores (no lone surrogates, no NUL)."""
    text = f"{type(exc).__name__}: {exc}"
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")[:2000]


def store_raw(raw: bytes) -> RawMessage:
    return _raw_rows(prepare([raw]))[0]


def _raw_rows(prepared: list[Prepared]) -> list[RawMessage]:
    """The row of each message's stored bytes, in order; three queries for a batch."""
    wanted = {p.digest for p in prepared}
    found = dict(RawMessage.objects.filter(sha256__in=wanted).values_list("sha256", "pk"))
    missing = wanted - found.keys()
    if missing:
        sizes = {p.digest: len(p.raw) for p in prepared}
        RawMessage.objects.bulk_create(
            [RawMessage(sha256=d, size=sizes[d], path=stored_path("raw", d)) for d in missing],
            ignore_conflicts=True)  # another worker may store the same bytes at the same moment
        found.update(RawMessage.objects.filter(sha256__in=missing).values_list("sha256", "pk"))
    return [RawMessage(pk=found[p.digest], sha256=p.digest, size=len(p.raw)) for p in prepared]


@dataclass
class IngestResult:
    outcome: str  # "stored", "duplicate", "blocked", "quarantined"
    mail: Mail | None = None
    raw: RawMessage | None = None


def message_ingest(*, mailbox: Mailbox, raw: bytes, outgoing: bool | None = None,
                   followed_up: bool = False, own_addresses: set[str] | None = None) -> IngestResult:
    """Take one message in; see ingest_batch."""
    return ingest_batch(mailbox=mailbox, messages=[raw], outgoing=[outgoing], followed_up=followed_up,
                        own_addresses=own_addresses)[0]


@dataclass
class _Pending:
    """A parsed message on its way into the database."""

    index: int
    raw: RawMessage
    parsed: object
    outgoing: bool
    sender: str
    recipients: list[str]
    message_id: str
    content_hash: str = ""
    reused_id: bool = False  # another mail of this mailbox has the Message-ID: it starts its own thread
    files: list[tuple[str, str]] = field(default_factory=list)
    mail: Mail | None = None
    attachments: list[MailAttachment] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


def ingest_batch(*, mailbox: Mailbox, messages: list[bytes | Prepared], outgoing: list[bool | None] | None = None,
                 followed_up: bool = False, own_addresses: set[str] | None = None) -> list[IngestResult]:
    """Take a batch of messages in: store raw → parse → dedupe → match → route → persist.

    Never raises for a bad message: it is quarantined with the reason and the batch goes on.
    Lookups and inserts are made once per batch, not once per message. `outgoing` forces
    each message's direction (imported sent mail); `followed_up` (ADM-12) files the mail as
    already handled: deliveries start handled, and strangers' mail is stored without
    entering the undistributed queue. Callers that commit a batch at once pass messages
    from `prepare()`, called before the transaction opens.
    """
    if not messages:
        return []
    prepared = [m if isinstance(m, Prepared) else prepare([m])[0] for m in messages]
    forced = outgoing or [None] * len(prepared)
    ours = own_addresses if own_addresses is not None else set(Mailbox.objects.values_list("address", flat=True))
    raws = _raw_rows(prepared)
    results: list[IngestResult | None] = [None] * len(prepared)

    pending: list[_Pending] = []
    quarantined = []
    for index, (item, stored) in enumerate(zip(prepared, raws, strict=True)):
        parsed = item.parsed
        try:
            if parsed is None:
                raise _Unparsed(item.error)
            sender = parsed.from_.address if parsed.from_ else ""
            is_out = forced[index] if forced[index] is not None else sender in ours
            pending.append(_Pending(index, stored, parsed, is_out, sender,
                                    [a.address for a in parsed.to + parsed.cc], parsed.message_id[:300],
                                    content_hash=parsed.content_hash, files=item.attachment_files))
        except Exception as exc:
            reason = item.error if isinstance(exc, _Unparsed) else failure_reason(exc)
            quarantined.append(Quarantine(mailbox=mailbox, raw=stored, reason=reason))
            results[index] = IngestResult("quarantined", raw=stored)
    if quarantined:
        Quarantine.objects.bulk_create(quarantined)
    if not pending:
        return results
    try:
        with transaction.atomic():
            _take_in(mailbox, pending, results, ours, followed_up)
    except Exception:
        # One message is at fault; find it by taking the batch in one message at a time,
        # each in its own savepoint, and quarantine only that one.
        log.exception("a batch of %s for %s failed; taking its messages one by one", len(pending), mailbox)
        for item in pending:
            results[item.index] = None
        for item in pending:
            try:
                with transaction.atomic():
                    _take_in(mailbox, [item], results, ours, followed_up)
            except Exception as exc:
                log.exception("quarantined raw %s", item.raw.sha256)
                Quarantine.objects.create(mailbox=mailbox, raw=item.raw, reason=failure_reason(exc))
                results[item.index] = IngestResult("quarantined", raw=item.raw)
    return results


class _Unparsed(Exception):
    """A message prepare() could not parse (the reason is on the Prepared item)."""


def _take_in(mailbox: Mailbox, pending: list["_Pending"], results: list, ours: set[str], followed_up: bool) -> None:
    """Dedupe, route and persist; raises when a message cannot be stored (ingest_batch quarantines it)."""
    fresh, copies = _drop_duplicates(mailbox, pending, results)
    if fresh:
        _route_and_persist(mailbox, fresh, results, ours, followed_up)
    for copy, original in copies:
        results[copy.index] = IngestResult(
            "duplicate" if results[original.index].mail else results[original.index].outcome,
            results[original.index].mail, copy.raw)


def _route_and_persist(mailbox: Mailbox, pending: list["_Pending"], results: list, ours: set[str],
                       followed_up: bool) -> None:

    index = RoutingIndex(senders={p.sender for p in pending if not p.outgoing},
                         addresses={a for p in pending if p.outgoing for a in p.recipients})
    decisions = []
    blocked_counts: dict[int, int] = {}
    for item in list(pending):
        decision = route(mailbox=mailbox, sender=item.sender, recipients=item.recipients,
                         outgoing=item.outgoing, index=index)
        if decision.blocked is not None:
            blocked_counts[decision.blocked.pk] = blocked_counts.get(decision.blocked.pk, 0) + 1
            results[item.index] = IngestResult("blocked", raw=item.raw)
            pending.remove(item)
            continue
        if followed_up and decision.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER):
            decision.route = Mail.Route.ARCHIVED
            decision.facts["archived"] = True
        decisions.append(decision)
    for blocked_id, count in blocked_counts.items():
        BlockedAddress.objects.filter(pk=blocked_id).update(blocked_count=F("blocked_count") + count)
    if not pending:
        return

    strangers = {item.sender for item, d in zip(pending, decisions, strict=True) if not item.outgoing and d.customer is None}
    suggestions = suggest_customers(strangers, ours) if strangers else {}
    keys = thread_keys([ThreadFacts(
        message_id=item.message_id,
        parents=[p[:300] for p in [item.parsed.in_reply_to, *reversed(item.parsed.references)] if p],
        subject=item.parsed.thread_subject[:300],
        is_reply=bool(SUBJECT_PREFIX.match(item.parsed.subject)),
        participants=participants([item.sender, *item.recipients], ours),
        own_key=f"sha256:{item.raw.sha256}" if item.reused_id or not item.message_id else item.message_id,
        date=item.parsed.date,
    ) for item in pending], ours)

    limit = options.get("attachment_size_limit_mb") * 1024 * 1024
    state = Delivery.State.HANDLED if followed_up else Delivery.State.PENDING
    # DAILY-04: what leaves a personal mailbox is its owner's sent mail.
    owner = Employee.objects.filter(code=mailbox.owner.employee_code).first() if (
        mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.owner_id and mailbox.owner.employee_code
        and any(item.outgoing for item in pending)) else None
    for item, decision, key in zip(pending, decisions, keys, strict=True):
        parsed = item.parsed
        suggested = suggestions.get(item.sender.rpartition("@")[2]) if decision.customer is None else None
        if suggested is not None:
            decision.facts["suggested"] = {"code": suggested.code, "name": suggested.name}
        received_at = timezone.now()
        # A mail without a usable Date header is dated when it arrived, so date orders every list.
        item.mail = Mail(
            mailbox=mailbox, raw=item.raw, kind=parsed.kind,
            direction=Mail.Direction.OUT if item.outgoing else Mail.Direction.IN,
            message_id=item.message_id, content_hash=item.content_hash, in_reply_to=parsed.in_reply_to[:300],
            references=parsed.references[-50:], thread_subject=parsed.thread_subject[:300], thread_key=key[:300],
            subject=parsed.subject[:500], from_address=item.sender[:254],
            from_name=(parsed.from_.name if parsed.from_ else "")[:200],
            to=[str(a) for a in parsed.to], cc=[str(a) for a in parsed.cc], date=parsed.date or received_at,
            received_at=received_at,
            text=parsed.text, html=parsed.html, has_remote_images=parsed.has_remote_images,
            defects=parsed.defects[:50], customer=decision.customer, contact_id=decision.contact_id,
            route=decision.route, route_reason=decision.reason[:500], route_facts=decision.facts,
            suggested_customer=suggested, sent_by=owner if item.outgoing else None,
        )
        item.attachments = []  # built afresh: a failed batch is taken in again one message at a time
        for attachment, (digest, path) in zip(parsed.attachments, item.files, strict=True):
            item.attachments.append(MailAttachment(
                filename=attachment.filename[:255], content_type=attachment.content_type[:150],
                size=attachment.size, sha256=digest, path=path, content_id=attachment.content_id[:300],
                inline=attachment.inline, oversized=attachment.size > limit))
        item.deliveries = [Delivery(employee=e, reason=r, state=state) for e, r in decision.deliveries]

    try:
        with transaction.atomic():
            _persist(pending)
    except IntegrityError:  # another worker stored one of these Message-IDs a moment ago: go one by one
        for item in pending:
            try:
                with transaction.atomic():
                    _persist([item])
            except IntegrityError:
                item.mail = Mail.objects.filter(mailbox=mailbox, message_id=item.message_id,
                                                content_hash=item.content_hash).first()
                results[item.index] = IngestResult("duplicate", item.mail, item.raw)
    for item in pending:
        if results[item.index] is None:
            results[item.index] = IngestResult("stored", item.mail, item.raw)


def _drop_duplicates(mailbox: Mailbox, pending: list["_Pending"], results: list,
                     ) -> tuple[list["_Pending"], list[tuple["_Pending", "_Pending"]]]:
    """Mail this mailbox already has: the same Message-ID and content, or, without an id, the same bytes.

    One Message-ID with other content is another mail (shop and ERP systems reuse theirs);
    a stored mail without a content hash (taken in before hashes were kept) still counts as
    the same mail, until `tradeport mail reparse` gives it one. Returns the new messages, and
    the later copies within the batch with the message they repeat.
    """
    ids = {p.message_id for p in pending if p.message_id}
    raw_ids = {p.raw.pk for p in pending if not p.message_id}
    stored = Mail.objects.filter(mailbox=mailbox)
    by_id: dict[str, list[tuple[str, int, int]]] = {}
    if ids:
        for message_id, content_hash, raw_id, pk in stored.filter(message_id__in=ids).values_list(
                "message_id", "content_hash", "raw_id", "pk"):
            by_id.setdefault(message_id, []).append((content_hash, raw_id, pk))
    by_raw = dict(stored.filter(message_id="", raw_id__in=raw_ids).values_list("raw_id", "pk")) if raw_ids else {}
    fresh, copies, first, taken_ids = [], [], {}, set()
    for item in pending:
        same = None
        if item.message_id:
            key = (item.message_id, item.content_hash)
            same = next((pk for content_hash, raw_id, pk in by_id.get(item.message_id, [])
                         if content_hash in ("", item.content_hash) or raw_id == item.raw.pk), None)
        else:
            key = item.raw.pk
            same = by_raw.get(key)
        if same is not None:
            results[item.index] = IngestResult("duplicate", Mail(pk=same, mailbox=mailbox), item.raw)
        elif key in first:
            copies.append((item, first[key]))
        else:
            item.reused_id = bool(item.message_id) and (item.message_id in by_id or item.message_id in taken_ids)
            taken_ids.add(item.message_id)
            first[key] = item
            fresh.append(item)
    return fresh, copies


def _persist(items: list["_Pending"]) -> None:
    mails = Mail.objects.bulk_create([item.mail for item in items])
    attachments, deliveries = [], []
    for item, mail in zip(items, mails, strict=True):
        for attachment in item.attachments:
            attachment.mail = mail
            attachments.append(attachment)
        for delivery in item.deliveries:
            delivery.mail = mail
            deliveries.append(delivery)
    if attachments:
        MailAttachment.objects.bulk_create(attachments)
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
    # A reused Message-ID names the first mail that had it; its replies are not moved to the newcomer.
    adopt_orphans({item.message_id: item.mail.thread_key for item in items if item.message_id and not item.reused_id},
                  {item.mail.thread_subject for item in items if item.mail.thread_subject})
    reports = [(item.mail, item.parsed) for item in items if item.parsed.dsn or item.parsed.mdn]
    if reports:
        from tradeport.mail.sending import link_reports

        link_reports(reports)


# Fetching ---------------------------------------------------------------------------------

def lease_acquire(mailbox: Mailbox, owner: str = WORKER_ID) -> bool:
    """One worker per mailbox: a lease row that expires if its worker dies."""
    now = timezone.now()
    taken = Mailbox.objects.filter(pk=mailbox.pk).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner)
    ).update(lease_owner=owner, lease_until=now + LEASE)
    return bool(taken)


def lease_release(mailbox: Mailbox, owner: str = WORKER_ID) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, lease_owner=owner).update(lease_owner="", lease_until=None)


@dataclass
class FetchReport:
    stored: int = 0
    duplicates: int = 0
    blocked: int = 0
    quarantined: int = 0
    skipped: bool = False

    def add(self, outcome: str) -> None:
        attribute = {"stored": "stored", "duplicate": "duplicates", "blocked": "blocked",
                     "quarantined": "quarantined"}[outcome]
        setattr(self, attribute, getattr(self, attribute) + 1)

    def __str__(self) -> str:
        return (f"stored={self.stored} duplicates={self.duplicates} blocked={self.blocked} "
                f"quarantined={self.quarantined}")


def server_for(mailbox: Mailbox) -> protocols.Server:
    policy = settings.TRADEPORT_MAIL_PRIVATE_HOSTS
    allow_private = policy == "all" or (policy == "system" and mailbox.kind == Mailbox.Kind.SYSTEM)
    return protocols.Server(mailbox.host, mailbox.port or mailbox.default_port, mailbox.security,
                            mailbox.username or mailbox.address, mailbox.password, allow_private=allow_private)


# Someone waits for a connection test: it gives up sooner than a background fetch.
TEST_TIMEOUT = 15.0


def mailbox_test(mailbox: Mailbox, *, timeout: float | None = None) -> str:
    """MBOX-03: log in and open every folder; raises MailServerError naming the failure."""
    server = server_for(mailbox)
    if timeout:
        server = replace(server, timeout=timeout)
    if mailbox.protocol == Mailbox.Protocol.POP3:
        with protocols.Pop3Client(server) as client:
            count = len(client.uidls())
            return ngettext("POP3: %(n)s message on the server", "POP3: %(n)s messages on the server", count) % {
                "n": count}
    with protocols.ImapClient(server) as client:
        counts = []
        for folder in mailbox.fetch_folders:
            count = client.open(folder)[1]
            counts.append(ngettext("%(folder)s: %(n)s message", "%(folder)s: %(n)s messages", count) % {
                "folder": folder, "n": count})
    return "IMAP: " + ", ".join(counts)


def smtp_test(mailbox: Mailbox, *, timeout: float | None = None) -> str:
    """MBOX-03: connect to the sending server, EHLO, TLS as set, log in with the stored password, QUIT."""
    from tradeport.mail import sending

    server = sending.server_for(mailbox)
    if timeout:
        server = replace(server, timeout=timeout)
    with protocols.SmtpClient(server) as client:
        answer = client.answer()
    if server.username and server.password:
        return _("SMTP: signed in as %(user)s (%(answer)s)") % {"user": server.username, "answer": answer}
    return _("SMTP: %(host)s accepts the connection; no login is set (%(answer)s)") % {
        "host": server.host, "answer": answer}


@dataclass
class ConnectionCheck:
    """One part of a mailbox's connection test: `incoming` (IMAP/POP3) or `smtp`; `error` when it failed."""

    part: str
    result: str = ""
    error: protocols.MailServerError | None = None


def connection_checks(mailbox: Mailbox, *, incoming: bool = True, smtp: bool = True,
                      timeout: float = TEST_TIMEOUT) -> list[ConnectionCheck]:
    """MBOX-03: test receiving and sending as far as the mailbox has them set up; every failure is kept."""
    checks = []
    parts = []
    if incoming and mailbox.protocol != Mailbox.Protocol.NONE and mailbox.host:
        parts.append(("incoming", mailbox_test))
    if smtp and mailbox.smtp_host:
        parts.append(("smtp", smtp_test))
    for part, test in parts:
        try:
            checks.append(ConnectionCheck(part, result=test(mailbox, timeout=timeout)))
        except protocols.MailServerError as exc:
            checks.append(ConnectionCheck(part, error=exc))
        except ValueError as exc:  # the stored password cannot be decrypted with this key
            checks.append(ConnectionCheck(part, error=protocols.MailServerError("key", str(exc))))
    return checks


def fetch_mailbox(mailbox: Mailbox, *, worker: str = WORKER_ID) -> FetchReport:
    """MBOX-07: fetch what is new. The high-water mark moves only after each batch commits."""
    if mailbox.protocol == Mailbox.Protocol.NONE or not lease_acquire(mailbox, worker):
        return FetchReport(skipped=True)
    report = FetchReport()
    now = timezone.now()
    try:
        if mailbox.protocol == Mailbox.Protocol.POP3:
            _fetch_pop3(mailbox, report, worker)
        else:
            _fetch_imap(mailbox, report, worker)
    except Exception as exc:
        failures = mailbox.failures + 1
        backoff = timezone.timedelta(minutes=min(2 ** failures, 60))
        message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_fetch_at=now, last_error=message, failures=failures, next_fetch_at=now + backoff)
        lease_release(mailbox, worker)
        raise
    interval = mailbox.poll_interval_minutes or options.get("mail_poll_interval_minutes")
    Mailbox.objects.filter(pk=mailbox.pk).update(
        last_fetch_at=now, last_success_at=timezone.now(), last_error="", failures=0,
        next_fetch_at=now + timezone.timedelta(minutes=interval))
    lease_release(mailbox, worker)
    return report


def _renew(mailbox: Mailbox, worker: str) -> None:
    Mailbox.objects.filter(pk=mailbox.pk, lease_owner=worker).update(lease_until=timezone.now() + LEASE)


def _fetch_imap(mailbox: Mailbox, report: FetchReport, worker: str) -> None:
    with protocols.ImapClient(server_for(mailbox)) as client:
        for folder in mailbox.fetch_folders:
            validity, count = client.open(folder)
            state, _ = FolderState.objects.get_or_create(mailbox=mailbox, folder=folder, uidvalidity=validity)
            # Touched on every open: the newest state of a folder is the UIDVALIDITY the server uses now.
            FolderState.objects.filter(pk=state.pk).update(server_count=count, updated_at=timezone.now())
            # A new UIDVALIDITY starts from UID 0 again; Message-ID and content dedupe keeps
            # already stored mail from doubling, so the resync is safe (and never stops the mailbox).
            uids = client.uids_after(state.last_uid)
            ours = set(Mailbox.objects.values_list("address", flat=True))
            for start in range(0, len(uids), BATCH):
                batch = client.fetch(uids[start:start + BATCH])
                known = set(FetchLedger.objects.filter(
                    mailbox=mailbox, folder=folder, uidvalidity=validity,
                    uid__in=[str(uid) for uid, _raw in batch]).values_list("uid", flat=True))
                fresh = [(uid, raw) for uid, raw in batch if str(uid) not in known]
                prepared = prepare([raw for _uid, raw in fresh])
                with transaction.atomic():
                    results = ingest_batch(mailbox=mailbox, messages=prepared, own_addresses=ours)
                    for result in results:
                        report.add(result.outcome)
                    FetchLedger.objects.bulk_create([
                        FetchLedger(mailbox=mailbox, folder=folder, uidvalidity=validity, uid=str(uid), raw=result.raw)
                        for (uid, _raw), result in zip(fresh, results, strict=True)])
                    if batch:
                        FolderState.objects.filter(pk=state.pk).update(last_uid=max(uid for uid, _raw in batch))
                _renew(mailbox, worker)


def _fetch_pop3(mailbox: Mailbox, report: FetchReport, worker: str) -> None:
    with protocols.Pop3Client(server_for(mailbox)) as client:
        listing = client.uidls()
        known = set(FetchLedger.objects.filter(mailbox=mailbox, folder="POP3").values_list("uid", flat=True))
        FolderState.objects.update_or_create(mailbox=mailbox, folder="POP3", uidvalidity=0,
                                             defaults={"server_count": len(listing)})
        new = [(number, uid) for number, uid in listing if uid not in known]
        ours = set(Mailbox.objects.values_list("address", flat=True))
        for start in range(0, len(new), BATCH):
            chunk = new[start:start + BATCH]
            messages = prepare([client.retrieve(number) for number, _uid in chunk])
            with transaction.atomic():
                results = ingest_batch(mailbox=mailbox, messages=messages, own_addresses=ours)
                for result in results:
                    report.add(result.outcome)
                FetchLedger.objects.bulk_create([
                    FetchLedger(mailbox=mailbox, folder="POP3", uidvalidity=0, uid=uid, raw=result.raw)
                    for (_number, uid), result in zip(chunk, results, strict=True)])
            _renew(mailbox, worker)


def address_rule_transfer(*, address: str, employee: Employee | None, actor) -> Employee | None:
    """MAIL-14, MAIL-15: the address's future mail goes to `employee`; None removes its rule.

    Returns the salesperson the rule named before, if any. Mail already distributed stays where it is (QUE-10).
    """
    with transaction.atomic():
        rule = AddressRule.objects.select_for_update().select_related("employee").filter(address=address).first()
        previous = rule.employee if rule is not None else None
        if employee is None:
            if rule is not None:
                rule.delete()
        elif rule is None:
            AddressRule.objects.update_or_create(address=address, defaults={
                "employee": employee, "created_by": actor, "created_at": timezone.now()})
        elif rule.employee_id != employee.pk:
            rule.employee, rule.created_by, rule.created_at = employee, actor, timezone.now()
            rule.save(update_fields=["employee", "created_by", "created_at"])
    return previous
