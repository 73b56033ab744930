"""The intake pipeline: store raw → parse → dedupe → match → route → persist; and fetching."""

import hashlib
import logging
import os
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from tradeport.mail import protocols
from tradeport.mail.models import (
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
from tradeport.mail.parsing import NotAnEmail, parse_message
from tradeport.mail.routing import route
from tradeport.system import options

log = logging.getLogger(__name__)
BATCH = 100
# Renewed after every batch; a dead worker blocks its mailbox for at most this long.
LEASE = timezone.timedelta(minutes=2)
WORKER_ID = f"{os.uname().nodename}:{os.getpid()}"


def _store_file(folder: str, data: bytes) -> tuple[str, str]:
    """Content-addressed storage: the same bytes are stored once."""
    digest = hashlib.sha256(data).hexdigest()
    path = f"{folder}/{digest[:2]}/{digest[2:4]}/{digest}"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    return digest, path


def store_raw(raw: bytes) -> RawMessage:
    digest, path = _store_file("raw", raw)
    stored = RawMessage.objects.filter(sha256=digest).first()
    if stored is None:
        stored, _ = RawMessage.objects.get_or_create(sha256=digest, defaults={"size": len(raw), "path": path})
    return stored


@dataclass
class IngestResult:
    outcome: str  # "stored", "duplicate", "blocked", "quarantined"
    mail: Mail | None = None
    raw: RawMessage | None = None


def message_ingest(*, mailbox: Mailbox, raw: bytes, outgoing: bool | None = None,
                   followed_up: bool = False, own_addresses: set[str] | None = None) -> IngestResult:
    """Take one message in. Never raises for a bad message: it is quarantined with the reason.

    `outgoing` forces the direction (imported sent mail); `followed_up` (ADM-12) files the
    mail as already handled: deliveries start handled, and strangers' mail is stored
    without entering the undistributed queue.
    """
    stored = store_raw(raw)
    try:
        parsed = parse_message(raw)
    except NotAnEmail as exc:
        Quarantine.objects.create(mailbox=mailbox, raw=stored, reason=f"not an email: {exc}")
        return IngestResult("quarantined", raw=stored)
    except Exception as exc:  # a parser bug must not stop the batch
        log.exception("parsing failed for raw %s", stored.sha256)
        Quarantine.objects.create(mailbox=mailbox, raw=stored, reason=f"{type(exc).__name__}: {exc}")
        return IngestResult("quarantined", raw=stored)

    duplicates = Mail.objects.filter(mailbox=mailbox)
    duplicate_id = (duplicates.filter(message_id=parsed.message_id) if parsed.message_id
                    else duplicates.filter(raw=stored)).values_list("pk", flat=True).first()
    if duplicate_id is not None:
        return IngestResult("duplicate", Mail(pk=duplicate_id, mailbox=mailbox), stored)

    sender = parsed.from_.address if parsed.from_ else ""
    recipients = [a.address for a in parsed.to + parsed.cc]
    ours = own_addresses if own_addresses is not None else set(Mailbox.objects.values_list("address", flat=True))
    if outgoing is None:
        outgoing = sender in ours
    decision = route(mailbox=mailbox, sender=sender, recipients=recipients, outgoing=outgoing)
    if followed_up and decision.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER):
        decision.route = Mail.Route.ARCHIVED
        decision.reason += " (imported as already handled)"
    if decision.blocked is not None:
        BlockedAddress.objects.filter(pk=decision.blocked.pk).update(blocked_count=F("blocked_count") + 1)
        return IngestResult("blocked", raw=stored)
    try:
        with transaction.atomic():
            mail = Mail.objects.create(
                mailbox=mailbox, raw=stored, kind=parsed.kind,
                direction=Mail.Direction.OUT if outgoing else Mail.Direction.IN,
                message_id=parsed.message_id[:300], in_reply_to=parsed.in_reply_to[:300],
                references=parsed.references[-50:], thread_subject=parsed.thread_subject[:300],
                subject=parsed.subject[:500], from_address=sender[:254],
                from_name=(parsed.from_.name if parsed.from_ else "")[:200],
                to=[str(a) for a in parsed.to], cc=[str(a) for a in parsed.cc], date=parsed.date,
                text=parsed.text, html=parsed.html, has_remote_images=parsed.has_remote_images,
                defects=parsed.defects[:50], customer=decision.customer, contact_id=decision.contact_id,
                route=decision.route, route_reason=decision.reason[:500],
            )
            if parsed.attachments:
                limit = options.get("attachment_size_limit_mb") * 1024 * 1024
                rows = []
                for attachment in parsed.attachments:
                    digest, path = _store_file("attachments", attachment.content)
                    rows.append(MailAttachment(
                        mail=mail, filename=attachment.filename[:255], content_type=attachment.content_type[:150],
                        size=attachment.size, sha256=digest, path=path, content_id=attachment.content_id[:300],
                        inline=attachment.inline, oversized=attachment.size > limit))
                MailAttachment.objects.bulk_create(rows)
            state = Delivery.State.HANDLED if followed_up else Delivery.State.PENDING
            if decision.deliveries:
                Delivery.objects.bulk_create([Delivery(mail=mail, employee=e, reason=r, state=state)
                                              for e, r in decision.deliveries])
    except IntegrityError:  # another worker stored the same Message-ID a moment ago
        return IngestResult("duplicate", Mail.objects.filter(mailbox=mailbox, message_id=parsed.message_id).first(),
                            stored)
    return IngestResult("stored", mail, stored)


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
    return protocols.Server(mailbox.host, mailbox.port or mailbox.default_port, mailbox.security,
                            mailbox.username or mailbox.address, mailbox.password)


