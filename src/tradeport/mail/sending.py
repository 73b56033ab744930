"""Writing and sending mail (SEND-01..17, READ-02..05): compose defaults, message building, the outbox.

A submitted mail is built into bytes once and stored; the worker sends those bytes.
Delivery claims the row with a conditional UPDATE and a lease, so two workers never send
the same row. A worker that dies after the SMTP server took the message but before the
commit leaves the row "sending" with an expired lease: it is then marked failed and
never resent by itself, so a recipient gets at most one copy. When the author retries it,
the worker first searches the mailbox's Sent folder (IMAP) for its Message-ID: the copy is
stored there right after the SMTP server accepts, so a send interrupted after that point is
recognised as sent. The window left is between the server's acceptance and that copy.
"""

import email.policy
import re
import smtplib
import uuid
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, getaddresses, make_msgid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeport.customers.addresses import normalise
from tradeport.mail import protocols
from tradeport.mail.models import (
    Delivery,
    Mail,
    Mailbox,
    MailEvent,
    OutgoingAttachment,
    OutgoingMail,
)
from tradeport.mail.protocols import MailServerError

LEASE = timezone.timedelta(minutes=5)
# Minutes to wait after each temporary failure; past the last one the mail is failed.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
SEPARATORS = re.compile(r"[;,；，\n]+")  # full-width too: typed with a Chinese input method


class ComposeError(Exception):
    pass


# Who may send from where --------------------------------------------------------------------

def sendable_mailboxes(user):
    """SEND-03: the system mailboxes, and the user's own personal ones; only those with an SMTP server."""
    return Mailbox.objects.exclude(smtp_host="").filter(
        Q(kind=Mailbox.Kind.SYSTEM) | Q(kind=Mailbox.Kind.PERSONAL, owner=user)).order_by("kind", "address")


def split_addresses(text: str) -> list[str]:
    """SEND-02: addresses typed one after another, separated by ";" (or "," or new lines).
    Raises ValidationError naming each address that is not one."""
    found, wrong = [], []
    for part in SEPARATORS.split(text or ""):
        part = part.strip()
        if not part:
            continue
        _name, address = getaddresses([part])[0]
        try:
            address = normalise(address)  # lower case, and an internationalised domain in IDNA form
        except ValidationError:
            wrong.append(part)
            continue
        if address.lower() not in (a.lower() for a in found):
            found.append(address)
    if wrong:
        raise ValidationError(_("Not an email address: %(list)s") % {"list": "; ".join(wrong)})
    return found


# Defaults for reply and forward --------------------------------------------------------------

def _prefixed(prefix: str, subject: str) -> str:
    stripped = subject.strip()
    if stripped.lower().startswith(prefix.lower()):
        return stripped
    return f"{prefix} {stripped}".strip()


def _quoted(mail: Mail) -> str:
    when = timezone.localtime(mail.date or mail.received_at).strftime("%Y-%m-%d %H:%M")
    header = _("On %(when)s, %(sender)s wrote:") % {"when": when, "sender": mail.from_name or mail.from_address}
    lines = (mail.text or "").splitlines()
    return "\n\n" + header + "\n" + "\n".join("> " + line if line else ">" for line in lines)


def _forwarded(mail: Mail) -> str:
    rows = [
        _("---------- Forwarded message ----------"),
        _("From: %(value)s") % {"value": f"{mail.from_name} <{mail.from_address}>".strip()},
        _("Date: %(value)s") % {"value": timezone.localtime(mail.date or mail.received_at).strftime("%Y-%m-%d %H:%M")},
        _("Subject: %(value)s") % {"value": mail.subject},
        _("To: %(value)s") % {"value": ", ".join(mail.to)},
    ]
    return "\n\n" + "\n".join(rows) + "\n\n" + (mail.text or "")


def _bare(headers: list[str]) -> list[str]:
    """Addresses as stored ("Name <a@b>") down to the address itself."""
    return [address for _name, address in getaddresses(headers) if address]


def own_addresses() -> set[str]:
    return {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}


