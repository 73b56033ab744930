"""Mass mail (MASS-01..07): recipients from customers or a file, one message each, throttled.

The sender claims a batch of recipients (pending → sending) in one UPDATE, sends each over one
SMTP connection, then records the batch in one transaction: statuses, counters, and the sent
messages filed with the customers they went to (MASS-06). A worker that dies mid-batch leaves
those recipients "sending"; they are marked failed as "may have been sent", never resent by
themselves, like single mail (see sending.py).
"""

import csv
import email.policy
import re
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeport.customers.addresses import normalise
from tradeport.customers.models import Customer, EmailAddress
from tradeport.mail import protocols, sending
from tradeport.mail.models import (
    BlockedAddress,
    BouncedAddress,
    Mail,
    MassAttachment,
    MassMailing,
    MassRecipient,
    OptOut,
    RawMessage,
)
from tradeport.mail.protocols import MailServerError
from tradeport.system import options

BATCH = 100
SEPARATORS = re.compile(r"[;,；，\s]+")
ADDRESS_LENGTH = 254
LEASE = timezone.timedelta(minutes=5)
# Personalisation fields (MASS-02), in English and Chinese.
FIELDS = {"{name}": "name", "{姓名}": "name", "{company}": "company", "{公司}": "company"}


@dataclass
class Entry:
    address: str
    name: str = ""
    company: str = ""


@dataclass
class AddReport:
    added: int = 0
    duplicates: int = 0
    invalid: list[str] = field(default_factory=list)  # the first ones, to name them
    invalid_count: int = 0
    opted_out: int = 0
    bounced: int = 0
    blocked: int = 0


def personalise(text: str, recipient) -> str:
    for placeholder, attribute in FIELDS.items():
        if placeholder in text:
            text = text.replace(placeholder, getattr(recipient, attribute) or "")
    return text


# Choosing recipients (MASS-03, MASS-04) --------------------------------------------------------

def greeted_names(customers) -> dict[int, str]:
    """Whom {name} greets at each customer: the main contact, else its first contact (by id) with a name."""
    from tradeport.customers.models import Contact

    names: dict[int, str] = {}
    for customer_id, name in (Contact.objects.filter(customer__in=customers).exclude(name="")
                              .order_by("customer_id", "-is_main", "id").values_list("customer_id", "name")
                              .iterator(chunk_size=2000)):
        names.setdefault(customer_id, name.strip())
    return names


def entries_from_customers(customers, *, backup: bool = False, contacts: bool = False):
    """Each customer's main email, and optionally the others. {name} is the main contact's name, else
    another contact's, else the customer's own name, so that no customer is greeted "Dear ,"."""
    from tradeport.customers.models import Contact

    rows = customers.exclude(main_email="").values_list("pk", "name", "main_email", "backup_emails")
    names = greeted_names(customers)
    for pk, name, main_email, backups in rows.iterator(chunk_size=2000):
        greeted = names.get(pk) or name
        yield Entry(main_email, greeted, name)
        if backup:
            for address in backups or []:
                yield Entry(address, greeted, name)
    if contacts:
        for name, address, company in Contact.objects.filter(customer__in=customers).exclude(email="").values_list(
                "name", "email", "customer__name").iterator(chunk_size=2000):
            yield Entry(address, name.strip() or company, company)


def used_fields(mailing: MassMailing) -> list[str]:
    """The personalisation fields ("name", "company") the subject or body uses."""
    text = f"{mailing.subject}\n{mailing.body}"
    return [f for f in dict.fromkeys(FIELDS.values()) if any(p in text for p, a in FIELDS.items() if a == f)]


def empty_fields(mailing: MassMailing, *, sample: int = 20) -> dict[str, tuple[int, list[str]]]:
    """For each field the text uses: how many waiting recipients would get it empty, and the first addresses."""
    found = {}
    for attribute in used_fields(mailing):
        # Stored names are one line, trimmed (_one_line): empty means "".
        empty = mailing.recipients.filter(state=MassRecipient.State.PENDING, **{attribute: ""})
        count = empty.count()
        if count:
            found[attribute] = (count, list(empty.order_by("id").values_list("address", flat=True)[:sample]))
    return found


