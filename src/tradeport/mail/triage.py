"""What people do with mail after intake: triage of undistributed mail (MAIL-02..12) and
the salesperson's queue actions (QUE-05..11, READ-09..19).

Every action that takes a mail out of a shared queue claims it with a conditional
UPDATE first. Two managers who act on the same mail at the same moment both send
their UPDATE; the database lets exactly one of them change the row, and the other
gets `AlreadyHandled` naming who was first. Nothing is done twice.
"""

import contextlib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tradeport.audit.services import record_operation
from tradeport.customers.addresses import normalise
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.mail.models import (
    AddressRule,
    BlockedAddress,
    Delivery,
    InternalCopy,
    Mail,
    Mailbox,
    MailEvent,
    TriageAction,
)
from tradeport.org.models import Employee

UNTRIAGED = Q(route__in=[Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER], triaged_at__isnull=True,
              deleted_at__isnull=True)


def may_distribute(user) -> bool:
    """MAIL-02, PERM-08: who works the undistributed queue."""
    return user.is_authenticated and (user.is_administrator or (
        user.has_perm("accounts.fn_mail_distribution") and user.has_perm("accounts.system_mail")))


@dataclass
class AlreadyHandled(Exception):
    """Someone else acted on the mail first; `message` says who and what, for the loser's screen."""

    message: str

    def __str__(self) -> str:
        return self.message


def _who(account) -> str:
    if account is None:
        return _("someone")
    return account.display_name


def _claim(mail: Mail, actor, action: str) -> None:
    """Take the mail out of the undistributed queue, or raise AlreadyHandled if another was first."""
    taken = Mail.objects.filter(UNTRIAGED, pk=mail.pk).update(
        triaged_at=timezone.now(), triaged_by=actor, triage_action=action)
    if taken:
        mail.triaged_at, mail.triaged_by, mail.triage_action = timezone.now(), actor, action
        return
    current = Mail.objects.select_related("triaged_by").get(pk=mail.pk)
    if current.deleted_at is not None:
        raise AlreadyHandled(_("This mail was deleted permanently by %(who)s.") % {"who": _who(current.deleted_by)})
    if current.triaged_at is None:
        raise AlreadyHandled(_("This mail is not in the undistributed queue."))
    raise AlreadyHandled(_("%(who)s already handled this mail (%(action)s) at %(when)s.") % {
        "who": _who(current.triaged_by), "action": current.get_triage_action_display(),
        "when": timezone.localtime(current.triaged_at).strftime("%Y-%m-%d %H:%M:%S")})


def _event(mail: Mail, action: str, actor, **fields) -> MailEvent:
    return MailEvent.objects.create(mail=mail, action=action, actor=actor if actor and actor.pk else None, **fields)


def _owners(customer: Customer) -> list[Employee]:
    return list(Employee.objects.filter(
        pk__in=Ownership.objects.current().filter(customer=customer).values("employee_id")).order_by("code"))


def _deliver(mails: list[Mail], employees: list[Employee], reason: str) -> None:
    Delivery.objects.bulk_create([Delivery(mail=m, employee=e, reason=reason) for m in mails for e in employees],
                                 ignore_conflicts=True)  # already delivered to that person: keep theirs


# Undistributed mail, for PERM-08 holders ------------------------------------------------

@transaction.atomic
def distribute(mail: Mail, *, to: Employee, actor, future_rule: bool = False, note: str = "") -> None:
    """MAIL-03..05: hand the mail to a salesperson's unknown-sender queue; optionally a rule for the address."""
    _claim(mail, actor, TriageAction.DISTRIBUTED)
    _deliver([mail], [to], Delivery.Reason.DISTRIBUTED)
    _event(mail, MailEvent.Action.DISTRIBUTED, actor, employee=to, note=note)
    if future_rule and mail.from_address:
        AddressRule.objects.update_or_create(address=mail.from_address,
                                             defaults={"employee": to, "created_by": actor})
    record_operation(module="mail", action="distribute", instance=mail,
                     changes={"to": f"{to.code} {to.name}", "rule": future_rule})