def defaults_for(kind: str, source: Mail | None, user) -> dict:
    """The form's starting values for a reply, a reply to all, a forward or a new mail."""
    from tradeport.mail.models import SenderSettings

    mailboxes = list(sendable_mailboxes(user))
    preferences = SenderSettings.objects.filter(account=user).first()
    preferred = preferences.default_mailbox_id if preferences else None
    # SEND-03: a reply leaves from the mailbox the mail came to; anything else from the user's default.
    mailbox = (next((m for m in mailboxes if source and m.pk == source.mailbox_id), None)
               or next((m for m in mailboxes if m.pk == preferred), None)
               or (mailboxes[0] if mailboxes else None))
    signature = f"\n\n-- \n{preferences.signature.strip()}" if preferences and preferences.signature.strip() else ""
    initial = {"mailbox": mailbox.pk if mailbox else None, "kind": kind, "body": signature}
    if source is None:
        return initial
    ours = own_addresses()
    if kind in (OutgoingMail.Kind.REPLY, OutgoingMail.Kind.REPLY_ALL):
        # A reply to our own sent mail goes back to its recipients.
        to = _bare(source.to) if source.direction == Mail.Direction.OUT else [source.from_address]
        cc = []
        if kind == OutgoingMail.Kind.REPLY_ALL:  # READ-03: everyone on the original but ourselves
            taken = {a.lower() for a in to} | ours
            cc = [a for a in dict.fromkeys(_bare([*source.to, *source.cc])) if a.lower() not in taken]
        initial.update(to="; ".join(to), cc="; ".join(cc), subject=_prefixed("Re:", source.subject),
                       body=signature + _quoted(source))
    else:
        initial.update(subject=_prefixed("Fwd:", source.subject),
                       body=signature + ("" if kind == OutgoingMail.Kind.FORWARD_ATTACHED else _forwarded(source)))
    return initial


# Building the message ------------------------------------------------------------------------

def _attach(message: EmailMessage, data: bytes, filename: str, content_type: str) -> None:
    """Chinese filenames go out as RFC 2231 (filename*= and name*=), which Outlook 2010+, Foxmail and Gmail read."""
    maintype, _slash, subtype = (content_type or "application/octet-stream").partition("/")
    if maintype in ("text", "message", "multipart"):  # sent as bytes: the original charset is kept
        maintype, subtype = "application", "octet-stream"
    message.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    message.get_payload()[-1].set_param("name", filename)


def _attach_original(message: EmailMessage, filename: str) -> bytes:
    """READ-05: a message/rfc822 part holding a placeholder; build() puts the original's bytes in its place
    afterwards, so they travel untouched (parsed and rebuilt, 8-bit headers would be lost)."""
    placeholder = f"tradeport-original-{uuid.uuid4().hex}"
    part = MIMEPart(policy=message.policy)
    part["Content-Type"] = "message/rfc822"
    part["Content-Transfer-Encoding"] = "8bit"
    part["Content-Disposition"] = "attachment"
    part.set_param("filename", filename, header="Content-Disposition")
    part.set_payload(placeholder)
    message.make_mixed()
    message.attach(part)
    return placeholder.encode()


def build(outgoing: OutgoingMail, *, sender_name: str = "") -> bytes:
    """The message as it will leave: our Message-ID, threading headers, encoded Chinese (RFC 2047/2231)."""
    message = EmailMessage(policy=email.policy.SMTP)
    originals: dict[bytes, bytes] = {}
    mailbox = outgoing.mailbox
    name = sender_name or mailbox.display_name or (outgoing.employee.name if outgoing.employee_id else "")
    message["From"] = Address(display_name=name, addr_spec=mailbox.address)
    if outgoing.to:
        message["To"] = ", ".join(outgoing.to)
    if outgoing.cc:
        message["Cc"] = ", ".join(outgoing.cc)
    message["Subject"] = outgoing.subject
    message["Date"] = format_datetime(timezone.localtime(max(outgoing.send_at or timezone.now(), timezone.now())))
    message["Message-ID"] = outgoing.message_id
    source = outgoing.source
    if source is not None and source.message_id and outgoing.kind in (OutgoingMail.Kind.REPLY,
                                                                       OutgoingMail.Kind.REPLY_ALL):
        message["In-Reply-To"] = source.message_id
        message["References"] = " ".join([*source.references[-20:], source.message_id])
    if outgoing.read_receipt:
        message["Disposition-Notification-To"] = mailbox.address
    # ASCII: 7bit, or quoted-printable when a line is too long for SMTP; anything else: base64.
    message.set_content(outgoing.body or "", cte=None if outgoing.body.isascii() else "base64")
    if source is not None and outgoing.kind == OutgoingMail.Kind.FORWARD:
        for attachment in source.attachments.filter(inline=False, oversized=False):
            with default_storage.open(attachment.path, "rb") as handle:
                _attach(message, handle.read(), attachment.filename or "attachment", attachment.content_type)
    if source is not None and outgoing.kind == OutgoingMail.Kind.FORWARD_ATTACHED:
        with default_storage.open(source.raw.path, "rb") as handle:
            raw = handle.read()
        name = re.sub(r'[\\/:*?"<>|\r\n]+', "_", source.subject or "message")[:80] + ".eml"
        originals[_attach_original(message, name)] = re.sub(rb"\r?\n", b"\r\n", raw).rstrip(b"\r\n")
    for attachment in outgoing.attachments.all():
        with default_storage.open(attachment.path, "rb") as handle:
            _attach(message, handle.read(), attachment.filename, attachment.content_type)
    data = message.as_bytes()
    if originals and any(message.get_boundary().encode() in o for o in originals.values()):
        message.set_boundary(f"tradeport-{uuid.uuid4().hex}")  # the generator only checked the placeholder
        data = message.as_bytes()
    for placeholder, original in originals.items():
        data = data.replace(placeholder, original, 1)
    return data


