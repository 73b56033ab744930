"""A customer's detailed follow-up record (FUP-01, VIEW-06..11): mail in and out, contact records
and what happened to reminders, in one list, newest first.

Each source is read through its own (customer, date) index for one page only, and the pages are
merged here; the next page starts after the last entry shown, so a customer with thousands of
entries costs the same as one with a handful.

Entries are ordered by (moment, source, id), newest first, and the page cursor names all three:
entries sharing a moment (a mass mailing filed to several addresses of one customer) are split
across pages without one being skipped.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tradeport.followup.models import ContactRecord, Reminder

PAGE = 50
FILTERS = ("all", "received", "sent", "records", "reminders")
# Order of the sources among entries of the same moment, newest first: mail, then records, then reminders.
MAIL, RECORD, REMINDER = 2, 1, 0


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the entry (at, source, ident) in newest-first order."""

    at: datetime.datetime
    source: int = -1  # -1: strictly before `at`, whatever the source
    ident: tuple[int, ...] = ()

    def __str__(self) -> str:
        return f"{self.at.isoformat()}~{self.source}~{'.'.join(map(str, self.ident))}"

    @classmethod
    def parse(cls, text: str) -> "Cursor | None":
        """The cursor of an [Older] link, or None for anything that is not one (a bare moment is accepted)."""
        at_text, _, rest = (text or "").partition("~")
        source_text, _, ident_text = rest.partition("~")
        try:
            at = parse_datetime(at_text) if at_text else None
            source = int(source_text) if source_text else -1
            ident = tuple(int(part) for part in ident_text.split(".")) if ident_text else ()
        except ValueError:
            return None
        if at is None or source not in (-1, MAIL, RECORD, REMINDER):
            return None
        try:  # a moment that cannot be told in UTC (year 1 east of Greenwich) is no cursor either
            if timezone.is_naive(at):
                at = timezone.make_aware(at)
            at.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            return None
        return cls(at=at, source=source, ident=ident if source >= 0 else ())

    def older(self, source: int, field: str) -> Q:
        """The rows of `source` that come after this cursor, for a queryset ordered by (-field, -id)."""
        earlier = Q(**{f"{field}__lt": self.at})
        if source < self.source:
            return earlier | Q(**{field: self.at})
        if source == self.source and self.ident:
            return earlier | Q(**{field: self.at, "id__lt": self.ident[0]})
        return earlier

    def admits(self, entry: "Entry") -> bool:
        return entry.sort_key < (self.at, self.source, self.ident)


@dataclass
class Entry:
    at: datetime.datetime
    kind: str  # "mail_in", "mail_out", "record", "reminder"
    subject: str
    who: str = ""
    method: str = ""
    category: str = ""
    purpose: str = ""
    products: list[str] = field(default_factory=list)
    mail: object = None
    record: object = None
    detail: str = ""
    source: int = MAIL
    ident: tuple[int, ...] = ()

    @property
    def sort_key(self):
        return (self.at, self.source, self.ident)

    @property
    def key(self) -> str:
        """The checkbox value when entries are moved into a folder."""
        if self.mail is not None:
            return f"mail:{self.mail.pk}"
        if self.record is not None:
            return f"record:{self.record.pk}"
        return ""


def _mails(customer, kind: str, before, folder, category):
    from tradeport.mail.models import Mail

    mails = Mail.objects.filter(customer=customer, deleted_at__isnull=True).select_related(
        "category", "purpose", "sent_by", "followed_up_by").only(
        "pk", "date", "received_at", "direction", "subject", "from_name", "from_address", "category__name_zh",
        "category__name_en", "purpose__name_zh", "purpose__name_en", "sent_by__name", "followed_up_by__name",
        "folder_id", "kind")
    if kind == "received":
        mails = mails.filter(direction=Mail.Direction.IN)
    elif kind == "sent":
        mails = mails.filter(direction=Mail.Direction.OUT)
    if folder is not None:
        mails = mails.filter(folder=folder)
    if category is not None:
        mails = mails.filter(category=category)
    if before is not None:
        mails = mails.filter(before.older(MAIL, "date"))
    page = list(mails.order_by("-date", "-id")[:PAGE])
    handlers = _handlers(customer, [m for m in page if m.direction == Mail.Direction.IN])
    for mail in page:
        outgoing = mail.direction == Mail.Direction.OUT
        yield Entry(at=mail.date or mail.received_at, kind="mail_out" if outgoing else "mail_in", mail=mail,
                    source=MAIL, ident=(mail.pk,),
                    subject=mail.subject, who=(mail.sent_by.name if mail.sent_by else mail.from_name or mail.from_address)
                    if outgoing else handlers.get(mail.pk, ""),
                    method="email", category=mail.category.name if mail.category else "",
                    purpose=mail.purpose.name if mail.purpose else "")