def mailbox_test(mailbox: Mailbox) -> str:
    """MBOX-03: log in and open every folder; raises MailServerError naming the failure."""
    if mailbox.protocol == Mailbox.Protocol.POP3:
        with protocols.Pop3Client(server_for(mailbox)) as client:
            return f"POP3: {len(client.uidls())} messages on the server"
    with protocols.ImapClient(server_for(mailbox)) as client:
        counts = [f"{folder}: {client.open(folder)[1]}" for folder in mailbox.fetch_folders]
    return "IMAP: " + ", ".join(counts)


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
            FolderState.objects.filter(pk=state.pk).update(server_count=count)
            # A new UIDVALIDITY starts from UID 0 again; Message-ID and content dedupe keeps
            # already stored mail from doubling, so the resync is safe (and never stops the mailbox).
            uids = client.uids_after(state.last_uid)
            ours = set(Mailbox.objects.values_list("address", flat=True))
            for start in range(0, len(uids), BATCH):
                batch = client.fetch(uids[start:start + BATCH])
                known = set(FetchLedger.objects.filter(
                    mailbox=mailbox, folder=folder, uidvalidity=validity,
                    uid__in=[str(uid) for uid, _raw in batch]).values_list("uid", flat=True))
                with transaction.atomic():
                    ledger = []
                    for uid, raw in batch:
                        if str(uid) in known:
                            continue
                        result = message_ingest(mailbox=mailbox, raw=raw, own_addresses=ours)
                        report.add(result.outcome)
                        ledger.append(FetchLedger(mailbox=mailbox, folder=folder, uidvalidity=validity,
                                                  uid=str(uid), raw=result.raw))
                    FetchLedger.objects.bulk_create(ledger)
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
        for start in range(0, len(new), BATCH):
            with transaction.atomic():
                for number, uid in new[start:start + BATCH]:
                    result = message_ingest(mailbox=mailbox, raw=client.retrieve(number))
                    report.add(result.outcome)
                    FetchLedger.objects.create(mailbox=mailbox, folder="POP3", uidvalidity=0, uid=uid, raw=result.raw)
            _renew(mailbox, worker)
