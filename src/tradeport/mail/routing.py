"""Match and route (MAIL-01): which record a mail belongs to, who gets it, and why.

The order is SPEC's: blocked sender → the matched customer's owners → an
address rule → the personal mailbox's owner → undistributed. Mail sent by our
own mailboxes is filed as outgoing to the customer its recipients match.
Matching reads the address index and nothing else; a domain match never routes.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.mail.models import AddressRule, BlockedAddress, Delivery, Mail, Mailbox
from tradeport.org.models import Employee


@dataclass
class Decision:
    route: str
    reason: str
    customer: Customer | None = None
    contact_id: int | None = None
    deliveries: list[tuple[Employee, str]] = field(default_factory=list)
    blocked: BlockedAddress | None = None


ROLE_WORDS = {  # translated when the reason is written
    EmailAddress.Role.MAIN: gettext_noop("main email"),
    EmailAddress.Role.BACKUP: gettext_noop("backup email"),
    EmailAddress.Role.CONTACT: gettext_noop("contact email"),
}


def _match(addresses: list[str]) -> EmailAddress | None:
    if not addresses:
        return None
    # Most mail matches nothing: ask for ids first, and load the record only on a match.
    hits = dict(EmailAddress.objects.filter(address__in=addresses).values_list("address", "pk"))
    for address in addresses:  # the first address that matches wins, in header order
        if address in hits:
            return EmailAddress.objects.select_related("customer", "contact").filter(
                pk=hits[address], customer__deleted_at__isnull=True).first()
    return None


def route(*, mailbox: Mailbox, sender: str, recipients: list[str], outgoing: bool) -> Decision:
    """Decide the route of one mail; every decision carries the reason shown to users."""
    if outgoing:
        entry = _match(recipients)
        if entry is None:
            return Decision(Mail.Route.OUTGOING, _("sent by %(mailbox)s; no recipient is a known record")
                            % {"mailbox": mailbox.address})
        return Decision(Mail.Route.OUTGOING, _("sent by %(mailbox)s to %(role)s of %(code)s %(name)s") % {
            "mailbox": mailbox.address, "role": _(ROLE_WORDS[entry.role]), "code": entry.customer.code,
            "name": entry.customer.name}, customer=entry.customer, contact_id=entry.contact_id)

    blocked_id = BlockedAddress.objects.filter(address=sender).values_list("pk", flat=True).first()
    blocked = BlockedAddress(pk=blocked_id, address=sender) if blocked_id is not None else None
    if blocked is not None:
        return Decision("blocked", _("%(sender)s is blocked") % {"sender": sender}, blocked=blocked)

    entry = _match([sender])
    if entry is not None:
        customer = entry.customer
        owners = list(Employee.objects.filter(
            pk__in=Ownership.objects.current().filter(customer=customer).values("employee_id")).order_by("code"))
        matched = _("%(role)s of %(code)s %(name)s") % {
            "role": _(ROLE_WORDS[entry.role]), "code": customer.code, "name": customer.name}
        if entry.contact_id:
            matched += _(" (contact %(name)s)") % {"name": entry.contact.name}
        if owners:
            return Decision(Mail.Route.CUSTOMER, _("%(matched)s → owners %(owners)s") % {
                "matched": matched, "owners": ", ".join(e.name for e in owners)},
                customer=customer, contact_id=entry.contact_id,
                deliveries=[(e, Delivery.Reason.OWNER) for e in owners])
        return Decision(Mail.Route.NO_OWNER, _("%(matched)s, which has no owner → undistributed") % {
            "matched": matched}, customer=customer, contact_id=entry.contact_id)

    has_rule = AddressRule.objects.filter(address=sender).exists()
    rule = AddressRule.objects.select_related("employee").filter(address=sender).first() if has_rule else None
    if rule is not None and not rule.employee.has_left:
        return Decision(Mail.Route.RULE, _("address rule for %(sender)s → %(name)s") % {
            "sender": sender, "name": rule.employee.name}, deliveries=[(rule.employee, Delivery.Reason.RULE)])

    if mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.owner is not None and mailbox.owner.employee is not None:
        employee = mailbox.owner.employee
        return Decision(Mail.Route.PERSONAL, _("unknown sender in the personal mailbox of %(name)s") % {
            "name": employee.name}, deliveries=[(employee, Delivery.Reason.PERSONAL)])

    return Decision(Mail.Route.UNDISTRIBUTED, _("unknown sender %(sender)s → undistributed") % {"sender": sender})