def entries_from_file(upload) -> list[Entry]:
    """MASS-04: .txt (addresses separated by new lines, ";" or ","), .csv or .xlsx (address, name, company)."""
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(upload, read_only=True, data_only=True)
            rows = [[str(c or "").strip() for c in row] for row in workbook.active.iter_rows(values_only=True)]
        except Exception as exc:  # openpyxl raises zipfile, KeyError or its own errors for a damaged file
            raise ValidationError(_("This is not an Excel .xlsx workbook (an old .xls renamed, or a damaged file). "
                                    "Save it again as .xlsx or .csv.")) from exc
        return [_entry(row) for row in rows if row and row[0]]
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError(_("The file is neither UTF-8 nor GB18030 text."))
    if name.endswith(".csv"):
        try:  # splitlines: old spreadsheet exports end lines with a bare CR
            return [_entry([c.strip() for c in row]) for row in csv.reader(text.splitlines()) if row and row[0].strip()]
        except csv.Error as exc:
            raise ValidationError(_("The CSV file cannot be read (%(reason)s); save it again from the spreadsheet.")
                                  % {"reason": exc}) from exc
    if name.endswith(".txt"):
        parts = SEPARATORS.split(text)
        return [Entry(part.strip()) for part in parts if part.strip()]
    raise ValidationError(_("Upload a .txt, .csv or .xlsx file."))


def _entry(row: list[str]) -> Entry:
    return Entry(row[0], row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")


def _one_line(text: str) -> str:
    """A spreadsheet cell may hold line breaks; a mail header may not."""
    return " ".join(str(text or "").split())


def add_recipients(mailing: MassMailing, entries) -> AddReport:
    """Validated, deduplicated; opt-outs, bounced and blocked addresses are counted and left out."""
    report = AddReport()
    existing = set(mailing.recipients.values_list("address", flat=True))
    chunk: list[Entry] = []

    def flush():
        if not chunk:
            return
        addresses = [e.address for e in chunk]
        opted = set(OptOut.objects.filter(address__in=addresses).values_list("address", flat=True))
        bounced = set(BouncedAddress.objects.filter(address__in=addresses).values_list("address", flat=True))
        blocked = set(BlockedAddress.objects.filter(address__in=addresses).values_list("address", flat=True))
        customers = dict(EmailAddress.objects.filter(address__in=addresses).values_list("address", "customer_id"))
        rows = []
        for entry in chunk:
            if entry.address in opted:
                report.opted_out += 1
            elif entry.address in bounced:
                report.bounced += 1
            elif entry.address in blocked:
                report.blocked += 1
            else:
                rows.append(MassRecipient(mailing=mailing, address=entry.address, name=entry.name[:200],
                                          company=entry.company[:200], customer_id=customers.get(entry.address)))
        MassRecipient.objects.bulk_create(rows, ignore_conflicts=True)
        report.added += len(rows)
        chunk.clear()

    for entry in entries:
        try:
            address = normalise(entry.address)
            validate_email(address)
            if len(address) > ADDRESS_LENGTH:  # the standard allows 320; a mailbox address column holds 254
                raise ValidationError("too long")
        except ValidationError:
            report.invalid_count += 1
            if len(report.invalid) < 20:
                report.invalid.append(entry.address)
            continue
        if address in existing:
            report.duplicates += 1
            continue
        existing.add(address)
        chunk.append(Entry(address, _one_line(entry.name), _one_line(entry.company)))
        if len(chunk) >= 1000:
            flush()
    flush()
    MassMailing.objects.filter(pk=mailing.pk).update(total=mailing.recipients.count(), updated_at=timezone.now())
    return report


def store_attachment(mailing: MassMailing, upload) -> MassAttachment:
    return MassAttachment.stored(upload, mailing=mailing)


# Life cycle (MASS-05, MASS-07) -------------------------------------------------------------------

def submit(mailing: MassMailing) -> None:
    """To the reviewer as one item when the author has one (MASS-07), else start sending."""
    if not mailing.recipients.filter(state=MassRecipient.State.PENDING).exists():
        raise sending.ComposeError(_("Add at least one recipient."))
    reviewer = sending.reviewer_for(mailing.author)
    if reviewer is not None:
        MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.DRAFT).update(
            state=MassMailing.State.AWAITING, reviewer=reviewer, review_comment="", updated_at=timezone.now())
        return
    MassMailing.objects.filter(pk=mailing.pk).update(review_comment="")
    _start(mailing)


def _start(mailing: MassMailing, *, from_state: str = MassMailing.State.DRAFT) -> bool:
    started = MassMailing.objects.filter(pk=mailing.pk, state=from_state).update(
        state=MassMailing.State.SENDING, lease_until=None, started_at=mailing.started_at or timezone.now())
    if started:
        transaction.on_commit(lambda: _enqueue(mailing.pk))
    return bool(started)


