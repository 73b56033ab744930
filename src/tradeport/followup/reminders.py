"""Reminders (FUP-11..18, QUE-12, QUE-13).

Dates are days in the salesperson's calendar (the active time zone): "in 3 days" is
`timezone.localdate() + 3 days`, which daylight-saving changes cannot shift.

The due list is a query over stored dates, so no day is missed because a job did not run:
open reminders whose date has come, plus customers of the salesperson whose level asks for
contact every N days (FUP-14) and whose last contact (mail either way, or a contact record)
is N days old, unless a reminder for them was set, moved, postponed or closed since that contact. Those are
written as reminders when the list is read, so that they can be postponed or cancelled.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeport.accounts.models import Account
from tradeport.customers.models import Customer
from tradeport.followup.models import ContactRecord, Reminder


def _who(actor) -> str:
    return getattr(actor, "display_name", "") or ""


def _note(reminder: Reminder, action: str, actor, date: datetime.date | None = None) -> list:
    entry = {"at": timezone.now().isoformat(), "action": action, "by": _who(actor)}
    if date is not None:
        entry["date"] = date.isoformat()
    return [*reminder.history, entry]


@transaction.atomic
def schedule(customer, employee, due_date: datetime.date, *, source: str, actor=None, mail=None) -> Reminder:
    """FUP-11: create, or move, the one open reminder of this customer and salesperson; the newest date wins."""
    reminder = Reminder.objects.select_for_update().filter(customer=customer, employee=employee,
                                                           state=Reminder.State.OPEN).first()
    if reminder is not None:
        reminder.history = _note(reminder, "rescheduled", actor, due_date)
        reminder.due_date, reminder.source = due_date, source
        reminder.mail = mail or reminder.mail
        reminder.changed_at = timezone.now()
        reminder.save(update_fields=["history", "due_date", "source", "mail", "changed_at"])
        return reminder
    reminder = Reminder(customer=customer, employee=employee, due_date=due_date, source=source, mail=mail)
    reminder.history = _note(reminder, "created", actor, due_date)
    try:
        with transaction.atomic():
            reminder.save()
    except IntegrityError:  # another request opened one a moment ago: move that one instead
        return schedule(customer, employee, due_date, source=source, actor=actor, mail=mail)
    return reminder


def in_days(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def furthest_date(today: datetime.date) -> datetime.date:
    """The same day two years on: a follow-up date beyond it is a typing slip, not a plan.
    29 February, which that year lacks, gives 1 March."""
    try:
        return today.replace(year=today.year + 2)
    except ValueError:
        return datetime.date(today.year + 2, 3, 1)


def date_problem(date: datetime.date, *, earliest: datetime.date) -> str:
    """Why `date` cannot be a reminder's date, or "" when it can."""
    today = timezone.localdate()
    if date < earliest:
        return _("Choose a date after today.") if earliest > today else _("Choose today or a later date.")
    if date > furthest_date(today):
        return _("Choose a date within the next two years.")
    return ""


def complete(customer, employee, *, actor, how: str) -> bool:
    """FUP-16: a reply, a fax, a contact record or a mail to the customer completes the open reminder."""
    reminder = Reminder.objects.filter(customer=customer, employee=employee, state=Reminder.State.OPEN).first()
    if reminder is None:
        return False
    return bool(Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.OPEN).update(
        state=Reminder.State.DONE, closed_at=timezone.now(), closed_by=actor if getattr(actor, "pk", None) else None,
        changed_at=timezone.now(), history=_note(reminder, f"completed:{how}", actor)))


def postpone(reminder: Reminder, new_date: datetime.date, *, actor) -> bool:
    """FUP-12: hidden until the new date."""
    return bool(Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.OPEN).update(
        due_date=new_date, changed_at=timezone.now(), history=_note(reminder, "postponed", actor, new_date)))


def cancel(reminder: Reminder, *, actor) -> bool:
    """FUP-13: out of the list for good, with who and when."""
    return bool(Reminder.objects.filter(pk=reminder.pk, state=Reminder.State.OPEN).update(
        state=Reminder.State.CANCELLED, closed_at=timezone.now(), closed_by=actor, changed_at=timezone.now(),
        history=_note(reminder, "cancelled", actor)))