@transaction.atomic
def merge(mail: Mail, *, customer: Customer, actor, all_from_address: bool) -> int:
    """MAIL-06..08: file the mail under a customer; with all_from_address the address joins the
    customer's backup emails, and every unfiled mail from it is filed too. Returns mails filed.

    Filed under a customer without owners, the mail stays in undistributed, marked so (MAIL-18)."""
    owners = _owners(customer)
    if owners and mail.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER) and mail.triaged_at is None:
        _claim(mail, actor, TriageAction.MERGED)
    mails = [mail]
    refiled = Refiled()
    if all_from_address and mail.from_address:
        _add_backup_address(customer, mail.from_address, actor)
        others, refiled.left_alone = _refilable(mail, actor)
        waiting = list(others.filter(UNTRIAGED))
        if owners:
            Mail.objects.filter(pk__in=[m.pk for m in waiting]).update(
                triaged_at=timezone.now(), triaged_by=actor, triage_action=TriageAction.MERGED)
        else:
            others.filter(UNTRIAGED, route=Mail.Route.UNDISTRIBUTED).update(route=Mail.Route.NO_OWNER)
        refiled.filed += others.update(customer=customer)
        mails += waiting  # mail still waiting for triage goes to the owners as well
    _file(mail, customer, owners)
    _deliver(mails, owners, Delivery.Reason.OWNER)
    _event(mail, MailEvent.Action.MERGED, actor, customer=customer,
           note=_("all mail from this address") if all_from_address else _("only this mail"))
    record_operation(module="mail", action="merge", instance=mail,
                     changes={"customer": customer.code, "all_from_address": all_from_address})
    return refiled


def _add_backup_address(customer: Customer, address: str, actor) -> None:
    """The address joins the customer's backup emails and the address index (MAIL-07)."""
    from tradeport.customers.services import clash_message

    address = normalise(address)
    holder = EmailAddress.objects.filter(address=address).select_related("customer").first()
    if holder is not None:
        if holder.customer_id == customer.pk:
            return
        from django.core.exceptions import ValidationError

        raise ValidationError(clash_message(address, holder.customer, actor))
    if address != customer.main_email and address not in customer.backup_emails:
        customer.backup_emails = [*customer.backup_emails, address]
        Customer.objects.filter(pk=customer.pk).update(backup_emails=customer.backup_emails)
    EmailAddress.objects.create(address=address, domain=address.rpartition("@")[2], customer=customer,
                                role=EmailAddress.Role.BACKUP)


@transaction.atomic
def record_created(mail: Mail, *, customer: Customer, actor) -> "Refiled":
    """MAIL-09, QUE-08: a record was created from the mail: the mail (and every unfiled mail
    from the address, now in the index) becomes the customer's, in its owners' known-customer queue."""
    owners = _owners(customer)
    untriaged = mail.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER) and mail.triaged_at is None
    if untriaged and owners:
        with contextlib.suppress(AlreadyHandled):  # handled meanwhile: the new record still owns the mail
            _claim(mail, actor, TriageAction.CREATED)
    waiting = []
    refiled = Refiled()
    if mail.from_address:  # a mail without a sender takes no other sender-less mail with it
        others, refiled.left_alone = _refilable(mail, actor)
        waiting = list(others.filter(UNTRIAGED))
        if owners:
            Mail.objects.filter(pk__in=[m.pk for m in waiting]).update(
                triaged_at=timezone.now(), triaged_by=actor, triage_action=TriageAction.CREATED)
        refiled.filed += others.update(customer=customer)
    _file(mail, customer, owners)
    _deliver([mail, *waiting], owners, Delivery.Reason.OWNER)
    _event(mail, MailEvent.Action.CREATED, actor, customer=customer)
    return refiled


@dataclass
class Refiled:
    """What a merge or a new record filed: this mail and the sender's other mail the actor may move,
    and how many of the sender's unfiled mails colleagues hold and were left where they are."""

    filed: int = 1
    left_alone: int = 0


def filed_text(refiled: Refiled) -> str:
    return ngettext("%(n)s mail filed under the customer.", "%(n)s mails filed under the customer.",
                    refiled.filed) % {"n": refiled.filed}


def left_alone_text(refiled: Refiled) -> list[str]:
    """The sentence that says colleagues' mail stayed where it is, if any did."""
    if not refiled.left_alone:
        return []
    return [ngettext("%(n)s mail from this address that a colleague holds was not moved.",
                     "%(n)s mails from this address that colleagues hold were not moved.",
                     refiled.left_alone) % {"n": refiled.left_alone}]