def _handlers(customer, received) -> dict[int, str]:
    """Our salesperson for each received mail (the Salesperson column, never the sender): who followed it up,
    else those it was delivered to (who handled it first), else the customer's owners. Two queries a page."""
    from tradeport.customers.models import Ownership
    from tradeport.mail.models import Delivery

    if not received:
        return {}
    delivered: dict[int, list] = {}
    for delivery in Delivery.objects.filter(mail__in=received).select_related("employee").order_by("employee__code"):
        delivered.setdefault(delivery.mail_id, []).append(delivery)
    owners = ", ".join(o.employee.name for o in Ownership.objects.current().filter(customer=customer)
                       .select_related("employee").order_by("employee__code"))
    names = {}
    for mail in received:
        if mail.followed_up_by is not None:
            names[mail.pk] = mail.followed_up_by.name
            continue
        deliveries = delivered.get(mail.pk, [])
        handled = [d.employee.name for d in deliveries if d.state == Delivery.State.HANDLED]
        names[mail.pk] = ", ".join(handled or [d.employee.name for d in deliveries]) or owners
    return names


def _records(customer, method, before, folder, category):
    records = ContactRecord.objects.filter(customer=customer).select_related(
        "employee", "method", "direction", "purpose", "category").prefetch_related("products")
    if method:
        records = records.filter(method__code=method)
    if folder is not None:
        records = records.filter(folder=folder)
    if category is not None:
        records = records.filter(category=category)
    if before is not None:
        records = records.filter(before.older(RECORD, "occurred_at"))
    for record in records.order_by("-occurred_at", "-id")[:PAGE]:
        yield Entry(at=record.occurred_at, kind="record", record=record, subject=record.subject,
                    source=RECORD, ident=(record.pk,),
                    who=record.employee.name, method=record.method.name,
                    category=record.category.name if record.category else "",
                    purpose=record.purpose.name if record.purpose else "",
                    products=[p.name for p in record.products.all()], detail=record.fax_status)


REMINDER_WORDS = {"created": "set", "rescheduled": "moved", "postponed": "postponed", "cancelled": "cancelled"}


def _reminders(customer, before):
    for reminder in Reminder.objects.filter(customer=customer).select_related("employee"):
        for index, event in enumerate(reminder.history):
            at = parse_datetime(event.get("at", ""))
            if at is None:
                continue
            entry = Entry(at=at, kind="reminder", subject=event.get("action", ""), who=event.get("by", ""),
                          detail=event.get("date", ""), method=reminder.employee.name,
                          source=REMINDER, ident=(reminder.pk, index))
            if before is None or before.admits(entry):
                yield entry


def entries(customer, *, kind: str = "all", method: str = "", before: Cursor | None = None, folder=None,
            category=None) -> tuple[list[Entry], Cursor | None]:
    """One page of the timeline and the cursor of the next (None: no more)."""
    chosen: list[Entry] = []
    mails_wanted = kind in ("all", "received", "sent") and not method
    records_wanted = kind in ("all", "records") or bool(method)
    if mails_wanted:
        chosen += list(_mails(customer, kind, before, folder, category))
    if records_wanted:
        chosen += list(_records(customer, method, before, folder, category))
    if kind in ("all", "reminders") and not method and folder is None and category is None:
        chosen += list(_reminders(customer, before))
    chosen.sort(key=lambda e: e.sort_key, reverse=True)
    page = chosen[:PAGE]
    more = len(chosen) > PAGE or (len(page) == PAGE)
    last = page[-1] if page else None
    return page, (Cursor(last.at, last.source, last.ident) if last and more else None)