def _level_dates(employee, customers=None) -> list[tuple[Customer, datetime.date]]:
    """FUP-14: the salesperson's customers whose level has days, each with the day its days run out since the
    last contact; those a reminder was set, postponed, cancelled or completed for since are left out."""
    from tradeport.mail.models import Mail

    last_mail = Mail.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True).order_by("-date").values(
        "date")[:1]
    last_record = ContactRecord.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at").values(
        "occurred_at")[:1]
    last_reminder = Reminder.objects.filter(customer=OuterRef("pk"), employee=employee).order_by(
        "-changed_at").values("changed_at")[:1]
    candidates = (customers if customers is not None else Customer.objects).alive().filter(
        ownerships__employee=employee, ownerships__is_latest=True, level__reminder_days__gt=0,
    ).annotate(last_mail=Subquery(last_mail), last_record=Subquery(last_record),
               last_reminder=Subquery(last_reminder)).select_related("level")
    dates = []
    for customer in candidates:
        contacts = [d for d in (customer.last_mail, customer.last_record) if d is not None]
        last = max(contacts) if contacts else customer.created_at
        if customer.last_reminder is not None and customer.last_reminder >= last:
            continue  # a reminder was set, postponed, cancelled or completed since: it decides
        dates.append((customer, timezone.localdate(last) + datetime.timedelta(days=customer.level.reminder_days)))
    return dates


def _level_due(employee, today: datetime.date) -> list[tuple[Customer, datetime.date]]:
    """FUP-14: the salesperson's customers whose level's days have passed since their last contact."""
    return [(customer, date) for customer, date in _level_dates(employee) if date <= today]


def level_date(customer, employee) -> datetime.date | None:
    """When the level's days of this customer run out for this salesperson, or None when they do not apply."""
    dates = _level_dates(employee, Customer.objects.filter(pk=customer.pk))
    return dates[0][1] if dates else None


def _visible_to(employee):
    # A customer transferred away or deleted since leaves its old owner's list (PERM-13).
    account = Account.objects.filter(employee_code=employee.code, is_active=True).first()
    return Customer.objects.visible_to(account).alive()


def due_list(employee, *, today: datetime.date | None = None):
    """QUE-12: the salesperson's due reminders, oldest due first, with their customers."""
    if employee is None:
        return Reminder.objects.none()
    today = today or timezone.localdate()
    for customer, date in _level_due(employee, today):
        schedule(customer, employee, date, source=Reminder.Source.LEVEL)
    visible = _visible_to(employee).values("pk")
    return Reminder.objects.filter(employee=employee, state=Reminder.State.OPEN, due_date__lte=today,
                                   customer__in=visible).select_related("customer", "customer__level").order_by(
        "due_date", "id")


def due_count(employee) -> int:
    return due_list(employee).count() if employee is not None else 0


UPCOMING_DAYS = (7, 30)


def upcoming_list(employee, days: int, *, today: datetime.date | None = None) -> list[Reminder]:
    """The salesperson's reminders due after today and within `days`, by date (QUE-12's list, ahead of time).

    Stored open reminders, plus customers whose level's days run out in that time (FUP-14). Those are
    not written: they are reminders that are not due yet, whose dates still move with each contact. They come
    back as unsaved Reminder rows (pk None); postponing or cancelling one writes it first.
    """
    if employee is None:
        return []
    today = today or timezone.localdate()
    until = today + datetime.timedelta(days=days)
    visible = _visible_to(employee)
    stored = list(Reminder.objects.filter(employee=employee, state=Reminder.State.OPEN, due_date__gt=today,
                                          due_date__lte=until, customer__in=visible.values("pk"))
                  .select_related("customer", "customer__level"))
    waiting = set(Reminder.objects.filter(employee=employee, state=Reminder.State.OPEN).values_list(
        "customer_id", flat=True))
    computed = [Reminder(customer=customer, employee=employee, due_date=date, source=Reminder.Source.LEVEL)
                for customer, date in _level_dates(employee, visible)
                if today < date <= until and customer.pk not in waiting]  # an open reminder speaks for itself
    return sorted(stored + computed, key=lambda r: (r.due_date, r.customer.name, r.customer_id))