def _refilable(mail: Mail, actor) -> tuple[QuerySet, int]:
    """PERM-13: the sender's other unfiled mail that the actor may re-file, and how many were left alone.

    Only mail the actor reads as their own moves: delivered or copied to them, sent by them or in their
    own mailbox; a PERM-08 holder also takes what still waits in the undistributed queue. Mail another
    salesperson holds (delivered to them, or in their personal mailbox) is never moved by someone else,
    so that filing it cannot open it to the actor."""
    unfiled = Mail.objects.filter(from_address=mail.from_address, customer__isnull=True,
                                  deleted_at__isnull=True).exclude(pk=mail.pk)
    own = Q(mailbox__kind=Mailbox.Kind.PERSONAL, mailbox__owner=actor)
    if actor.employee_code:
        own |= (Q(deliveries__employee__code=actor.employee_code)
                | Q(copies__employee__code=actor.employee_code)
                | Q(sent_by__code=actor.employee_code))
    if may_distribute(actor):
        own |= Q(UNTRIAGED, mailbox__kind=Mailbox.Kind.SYSTEM)
    # Taken now: triaging the waiting mail changes which rows `own` would match.
    movable = set(unfiled.filter(own).values_list("pk", flat=True))
    return Mail.objects.filter(pk__in=movable), unfiled.count() - len(movable)


def _file(mail: Mail, customer: Customer, owners: list[Employee]) -> None:
    """The mail belongs to the customer now; without owners it waits in undistributed (MAIL-18)."""
    changes = {"customer": customer}
    if not owners and mail.triaged_at is None and mail.route == Mail.Route.UNDISTRIBUTED:
        changes["route"] = Mail.Route.NO_OWNER
    Mail.objects.filter(pk=mail.pk).update(**changes)
    for field, value in changes.items():
        setattr(mail, field, value)


@transaction.atomic
def trash_undistributed(mail: Mail, *, actor, spam: bool = False, block: bool = False) -> None:
    """MAIL-10, MAIL-11: into the undistributed trash (restorable); spam may also block the sender."""
    _claim(mail, actor, TriageAction.SPAM if spam else TriageAction.TRASH)
    _event(mail, MailEvent.Action.SPAM if spam else MailEvent.Action.TRASHED, actor)
    if block and mail.from_address:
        block_sender(mail.from_address, actor=actor, reason=_("spam"), mail=mail)


@transaction.atomic
def restore_undistributed(mail: Mail, *, actor) -> None:
    """MAIL-12: back from the undistributed trash into the queue."""
    restored = Mail.objects.filter(pk=mail.pk, triage_action__in=[TriageAction.TRASH, TriageAction.SPAM],
                                   deleted_at__isnull=True).update(triaged_at=None, triaged_by=None, triage_action="")
    if not restored:
        raise AlreadyHandled(_("This mail is no longer in the trash."))
    _event(mail, MailEvent.Action.RESTORED, actor)


def block_sender(address: str, *, actor, reason: str = "", mail: Mail | None = None) -> BlockedAddress:
    """MAIL-13, READ-17: refuse future mail from the address."""
    blocked, _created = BlockedAddress.objects.get_or_create(
        address=normalise(address), defaults={"blocked_by": actor, "reason": reason[:200]})
    if mail is not None:
        _event(mail, MailEvent.Action.BLOCKED, actor)
    return blocked  # the operation log has it already: BlockedAddress is tracked (mail/apps.py)


# The recycle bin (MAIL-12, SYS-04) ---------------------------------------------------------

@transaction.atomic
def delete_permanently(mail: Mail, *, actor) -> None:
    """READ-16, MAIL-11: out of every user view, into the system recycle bin."""
    gone = Mail.objects.filter(pk=mail.pk, deleted_at__isnull=True).update(deleted_at=timezone.now(), deleted_by=actor)
    if not gone:
        raise AlreadyHandled(_("This mail is already in the recycle bin."))
    _event(mail, MailEvent.Action.DELETED, actor)
    record_operation(module="mail", action="delete", instance=mail)


@transaction.atomic
def recycle_restore(mail: Mail, *, actor) -> None:
    restored = Mail.objects.filter(pk=mail.pk, deleted_at__isnull=False).update(deleted_at=None, deleted_by=None)
    if not restored:
        raise AlreadyHandled(_("This mail is not in the recycle bin."))
    _event(mail, MailEvent.Action.RESTORED, actor)
    record_operation(module="mail", action="restore", instance=mail)


def purge_recycle_bin(retention_days: int) -> int:
    """Remove mail that has been in the recycle bin longer than the retention option (SYS-04)."""
    cutoff = timezone.now() - timezone.timedelta(days=retention_days)
    expired = Mail.objects.filter(deleted_at__lt=cutoff)
    _total, per_model = expired.delete()
    return per_model.get(Mail._meta.label, 0)


# A salesperson's queues -------------------------------------------------------------------

