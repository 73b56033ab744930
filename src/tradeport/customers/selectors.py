"""Reads that outgrow a QuerySet method: the duplicate check (查重)."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from tradeport.customers.addresses import domain_of, is_free_mail
from tradeport.customers.models import Customer, EmailAddress, Ownership
from tradeport.customers.services import digits, name_key
from tradeport.system import options

LIMIT = 10


@dataclass
class Duplicate:
    customer: Customer
    reasons: list[str] = field(default_factory=list)
    visible: bool = False
    owners: list[str] = field(default_factory=list)
    owner_hidden: bool = False


def find_duplicates(*, user, name: str = "", emails: list[str] = (), phone: str = "",
                    exclude_pk: int | None = None) -> list[Duplicate]:
    """Records that look like the one being entered; hidden details stay hidden from who may not see them."""
    found: dict[int, Duplicate] = {}

    def add(customers, reason):
        for customer in customers[:LIMIT]:
            if customer.pk == exclude_pk:
                continue
            entry = found.setdefault(customer.pk, Duplicate(customer=customer))
            if reason not in entry.reasons:
                entry.reasons.append(reason)

    alive = Customer.objects.alive()
    emails = [e for e in emails if e]
    if emails:
        add(alive.filter(addresses__address__in=emails).distinct(), _("same email address"))
        domains = sorted({domain_of(e) for e in emails if not is_free_mail(domain_of(e))})
        if domains:
            add(alive.filter(addresses__domain__in=domains).distinct(), _("same company domain"))
    key = name_key(name)
    if len(key) >= 2:
        similar = alive.filter(name_key=key)
        if len(key) >= 4:
            similar = alive.filter(name_key__contains=key) | similar
        add(similar.distinct(), _("similar name"))
    phone_key = digits(phone)
    if phone_key:
        add(alive.filter(phone_digits=phone_key), _("same phone"))
    if not found:
        return []
    visible = set(Customer.objects.visible_to(user).filter(pk__in=list(found)).values_list("pk", flat=True))
    owners: dict[int, list[str]] = {}
    for customer_id, owner in (Ownership.objects.current().filter(customer_id__in=list(found))
                               .values_list("customer_id", "employee__name")):
        owners.setdefault(customer_id, []).append(owner)
    name_owners = options.get("duplicate_check_owner") == "show"
    for pk, entry in found.items():
        entry.visible = pk in visible
        # A record the user may not see names its owner only when the company chose so (system option).
        entry.owners = sorted(owners.get(pk, [])) if entry.visible or name_owners else []
        entry.owner_hidden = not entry.visible and not name_owners
    return list(found.values())


def address_holder(address: str) -> EmailAddress | None:
    return EmailAddress.objects.select_related("customer", "contact").filter(address=address).first()