def _enqueue(mailing_id: int) -> None:
    from tradeport.mail.tasks import run_mass_mailing

    run_mass_mailing.enqueue(mailing_id=mailing_id)


def approve(mailing: MassMailing, *, reviewer, version=None) -> bool:
    """MASS-07: only the version the reviewer read (its `updated_at`) is let go."""
    same = {"updated_at": version} if version is not None else {}
    with transaction.atomic():
        changed = MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.AWAITING, reviewer=reviewer,
                                             **same).update(reviewed_by=reviewer, reviewed_at=timezone.now(),
                                                            review_comment="")
        return bool(changed) and _start(mailing, from_state=MassMailing.State.AWAITING)


def reject(mailing: MassMailing, *, reviewer, comment: str, version=None) -> bool:
    same = {"updated_at": version} if version is not None else {}
    return bool(MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.AWAITING, reviewer=reviewer,
                                           **same).update(
        state=MassMailing.State.DRAFT, reviewed_by=reviewer, reviewed_at=timezone.now(), review_comment=comment,
        updated_at=timezone.now()))


def pause(mailing: MassMailing) -> bool:
    return bool(MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.SENDING).update(
        state=MassMailing.State.PAUSED))


def resume(mailing: MassMailing) -> bool:
    # The lease stays: a worker still finishing its batch or its wait carries on, and the task
    # enqueued here only starts if no worker holds the mailing.
    changed = MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.PAUSED).update(
        state=MassMailing.State.SENDING, last_error="")
    if changed:
        transaction.on_commit(lambda: _enqueue(mailing.pk))
    return bool(changed)


def cancel(mailing: MassMailing) -> bool:
    """Stops for good; what was sent stays sent, the rest is skipped."""
    with transaction.atomic():
        changed = MassMailing.objects.filter(pk=mailing.pk, state__in=[
            MassMailing.State.SENDING, MassMailing.State.PAUSED, MassMailing.State.AWAITING,
            MassMailing.State.DRAFT]).update(state=MassMailing.State.CANCELLED, finished_at=timezone.now())
        if changed:
            skipped = MassRecipient.objects.filter(mailing=mailing, state=MassRecipient.State.PENDING).update(
                state=MassRecipient.State.SKIPPED, error=_("Cancelled"))
            MassMailing.objects.filter(pk=mailing.pk).update(skipped=F("skipped") + skipped)
    return bool(changed)


def retry_failed(mailing: MassMailing) -> int:
    """The failed recipients go back to waiting, and a finished mailing sends again."""
    if mailing.state not in (MassMailing.State.DONE, MassMailing.State.PAUSED, MassMailing.State.SENDING):
        return 0  # a cancelled mailing stays stopped; a draft has sent nothing
    with transaction.atomic():
        count = MassRecipient.objects.filter(mailing=mailing, state=MassRecipient.State.FAILED).update(
            state=MassRecipient.State.PENDING, error="")
        if count:
            MassMailing.objects.filter(pk=mailing.pk).update(failed=F("failed") - count)
            if MassMailing.objects.filter(pk=mailing.pk, state__in=[
                    MassMailing.State.DONE, MassMailing.State.PAUSED]).update(
                    state=MassMailing.State.PAUSED, finished_at=None):
                resume(mailing)
    return count


# Sending -----------------------------------------------------------------------------------------

class Builder:
    """Builds each recipient's message from the mailing, with the attachments read once."""

    def __init__(self, mailing: MassMailing, sender_name: str = ""):
        self.mailing = mailing
        self.sender = Address(display_name=sender_name or mailing.mailbox.display_name,
                              addr_spec=mailing.mailbox.address)
        self.domain = mailing.mailbox.address.rpartition("@")[2] or "tradeport.invalid"
        self.unsubscribe = f"<mailto:{mailing.mailbox.address}?subject=unsubscribe>"
        self.files = []
        for attachment in mailing.attachments.all():
            with default_storage.open(attachment.path, "rb") as handle:
                self.files.append((attachment, handle.read()))

    def build(self, recipient: MassRecipient) -> bytes:
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = self.sender
        message["To"] = Address(display_name=recipient.name, addr_spec=recipient.address) if recipient.name \
            else recipient.address
        message["Subject"] = personalise(self.mailing.subject, recipient)
        message["Date"] = format_datetime(timezone.localtime())
        recipient.message_id = make_msgid(domain=self.domain)
        message["Message-ID"] = recipient.message_id
        message["List-Unsubscribe"] = self.unsubscribe
        message["Precedence"] = "bulk"
        body = personalise(self.mailing.body, recipient)
        message.set_content(body, cte=None if body.isascii() else "base64")
        for attachment, data in self.files:
            sending._attach(message, data, attachment.filename, attachment.content_type)
        return message.as_bytes()