def store_attachment(outgoing: OutgoingMail, upload) -> OutgoingAttachment:
    return OutgoingAttachment.stored(upload, outgoing=outgoing)


def reviewer_for(user):
    """SEND-12: the account that must approve this user's mail, if any."""
    from tradeport.mail.models import ReviewerAssignment

    assignment = ReviewerAssignment.objects.select_related("reviewer").filter(account=user).first()
    return assignment.reviewer if assignment else None


def submit(outgoing: OutgoingMail, *, sender_name: str = "") -> None:
    """Into the outbox: build and store the bytes; then wait for the reviewer (SEND-10, no bypass),
    or send at the scheduled time (SEND-08), or as soon as a worker is free."""
    from tradeport.mail.services import _store_file

    if not outgoing.recipients:
        raise ComposeError(_("Add at least one recipient."))
    domain = outgoing.mailbox.address.rpartition("@")[2] or "tradeport.invalid"
    outgoing.message_id = outgoing.message_id or make_msgid(domain=domain)
    raw = build(outgoing, sender_name=sender_name)
    _digest, outgoing.raw_path = _store_file("raw", raw)
    outgoing.reviewer = reviewer_for(outgoing.author)
    outgoing.last_error = ""
    outgoing.review_comment = ""
    outgoing.updated_at = timezone.now()
    if outgoing.reviewer is not None:
        outgoing.state = OutgoingMail.State.AWAITING
        outgoing.next_attempt_at = None
        outgoing.save()
        return
    outgoing.state = OutgoingMail.State.QUEUED
    outgoing.next_attempt_at = max(outgoing.send_at or timezone.now(), timezone.now())
    outgoing.save()
    transaction.on_commit(lambda: _enqueue(outgoing.pk))


def approve(outgoing: OutgoingMail, *, reviewer, version=None) -> bool:
    """SEND-11: the mail leaves at once, or at its scheduled time, dated then (built again: same Message-ID).
    `version` is the `updated_at` the reviewer read: a mail changed since is not approved unseen."""
    from tradeport.mail.services import _store_file

    now = timezone.now()
    same = {"updated_at": version} if version is not None else {}
    with transaction.atomic():
        changed = OutgoingMail.objects.filter(pk=outgoing.pk, state=OutgoingMail.State.AWAITING,
                                              reviewer=reviewer, **same).update(
            state=OutgoingMail.State.QUEUED, next_attempt_at=max(outgoing.send_at or now, now), reviewed_by=reviewer,
            reviewed_at=now, review_comment="", updated_at=now)
        if changed:
            fresh = OutgoingMail.objects.select_related("mailbox", "source", "employee").get(pk=outgoing.pk)
            _digest, raw_path = _store_file("raw", build(fresh))
            OutgoingMail.objects.filter(pk=outgoing.pk).update(raw_path=raw_path)
            transaction.on_commit(lambda: _enqueue(outgoing.pk))
    return bool(changed)


