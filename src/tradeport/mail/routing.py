"""Match and route (MAIL-01): which record a mail belongs to, who gets it, and why.

The order is SPEC's: blocked sender → the matched customer's owners → an
address rule → the personal mailbox's owner → undistributed. Mail sent by our
own mailboxes is filed as outgoing to the customer its recipients match.
Matching reads the address index and nothing else; a domain match never routes.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Min
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.mail.models import AddressRule, BlockedAddress, Delivery, Mail, Mailbox
from tradeport.org.models import Employee
from tradeport.system import options


@dataclass
class Decision:
    route: str
    facts: dict  # what the reason says, rendered in the reader's language by describe()
    customer: Customer | None = None
    contact_id: int | None = None
    deliveries: list[tuple[Employee, str]] = field(default_factory=list)
    blocked: BlockedAddress | None = None

    @property
    def reason(self) -> str:
        return describe(self.facts)


ROLE_WORDS = {  # translated when the reason is shown; the context keeps them apart from field labels
    EmailAddress.Role.MAIN: pgettext_lazy("mail route", "main email"),
    EmailAddress.Role.BACKUP: pgettext_lazy("mail route", "backup email"),
    EmailAddress.Role.CONTACT: pgettext_lazy("mail route", "contact email"),
}


def describe(facts: dict, *, hide_customer: bool = False, hide_suggestion: bool = False) -> str:
    """The route reason in the active language, from the facts stored with the mail.

    PERM-13: for a reader who may not see the customer, the customer, its contact and owners go unnamed."""
    kind = facts.get("kind")
    matched = ""
    if "code" in facts and hide_customer:
        matched = _("a customer a colleague holds")
        facts = {**facts, "owners": [_("a colleague")]}
    elif "code" in facts:
        matched = _("%(role)s of %(code)s %(name)s") % {
            "role": str(ROLE_WORDS.get(facts.get("role"), ROLE_WORDS[EmailAddress.Role.MAIN])),
            "code": facts["code"], "name": facts["name"]}
        if facts.get("contact"):
            matched += _(" (contact %(name)s)") % {"name": facts["contact"]}
    if kind == "outgoing":
        text = _("sent by %(mailbox)s to %(matched)s") % {"mailbox": facts["mailbox"], "matched": matched}
    elif kind == "mass":
        text = _("sent by %(mailbox)s in the mass mailing “%(subject)s”") % {
            "mailbox": facts["mailbox"], "subject": facts.get("subject", "")}
    elif kind == "outgoing_unknown":
        text = _("sent by %(mailbox)s; no recipient is a known record") % {"mailbox": facts["mailbox"]}
    elif kind == "blocked":
        text = _("%(sender)s is blocked") % {"sender": facts["sender"]}
    elif kind == "customer":
        text = _("%(matched)s → owners %(owners)s") % {"matched": matched, "owners": ", ".join(facts["owners"])}
    elif kind == "no_owner":
        text = _("%(matched)s, which has no owner → undistributed") % {"matched": matched}
    elif kind == "rule":
        text = _("address rule for %(sender)s → %(name)s") % {"sender": facts["sender"], "name": facts["employee"]}
    elif kind == "personal":
        text = _("unknown sender in the personal mailbox of %(name)s") % {"name": facts["employee"]}
    else:
        text = _("unknown sender %(sender)s → undistributed") % {"sender": facts.get("sender", "")}
    if facts.get("suggested") and not hide_suggestion:
        text += _(" (the domain matches %(code)s %(name)s: a suggestion only)") % facts["suggested"]
    if facts.get("archived"):
        text += _(" (imported as already handled)")
    return text


def _matched(entry: EmailAddress) -> dict:
    facts = {"role": entry.role, "code": entry.customer.code, "name": entry.customer.name}
    if entry.contact_id:
        facts["contact"] = entry.contact.name
    return facts


class RoutingIndex:
    """What routing needs for a batch of mail, read in four queries instead of four per mail."""

    def __init__(self, *, senders: set[str], addresses: set[str]):
        senders = {s for s in senders if s}
        addresses = {a for a in addresses if a} | senders
        self.blocked = (dict(BlockedAddress.objects.filter(address__in=senders).values_list("address", "pk"))
                        if senders else {})
        self.entries: dict[str, EmailAddress] = {}
        self.owners: dict[int, list[Employee]] = defaultdict(list)
        if addresses:
            self.entries = {e.address: e for e in EmailAddress.objects.select_related("customer", "contact").filter(
                address__in=addresses, customer__deleted_at__isnull=True)}
        if self.entries:
            customer_ids = {e.customer_id for e in self.entries.values()}
            for ownership in (Ownership.objects.current().filter(customer_id__in=customer_ids)
                              .select_related("employee").order_by("employee__code")):
                self.owners[ownership.customer_id].append(ownership.employee)
        self.rules = ({r.address: r for r in AddressRule.objects.select_related("employee").filter(address__in=senders)}
                      if senders else {})

    def match(self, addresses: list[str]) -> EmailAddress | None:
        """The first address, in header order, that belongs to a live record."""
        return next((self.entries[a] for a in addresses if a in self.entries), None)


def route(*, mailbox: Mailbox, sender: str, recipients: list[str], outgoing: bool,
          index: RoutingIndex | None = None) -> Decision:
    """Decide the route of one mail; every decision carries the reason shown to users."""
    if index is None:
        index = RoutingIndex(senders={sender}, addresses=set(recipients))
    if outgoing:
        entry = index.match(recipients)
        if entry is None:
            return Decision(Mail.Route.OUTGOING, {"kind": "outgoing_unknown", "mailbox": mailbox.address})
        return Decision(Mail.Route.OUTGOING, {"kind": "outgoing", "mailbox": mailbox.address, **_matched(entry)},
                        customer=entry.customer, contact_id=entry.contact_id)

    if sender in index.blocked:
        blocked = BlockedAddress(pk=index.blocked[sender], address=sender)
        return Decision("blocked", {"kind": "blocked", "sender": sender}, blocked=blocked)

    entry = index.match([sender])
    if entry is not None:
        customer = entry.customer
        owners = index.owners.get(customer.pk, [])
        if owners:
            return Decision(Mail.Route.CUSTOMER, {"kind": "customer", **_matched(entry),
                                                  "owners": [e.name for e in owners]},
                            customer=customer, contact_id=entry.contact_id,
                            deliveries=[(e, Delivery.Reason.OWNER) for e in owners])
        return Decision(Mail.Route.NO_OWNER, {"kind": "no_owner", **_matched(entry)},
                        customer=customer, contact_id=entry.contact_id)

    rule = index.rules.get(sender)
    if rule is not None and not rule.employee.has_left:
        return Decision(Mail.Route.RULE, {"kind": "rule", "sender": sender, "employee": rule.employee.name},
                        deliveries=[(rule.employee, Delivery.Reason.RULE)])

    if mailbox.kind == Mailbox.Kind.PERSONAL and mailbox.owner is not None and mailbox.owner.employee is not None:
        employee = mailbox.owner.employee
        return Decision(Mail.Route.PERSONAL, {"kind": "personal", "employee": employee.name},
                        deliveries=[(employee, Delivery.Reason.PERSONAL)])

    return Decision(Mail.Route.UNDISTRIBUTED, {"kind": "undistributed", "sender": sender})


def suggest_customers(senders: set[str], ours: set[str]) -> dict[str, Customer]:
    """Senders' domains that a customer's addresses share, outside public mail services and our own domains.

    One suggestion per domain: the oldest live customer using it. A suggestion never routes.
    """
    public = set(options.get("public_mail_domains"))
    own_domains = {a.rpartition("@")[2] for a in ours}
    domains = {s.rpartition("@")[2] for s in senders if "@" in s} - public - own_domains
    if not domains:
        return {}
    first = dict(EmailAddress.objects.filter(domain__in=domains, customer__deleted_at__isnull=True)
                 .values("domain").annotate(first=Min("customer_id")).values_list("domain", "first"))
    customers = Customer.objects.in_bulk(set(first.values()))
    return {domain: customers[pk] for domain, pk in first.items() if pk in customers}