def _claim(mailing_id: int) -> bool:
    now = timezone.now()
    return bool(MassMailing.objects.filter(pk=mailing_id, state=MassMailing.State.SENDING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(lease_until=now + LEASE))


def run(mailing_id: int, *, sleep=time.sleep) -> str:
    """Send what is waiting, BATCH at a time at the rate option, until done, paused or cancelled."""
    if not _claim(mailing_id):
        return "busy or stopped"
    mailing = MassMailing.objects.select_related("mailbox", "employee").get(pk=mailing_id)
    builder = Builder(mailing, sender_name=mailing.employee.name if mailing.employee else "")
    per_minute = options.get("mass_mail_per_minute")
    client = None
    try:
        while True:
            state = MassMailing.objects.filter(pk=mailing.pk).values_list("state", flat=True).first()
            if state is None:
                return "gone"
            if state != MassMailing.State.SENDING:  # paused or cancelled meanwhile: let go, unless resumed
                if MassMailing.objects.filter(pk=mailing.pk).exclude(state=MassMailing.State.SENDING).update(
                        lease_until=None):
                    return state or "gone"
                continue
            batch = _skip_refused(mailing, _take_batch(mailing, min(BATCH, per_minute)))
            if batch is None:
                continue  # everyone in it had opted out since being added
            if not batch:
                MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.SENDING).update(
                    state=MassMailing.State.DONE, finished_at=timezone.now(), lease_until=None)
                return "done"
            started = time.monotonic()
            results = []
            for recipient in batch:
                try:
                    raw = builder.build(recipient)
                except ValueError as exc:  # a header the mail library refuses: this recipient only
                    results.append((recipient, None, _("The message could not be built: %(reason)s") % {
                        "reason": exc}))
                    continue
                try:
                    if client is None:
                        client = protocols.SmtpClient(sending.server_for(mailing.mailbox)).__enter__()
                    refused = client.send(mailing.mailbox.address, [recipient.address], raw)
                    results.append((recipient, raw, "" if not refused else str(refused)))
                except MailServerError as exc:  # cannot connect: stop, keep the rest waiting
                    _release(batch[len(results):])
                    _record(mailing, results)
                    MassMailing.objects.filter(pk=mailing.pk, state=MassMailing.State.SENDING).update(
                        state=MassMailing.State.PAUSED, last_error=exc.message)
                    MassMailing.objects.filter(pk=mailing.pk).update(lease_until=None)
                    return "paused"
                except smtplib.SMTPResponseException as exc:  # this recipient refused; the session goes on
                    results.append((recipient, None, _smtp_words(exc)))
                except smtplib.SMTPRecipientsRefused as exc:
                    results.append((recipient, None, _smtp_words(exc)))
                except (smtplib.SMTPException, OSError) as exc:  # connection lost: reconnect for the next one
                    results.append((recipient, None, _smtp_words(exc)))
                    client = _drop(client)
            _record(mailing, results)
            MassMailing.objects.filter(pk=mailing.pk).update(lease_until=timezone.now() + LEASE)
            wait = len(batch) * 60 / per_minute - (time.monotonic() - started)
            if wait > 0:
                sleep(wait)
    finally:
        _drop(client)


def _take_batch(mailing: MassMailing, size: int) -> list[MassRecipient]:
    """The recipients this worker's UPDATE claimed; rows another worker took in between are not among them."""
    claim = uuid.uuid4().hex
    ids = list(MassRecipient.objects.filter(mailing=mailing, state=MassRecipient.State.PENDING)
               .order_by("id").values_list("pk", flat=True)[:size])
    if not ids:
        return []
    MassRecipient.objects.filter(pk__in=ids, state=MassRecipient.State.PENDING).update(
        state=MassRecipient.State.SENDING, claimed_by=claim)
    claimed = list(MassRecipient.objects.filter(pk__in=ids, claimed_by=claim).order_by("id"))
    return claimed or _take_batch(mailing, size)