def reassign_waiting(account, reviewer) -> int:
    """SEND-12 changed: what waits goes to the new reviewer; with none, back to the drafts to send again."""
    from tradeport.mail.models import MassMailing

    waiting = OutgoingMail.objects.filter(author=account, state=OutgoingMail.State.AWAITING)
    mailings = MassMailing.objects.filter(author=account, state=MassMailing.State.AWAITING)
    if reviewer is not None:
        return waiting.update(reviewer=reviewer) + mailings.update(reviewer=reviewer)
    note = _("Approval is no longer needed for your mail: send it again.")
    return waiting.update(state=OutgoingMail.State.DRAFT, raw_path="", reviewer=None, updated_at=timezone.now(),
                          review_comment=note) + mailings.update(state=MassMailing.State.DRAFT, reviewer=None,
                                                                 review_comment=note)


def reject(outgoing: OutgoingMail, *, reviewer, comment: str, version=None) -> bool:
    """SEND-11: back to the author's drafts with the reviewer's comment."""
    now = timezone.now()
    same = {"updated_at": version} if version is not None else {}
    return bool(OutgoingMail.objects.filter(pk=outgoing.pk, state=OutgoingMail.State.AWAITING,
                                            reviewer=reviewer, **same).update(
        state=OutgoingMail.State.DRAFT, raw_path="", reviewed_by=reviewer, reviewed_at=now, review_comment=comment,
        updated_at=now))


def _enqueue(outgoing_id: int) -> None:
    from tradeport.mail.tasks import send_outgoing

    send_outgoing.enqueue(outgoing_id=outgoing_id)


def customer_zone(outgoing_to: list[str], source: Mail | None):
    """SEND-08: the time zone of the customer this mail goes to (the answered mail's, else the first
    recipient's); None when no recipient is a customer with a known zone."""
    import zoneinfo

    from tradeport.customers.addresses import normalise
    from tradeport.customers.models import EmailAddress

    customer = source.customer if source is not None and source.customer_id else None
    if customer is None and outgoing_to:
        wanted = [normalise(a) for a in outgoing_to]
        found = {e.address: e.customer for e in EmailAddress.objects.select_related("customer__region").filter(
            address__in=wanted)}
        customer = next((found[a] for a in wanted if a in found), None)
    zones = customer.region.effective_time_zones() if customer is not None and customer.region_id else []
    return zoneinfo.ZoneInfo(zones[0]) if zones else None


def retry(outgoing: OutgoingMail) -> bool:
    """SEND-17: a failed mail goes back into the outbox, with the same bytes and Message-ID."""
    changed = OutgoingMail.objects.filter(pk=outgoing.pk, state=OutgoingMail.State.FAILED).update(
        state=OutgoingMail.State.QUEUED, next_attempt_at=timezone.now(), attempts=0, last_error="",
        updated_at=timezone.now())
    if changed:
        transaction.on_commit(lambda: _enqueue(outgoing.pk))
    return bool(changed)


def cancel(outgoing: OutgoingMail) -> bool:
    """A mail still waiting returns to the drafts (SEND-08: editable until it leaves)."""
    # Edited, it is a new message: a new Message-ID, and no search for the old one's copy.
    return bool(OutgoingMail.objects.filter(pk=outgoing.pk, state__in=[
        OutgoingMail.State.QUEUED, OutgoingMail.State.FAILED, OutgoingMail.State.AWAITING]).update(
        state=OutgoingMail.State.DRAFT, raw_path="", message_id="", interrupted=False, updated_at=timezone.now()))


# Delivery ------------------------------------------------------------------------------------

def server_for(mailbox: Mailbox) -> protocols.Server:
    from django.conf import settings

    policy = settings.TRADEPORT_MAIL_PRIVATE_HOSTS
    allow_private = policy == "all" or (policy == "system" and mailbox.kind == Mailbox.Kind.SYSTEM)
    security = mailbox.smtp_security
    port = mailbox.smtp_port or (465 if security == Mailbox.Security.SSL else 587 if security == "starttls" else 25)
    return protocols.Server(mailbox.smtp_host, port, security, mailbox.smtp_username,
                            mailbox.smtp_password, allow_private=allow_private)


def _claim(outgoing_id: int) -> bool:
    now = timezone.now()
    return bool(OutgoingMail.objects.filter(
        pk=outgoing_id, state=OutgoingMail.State.QUEUED, next_attempt_at__lte=now).update(
        state=OutgoingMail.State.SENDING, lease_until=now + LEASE, attempts=F("attempts") + 1,
        updated_at=now))


def _server_words(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}"


