"""A customer's detailed follow-up record (FUP-01, VIEW-06..11): mail in and out, contact records
and what happened to reminders, in one list, newest first.

Each source is read through its own (customer, date) index for one page only, and the pages are
merged here; the next page starts before the last entry shown, so a customer with thousands of
entries costs the same as one with a handful.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tradeport.followup.models import ContactRecord, Reminder

PAGE = 50
FILTERS = ("all", "received", "sent", "records", "reminders")


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
        "category", "purpose", "sent_by").only(
        "pk", "date", "received_at", "direction", "subject", "from_name", "from_address", "category__name_zh",
        "category__name_en", "purpose__name_zh", "purpose__name_en", "sent_by__name", "folder_id", "kind")
    if kind == "received":
        mails = mails.filter(direction=Mail.Direction.IN)
    elif kind == "sent":
        mails = mails.filter(direction=Mail.Direction.OUT)
    if folder is not None:
        mails = mails.filter(folder=folder)
    if category is not None:
        mails = mails.filter(category=category)
    if before is not None:
        mails = mails.filter(date__lt=before)
    for mail in mails.order_by("-date", "-id")[:PAGE]:
        outgoing = mail.direction == Mail.Direction.OUT
        yield Entry(at=mail.date or mail.received_at, kind="mail_out" if outgoing else "mail_in", mail=mail,
                    subject=mail.subject, who=(mail.sent_by.name if outgoing and mail.sent_by else
                                               mail.from_name or mail.from_address),
                    method="email", category=mail.category.name if mail.category else "",
                    purpose=mail.purpose.name if mail.purpose else "")


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
        records = records.filter(occurred_at__lt=before)
    for record in records.order_by("-occurred_at", "-id")[:PAGE]:
        yield Entry(at=record.occurred_at, kind="record", record=record, subject=record.subject,
                    who=record.employee.name, method=record.method.name,
                    category=record.category.name if record.category else "",
                    purpose=record.purpose.name if record.purpose else "",
                    products=[p.name for p in record.products.all()], detail=record.fax_status)


REMINDER_WORDS = {"created": "set", "rescheduled": "moved", "postponed": "postponed", "cancelled": "cancelled"}


def _reminders(customer, before):
    for reminder in Reminder.objects.filter(customer=customer).select_related("employee"):
        for event in reminder.history:
            at = parse_datetime(event.get("at", ""))
            if at is None or (before is not None and at >= before):
                continue
            yield Entry(at=at, kind="reminder", subject=event.get("action", ""), who=event.get("by", ""),
                        detail=event.get("date", ""), method=reminder.employee.name)


def entries(customer, *, kind: str = "all", method: str = "", before=None, folder=None, category=None
            ) -> tuple[list[Entry], datetime.datetime | None]:
    """One page of the timeline and the moment the next page starts before (None: no more)."""
    chosen: list[Entry] = []
    mails_wanted = kind in ("all", "received", "sent") and not method
    records_wanted = kind in ("all", "records") or bool(method)
    if mails_wanted:
        chosen += list(_mails(customer, kind, before, folder, category))
    if records_wanted:
        chosen += list(_records(customer, method, before, folder, category))
    if kind in ("all", "reminders") and not method and folder is None and category is None:
        chosen += list(_reminders(customer, before))
    chosen.sort(key=lambda e: e.at or timezone.now(), reverse=True)
    page = chosen[:PAGE]
    more = len(chosen) > PAGE or (len(page) == PAGE)
    return page, (page[-1].at if page and more else None)