def _skip_refused(mailing: MassMailing, batch: list[MassRecipient]) -> list[MassRecipient] | None:
    """Addresses that opted out, bounced or were blocked after they were added are skipped now."""
    if not batch:
        return batch
    addresses = [r.address for r in batch]
    refused = set(OptOut.objects.filter(address__in=addresses).values_list("address", flat=True))
    refused |= set(BouncedAddress.objects.filter(address__in=addresses).values_list("address", flat=True))
    refused |= set(BlockedAddress.objects.filter(address__in=addresses).values_list("address", flat=True))
    if not refused:
        return batch
    skipped = MassRecipient.objects.filter(pk__in=[r.pk for r in batch if r.address in refused]).update(
        state=MassRecipient.State.SKIPPED, error=_("Opted out, bounced or blocked since it was added."))
    MassMailing.objects.filter(pk=mailing.pk).update(skipped=F("skipped") + skipped)
    kept = [r for r in batch if r.address not in refused]
    return kept or None


def _release(recipients: list[MassRecipient]) -> None:
    MassRecipient.objects.filter(pk__in=[r.pk for r in recipients], state=MassRecipient.State.SENDING).update(
        state=MassRecipient.State.PENDING)


def _smtp_words(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{c} {m.decode(errors='replace')}" for c, m in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return sending._server_words(exc)
    return str(exc) or exc.__class__.__name__


def _drop(client):
    if client is not None:
        client.__exit__(None, None, None)  # quits quietly, even on a dead connection
    return None


@transaction.atomic
def _record(mailing: MassMailing, results: list) -> None:
    """One transaction per batch: statuses, counters, and MASS-06's filing with the customers."""
    now = timezone.now()
    sent, failed = [], []
    for recipient, raw, error in results:
        recipient.sent_at = now if raw is not None else None
        recipient.error = error
        recipient.state = MassRecipient.State.SENT if raw is not None else MassRecipient.State.FAILED
        (sent if raw is not None else failed).append(recipient)
    # executemany: one statement prepared once; bulk_update's CASE per field cost more than the sending.
    table = connection.ops.quote_name(MassRecipient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET state = %s, error = %s, message_id = %s, sent_at = %s WHERE id = %s",
                           [(r.state, r.error, r.message_id, connection.ops.adapt_datetimefield_value(r.sent_at), r.pk)
                            for r, _raw, _e in results])
    MassMailing.objects.filter(pk=mailing.pk).update(sent=F("sent") + len(sent), failed=F("failed") + len(failed))
    _file(mailing, [(r, raw) for r, raw, _e in results if raw is not None and r.customer_id], now)


def _file(mailing: MassMailing, sent: list, now) -> None:
    """Sent copies as outgoing mail of their customers, built from what is known (no parsing)."""
    if not sent:
        return
    from tradeport.mail.services import _store_file

    stored = [(recipient, raw, *_store_file("raw", raw)) for recipient, raw in sent]
    RawMessage.objects.bulk_create([RawMessage(sha256=digest, size=len(raw), path=path)
                                    for _r, raw, digest, path in stored], ignore_conflicts=True)
    raw_ids = dict(RawMessage.objects.filter(sha256__in=[d for _r, _raw, d, _p in stored]).values_list("sha256", "pk"))
    names = dict(Customer.objects.filter(pk__in={r.customer_id for r, _raw in sent}).values_list("pk", "name"))
    Mail.objects.bulk_create([Mail(
        mailbox=mailing.mailbox, raw_id=raw_ids[digest], direction=Mail.Direction.OUT, message_id=r.message_id,
        thread_key=r.message_id, subject=personalise(mailing.subject, r)[:500], from_address=mailing.mailbox.address,
        from_name=mailing.mailbox.display_name[:200], to=[r.address], date=now,
        text=personalise(mailing.body, r), customer_id=r.customer_id, route=Mail.Route.OUTGOING,
        route_reason=f"mass mailing “{mailing.subject}” to {names.get(r.customer_id, '')}"[:500],
        route_facts={"kind": "mass", "mailbox": mailing.mailbox.address, "mailing": mailing.pk,
                     "subject": mailing.subject},
        sent_by=mailing.employee, followed_up_at=now,
    ) for r, _raw, digest, _path in stored], ignore_conflicts=True)


def release_stale(now=None) -> list[int]:
    """Mailings whose worker died: their in-flight recipients are failed as "may have been sent";
    the mailing itself is handed to a new worker."""
    now = now or timezone.now()
    stale = list(MassMailing.objects.filter(state=MassMailing.State.SENDING, lease_until__lt=now)
                 .values_list("pk", flat=True))
    for mailing_id in stale:
        with transaction.atomic():
            lost = MassRecipient.objects.filter(mailing_id=mailing_id, state=MassRecipient.State.SENDING).update(
                state=MassRecipient.State.FAILED,
                error=_("Sending was interrupted; this message may already have left."))
            MassMailing.objects.filter(pk=mailing_id).update(failed=F("failed") + lost, lease_until=None)
    return stale