def deliver(outgoing_id: int) -> str:
    """Send one outbox row if it is due; the outcome is on the row."""
    if not _claim(outgoing_id):
        return "not due"
    outgoing = OutgoingMail.objects.select_related("mailbox", "source", "employee").get(pk=outgoing_id)
    with default_storage.open(outgoing.raw_path, "rb") as handle:
        raw = handle.read()
    if outgoing.interrupted and _copy_in_sent_folder(outgoing):
        _sent(outgoing, raw, {}, copy_note=_("The interrupted attempt had reached the server; not sent again."))
        return "found"
    try:
        with protocols.SmtpClient(server_for(outgoing.mailbox)) as client:
            refused = client.send(outgoing.mailbox.address, outgoing.recipients, raw)
    except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused
        words = "; ".join(f"{a}: {c} {m.decode(errors='replace')}" for a, (c, m) in exc.recipients.items())
        temporary = all(400 <= c < 500 for c, _m in exc.recipients.values())
        return _failed(outgoing, words, temporary=temporary)
    except smtplib.SMTPResponseException as exc:
        return _failed(outgoing, _server_words(exc), temporary=400 <= exc.smtp_code < 500)
    except MailServerError as exc:
        return _failed(outgoing, exc.message, temporary=exc.kind not in ("auth", "private", "dns"))
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(outgoing, str(exc) or exc.__class__.__name__, temporary=True)
    note = _append_copy(outgoing, raw)
    _sent(outgoing, raw, {a: f"{c} {m.decode(errors='replace')}" for a, (c, m) in refused.items()}, copy_note=note)
    return "sent"


def _imap_server(mailbox: Mailbox):
    from tradeport.mail.services import server_for as imap_server_for

    if mailbox.protocol != Mailbox.Protocol.IMAP or not mailbox.host:
        return None
    return imap_server_for(mailbox)


def _append_copy(outgoing: OutgoingMail, raw: bytes) -> str:
    """SEND-14: a copy in the mailbox's Sent folder, so other mail programs see it too. Best effort:
    the mail has already left, so a failure here is noted, not retried."""
    server = _imap_server(outgoing.mailbox)
    if server is None:
        return ""
    try:
        with protocols.ImapClient(server) as client:
            folder = client.sent_folder()
            if folder is None:
                return _("The server has no Sent folder; no copy was stored there.")
            client.append(folder, raw)
            return _("Copy stored in %(folder)s.") % {"folder": folder}
    except MailServerError as exc:
        return _("Sent, but the copy for the Sent folder failed: %(reason)s") % {"reason": exc.message}


def _copy_in_sent_folder(outgoing: OutgoingMail) -> bool:
    """The Message-ID check that closes the window of an interrupted send (see the module docstring)."""
    server = _imap_server(outgoing.mailbox)
    if server is None or not outgoing.message_id:
        return False
    try:
        with protocols.ImapClient(server) as client:
            folder = client.sent_folder()
            return folder is not None and client.has_message_id(folder, outgoing.message_id)
    except MailServerError:
        return False


def _failed(outgoing: OutgoingMail, words: str, *, temporary: bool) -> str:
    now = timezone.now()
    if temporary and outgoing.attempts <= len(BACKOFF_MINUTES):
        wait = timezone.timedelta(minutes=BACKOFF_MINUTES[outgoing.attempts - 1])
        OutgoingMail.objects.filter(pk=outgoing.pk).update(
            state=OutgoingMail.State.QUEUED, next_attempt_at=now + wait, last_error=words, lease_until=None,
            updated_at=now)
        return "retry"
    OutgoingMail.objects.filter(pk=outgoing.pk).update(
        state=OutgoingMail.State.FAILED, last_error=words, lease_until=None, updated_at=now)
    return "failed"