@transaction.atomic
def mark_followed_up(mail: Mail, *, employee: Employee, actor, followed_up: bool, purpose=None, products=(),
                     category=None, follow_up_days: int | None = None) -> None:
    """READ-09..14, MAIL-19: save the follow-up fields; ticked, the mail leaves every owner's queue.

    The first owner to tick it is recorded; a second owner saving later keeps the first name.
    """
    Mail.objects.filter(pk=mail.pk).update(purpose=purpose, category=category, follow_up_days=follow_up_days)
    mail.products.set(products)
    if followed_up:
        first = Mail.objects.filter(pk=mail.pk, followed_up_at__isnull=True).update(
            followed_up_at=timezone.now(), followed_up_by=employee)
        Delivery.objects.filter(mail=mail, state=Delivery.State.PENDING).update(
            state=Delivery.State.HANDLED, state_changed_at=timezone.now())
        if first:
            _event(mail, MailEvent.Action.FOLLOWED_UP, actor, employee=employee)
    if products and mail.customer_id:
        mail.customer.products.add(*products)  # READ-11: the customer's product list gains what is missing
    if followed_up and follow_up_days and mail.customer_id:  # FUP-11: due in N days of the salesperson's calendar
        from tradeport.followup import reminders

        reminders.schedule(mail.customer, employee, reminders.in_days(follow_up_days),
                           source="mail", actor=actor, mail=mail)


@transaction.atomic
def mark_done(mail: Mail, *, employee: Employee, actor) -> None:
    """QUE-11: an unknown sender's mail handled without a record."""
    Delivery.objects.filter(mail=mail, employee=employee, state=Delivery.State.PENDING).update(
        state=Delivery.State.HANDLED, state_changed_at=timezone.now())


@transaction.atomic
def transfer(mail: Mail, *, source: Employee, target: Employee, actor, note: str = "") -> None:
    """QUE-10, READ-18: from the user's queue into a colleague's unknown-sender queue."""
    if source.pk == target.pk:
        raise AlreadyHandled(_("Choose a colleague other than yourself."))
    moved = Delivery.objects.filter(mail=mail, employee=source, state=Delivery.State.PENDING).update(
        state=Delivery.State.HANDLED, state_changed_at=timezone.now())
    if not moved:
        raise AlreadyHandled(_("This mail is no longer in your queue."))
    existing = Delivery.objects.filter(mail=mail, employee=target).first()
    if existing is None:
        Delivery.objects.create(mail=mail, employee=target, reason=Delivery.Reason.TRANSFERRED)
    else:
        Delivery.objects.filter(pk=existing.pk).update(state=Delivery.State.PENDING, state_changed_at=timezone.now())
    _event(mail, MailEvent.Action.TRANSFERRED, actor, employee=target, note=note)
    record_operation(module="mail", action="transfer", instance=mail,
                     changes={"from": source.code, "to": target.code})


@transaction.atomic
def trash_delivery(mail: Mail, *, employee: Employee, actor) -> None:
    """READ-15: into the user's own trash; other owners keep the mail."""
    delivery = Delivery.objects.select_for_update().filter(mail=mail, employee=employee).first()
    if delivery is None or delivery.state == Delivery.State.TRASH:
        raise AlreadyHandled(_("This mail is not in your queues."))
    Delivery.objects.filter(pk=delivery.pk).update(state=Delivery.State.TRASH, state_before_trash=delivery.state,
                                                   state_changed_at=timezone.now())
    _event(mail, MailEvent.Action.TRASHED, actor, employee=employee)


@transaction.atomic
def restore_delivery(mail: Mail, *, employee: Employee, actor) -> None:
    """MAIL-12: back from the user's trash to the queue it came from."""
    delivery = Delivery.objects.select_for_update().filter(mail=mail, employee=employee,
                                                           state=Delivery.State.TRASH).first()
    if delivery is None:
        raise AlreadyHandled(_("This mail is not in your trash."))
    Delivery.objects.filter(pk=delivery.pk).update(state=delivery.state_before_trash or Delivery.State.PENDING,
                                                   state_before_trash="", state_changed_at=timezone.now())
    _event(mail, MailEvent.Action.RESTORED, actor, employee=employee)


def internal_copy(mail: Mail, *, employees: list[Employee], actor, note: str = "") -> int:
    """READ-19: copies to colleagues; ownership and queues do not change."""
    rows = [InternalCopy(mail=mail, employee=e, copied_by=actor, note=note) for e in employees]
    InternalCopy.objects.bulk_create(rows, ignore_conflicts=True)
    _event(mail, MailEvent.Action.COPIED, actor, note=", ".join(e.name for e in employees))
    return len(rows)
