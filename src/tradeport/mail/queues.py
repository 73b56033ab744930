"""The queues of the follow-up screen (QUE-01, GEN-03), as queries over mail and deliveries.

Nothing is copied into a queue: a mail is in a salesperson's queue while that
person's delivery of it is pending, and in the undistributed queue while it is
untriaged. Counters are COUNTs of the same queries, served by the partial
index `mail_untriaged` and the delivery index (employee, state, mail).
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from tradeport.mail.models import Delivery, InternalCopy, Mail, TriageAction
from tradeport.mail.triage import UNTRIAGED, may_distribute
from tradeport.org.models import Employee

PAGE = 50


@dataclass(frozen=True)
class Queue:
    key: str
    label: str
    icon: str
    needs_distribution: bool = False  # PERM-08 only


QUEUES = (
    Queue("known", _("Pending: known customers"), "person-check"),
    Queue("unknown", _("Pending: unknown senders"), "person-question"),
    Queue("reminders", _("Follow-up reminders"), "alarm"),
    Queue("undistributed", _("Undistributed mail"), "inboxes", needs_distribution=True),
    Queue("undistributed_trash", _("Undistributed: trash"), "trash", needs_distribution=True),
    Queue("inbox", _("Daily mail: inbox"), "inbox"),
    Queue("sent", _("Daily mail: sent"), "send"),
    Queue("copies", _("Daily mail: internal copies"), "files"),
    Queue("trash", _("Daily mail: trash"), "trash3"),
)
BY_KEY = {q.key: q for q in QUEUES}
COUNTED = ("known", "unknown", "reminders", "undistributed")


def queues_for(user) -> list[Queue]:
    allowed = may_distribute(user)
    return [q for q in QUEUES if allowed or not q.needs_distribution]


def _delivered(employee: Employee | None, states: list[str]) -> QuerySet:
    if employee is None:
        return Mail.objects.none()
    # Driven from the delivery index (employee, state, mail): the user's rows are few, the mail many.
    mine = Delivery.objects.filter(employee=employee, state__in=states).values("mail_id")
    return Mail.objects.filter(pk__in=mine, deleted_at__isnull=True)


def mails(key: str, employee: Employee | None) -> QuerySet:
    """The mail of one queue, newest first."""
    if key == "known":
        queryset = _delivered(employee, [Delivery.State.PENDING]).filter(customer__isnull=False,
                                                                         followed_up_at__isnull=True)
    elif key == "unknown":
        queryset = _delivered(employee, [Delivery.State.PENDING]).filter(customer__isnull=True)
    elif key == "undistributed":
        queryset = Mail.objects.filter(UNTRIAGED)
    elif key == "undistributed_trash":
        queryset = Mail.objects.filter(triage_action__in=[TriageAction.TRASH, TriageAction.SPAM],
                                       deleted_at__isnull=True)
    elif key == "inbox":
        queryset = _delivered(employee, [Delivery.State.PENDING, Delivery.State.HANDLED])
    elif key == "sent":  # DAILY-04: what the user sent, from any mailbox (intake fills sent_by for personal ones)
        queryset = Mail.objects.filter(sent_by=employee, direction=Mail.Direction.OUT,
                                       deleted_at__isnull=True) if employee else Mail.objects.none()
    elif key == "trash":
        queryset = _delivered(employee, [Delivery.State.TRASH])
    elif key == "copies":
        if employee is None:
            return Mail.objects.none()
        queryset = Mail.objects.filter(pk__in=InternalCopy.objects.filter(employee=employee).values("mail_id"),
                                       deleted_at__isnull=True)
    else:
        raise KeyError(key)
    return queryset.order_by("-id")


def counters(user, employee: Employee | None) -> dict[str, int]:
    """GEN-03: the numbers in parentheses, for the queues the user has."""
    from tradeport.followup.reminders import due_count

    keys = [k for k in COUNTED if k != "undistributed" or may_distribute(user)]
    return {key: due_count(employee) if key == "reminders" else mails(key, employee).count() for key in keys}


# Daily-mail folders hold most of a user's mail: their ids come from the delivery index alone,
# newest first, and the rare mail in the recycle bin is dropped afterwards.
FOLDER_STATES = {"inbox": [Delivery.State.PENDING, Delivery.State.HANDLED], "trash": [Delivery.State.TRASH]}


def page_of(key: str, employee: Employee | None, before: int | None, size: int = PAGE) -> tuple[list[Mail], int | None]:
    """One page of a queue; see page()."""
    if key not in FOLDER_STATES or employee is None:
        return page(mails(key, employee), before, size)
    candidates = Delivery.objects.filter(employee=employee, state__in=FOLDER_STATES[key]).order_by("-mail_id")
    if before:
        candidates = candidates.filter(mail_id__lt=before)
    chosen: list[Mail] = []
    offset, more = 0, True
    while len(chosen) <= size and more:
        ids = list(candidates.values_list("mail_id", flat=True)[offset:offset + size * 2])
        more = len(ids) == size * 2
        offset += len(ids)
        rows = {m.pk: m for m in Mail.objects.filter(pk__in=ids, deleted_at__isnull=True).select_related(
            "customer", "contact", "mailbox", "suggested_customer")}
        chosen += [rows[pk] for pk in ids if pk in rows]
    older = chosen[size - 1].pk if len(chosen) > size else None
    return chosen[:size], older


def page(queryset: QuerySet, before: int | None, size: int = PAGE) -> tuple[list[Mail], int | None]:
    """Keyset pages by id: no OFFSET and no COUNT, so page 1,000 costs what page 1 does."""
    if before:
        queryset = queryset.filter(id__lt=before)
    # Ids first, from the index alone; then whole rows for just this page (a sort of wide rows
    # with their bodies would read every mail of the queue).
    ids = list(queryset.values_list("pk", flat=True)[:size + 1])
    older = ids[size - 1] if len(ids) > size else None
    rows = {m.pk: m for m in Mail.objects.filter(pk__in=ids[:size]).select_related(
        "customer", "contact", "mailbox", "suggested_customer")}
    return [rows[pk] for pk in ids[:size] if pk in rows], older