@transaction.atomic
def _sent(outgoing: OutgoingMail, raw: bytes, refused: dict, *, copy_note: str = "") -> None:
    """Filed as sent mail (SEND-14, MAIL-16): the customer's history, the author's Sent list."""
    from tradeport.mail import triage
    from tradeport.mail.services import message_ingest

    result = message_ingest(mailbox=outgoing.mailbox, raw=raw, outgoing=True, followed_up=True)
    mail = result.mail or Mail.objects.filter(mailbox=outgoing.mailbox, message_id=outgoing.message_id).first()
    now = timezone.now()
    if mail is not None:  # SEND-09: the reply extras belong to the sent mail's follow-up record
        Mail.objects.filter(pk=mail.pk).update(sent_by=outgoing.employee, purpose=outgoing.purpose,
                                               next_contact=outgoing.next_contact, remarks=outgoing.remarks)
    OutgoingMail.objects.filter(pk=outgoing.pk).update(
        state=OutgoingMail.State.SENT, sent_at=now, mail=mail, refused=refused, lease_until=None,
        last_error="", interrupted=False, copy_note=copy_note[:300], updated_at=now)
    if mail is not None and mail.customer_id and outgoing.employee is not None:
        from tradeport.followup import reminders

        # FUP-16: mail to the customer completes the reminder; SEND-09's date sets the next (FUP-11).
        reminders.complete(mail.customer, outgoing.employee, actor=outgoing.author, how="mail")
        if outgoing.next_contact:
            reminders.schedule(mail.customer, outgoing.employee, outgoing.next_contact, source="reply",
                               actor=outgoing.author, mail=mail)
    source = outgoing.source
    if source is not None:
        action = MailEvent.Action.REPLIED if outgoing.kind in (
            OutgoingMail.Kind.REPLY, OutgoingMail.Kind.REPLY_ALL) else MailEvent.Action.FORWARDED
        MailEvent.objects.create(mail=source, action=action, actor=outgoing.author, employee=outgoing.employee,
                                 note=", ".join(outgoing.to))
        if outgoing.follow_up_source and outgoing.employee is not None:
            triage.mark_followed_up(source, employee=outgoing.employee, actor=outgoing.author, followed_up=True,
                                    purpose=source.purpose, products=list(source.products.all()),
                                    category=source.category, follow_up_days=outgoing.follow_up_days)


def due_ids(now=None) -> list[int]:
    now = now or timezone.now()
    return list(OutgoingMail.objects.filter(state=OutgoingMail.State.QUEUED, next_attempt_at__lte=now)
                .order_by("next_attempt_at").values_list("pk", flat=True)[:500])


def release_stale(now=None) -> int:
    """A worker died mid-send: the server may already have the mail, so it is not resent by itself."""
    now = now or timezone.now()
    return OutgoingMail.objects.filter(state=OutgoingMail.State.SENDING, lease_until__lt=now).update(
        state=OutgoingMail.State.FAILED, lease_until=None, updated_at=now, interrupted=True,
        last_error=_("Sending was interrupted; the mail may already have left. Retrying first looks for it "
                     "in the mailbox's Sent folder; without one, check with the recipient before you retry."))


# Reports on sent mail -------------------------------------------------------------------------

def link_reports(reports: list) -> None:
    """Bounces (DSN) and read receipts (MDN) taken in: linked to the sent mail they report on, filed with its
    customer and out of the triage queue; a permanent failure flags the address (SEND-07, SEND-17)."""
    from tradeport.mail.models import BouncedAddress, TriageAction

    originals = {m.message_id: m for m in Mail.objects.filter(
        direction=Mail.Direction.OUT,
        message_id__in=[(p.dsn or p.mdn).original_message_id for _m, p in reports
                        if (p.dsn or p.mdn).original_message_id])}
    now = timezone.now()
    for mail, parsed in reports:
        original = originals.get((parsed.dsn or parsed.mdn).original_message_id)
        if original is None:
            continue
        Mail.objects.filter(pk=mail.pk).update(
            report_for=original, customer_id=original.customer_id, triaged_at=now,
            triage_action=TriageAction.REPORT)
        Delivery.objects.filter(mail=mail).delete()
        outgoing = OutgoingMail.objects.filter(mail=original).first()
        if parsed.mdn is not None:
            if outgoing is not None and outgoing.read_at is None:
                OutgoingMail.objects.filter(pk=outgoing.pk).update(read_at=mail.date or now)
            continue
        dsn = parsed.dsn
        permanent = dsn.status.startswith("5")
        if outgoing is not None:
            bounces = {**outgoing.bounces, **{a: f"{dsn.status} {dsn.diagnostic}".strip() for a in dsn.recipients}}
            OutgoingMail.objects.filter(pk=outgoing.pk).update(bounces=bounces)
        if permanent:
            for address in dsn.recipients:
                BouncedAddress.objects.update_or_create(address=address, defaults={
                    "status": dsn.status[:20], "reason": dsn.diagnostic, "report": mail, "bounced_at": now})
