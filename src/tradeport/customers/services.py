"""Writes for customers, contacts, the address index and ownership."""

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from tradeport.audit.models import OperationLogEntry
from tradeport.audit.services import record_operation
from tradeport.customers import ownership as rules
from tradeport.customers.addresses import domain_of, normalise
from tradeport.customers.models import (
    CodeSequence,
    Contact,
    Customer,
    EmailAddress,
    Ownership,
    RegionOwnership,
)
from tradeport.org.models import Employee, Region
from tradeport.system import options

# Chinese legal forms may sit inside a name; Latin ones only as whole words ("Apex Joy" keeps "oy").
COMPANY_SUFFIXES = re.compile(
    r"有限责任公司|股份有限公司|有限公司|集团|公司|"
    r"(?<!\w)(?:co\.?,?\s*ltd\.?|company|corporation|corp\.?|inc\.?|limited|ltd\.?|llc|gmbh|"
    r"s\.?a\.?|s\.?r\.?l\.?|b\.?v\.?|pty|plc|ag|oy|ab)(?!\w)", re.IGNORECASE)


def mnemonic_for(name: str) -> str:
    """Pinyin initials of a Chinese name without its legal form (杭州丝绸有限公司 → HZSC)."""
    core = COMPANY_SUFFIXES.sub("", name).strip() or name
    initials = lazy_pinyin(core, style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return re.sub(r"[^0-9A-Za-z]", "", "".join(initials)).upper()[:40]


def name_key(name: str) -> str:
    """A company name without legal suffixes, case, spaces and punctuation: for 'similar name'."""
    stripped = COMPANY_SUFFIXES.sub("", name.lower())
    return re.sub(r"[\W_]+", "", stripped)[:200]


def digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-15:] if len(re.sub(r"\D", "", phone)) >= 6 else ""


def next_customer_code() -> str:
    """CUST-03: the next code in sequence; the row lock keeps two creators from taking one number."""
    sequence, _ = CodeSequence.objects.get_or_create(name="customer")
    sequence = CodeSequence.objects.select_for_update().get(pk=sequence.pk)
    value = sequence.next_value
    prefix = options.get("customer_code_prefix")
    width = options.get("customer_code_width")
    while Customer.objects.filter(code=f"{prefix}{value:0{width}d}").exists():
        value += 1  # a code typed by an import or an earlier prefix; never reuse one
    CodeSequence.objects.filter(pk=sequence.pk).update(next_value=value + 1)
    return f"{prefix}{value:0{width}d}"


def _search_text(customer: Customer, contacts) -> str:
    parts = [customer.code, customer.name, customer.phone, customer.fax, customer.main_email,
             *customer.backup_emails, customer.mnemonic]
    for contact in contacts:
        parts += [contact.name, contact.email, contact.fax]
    return " | ".join(p.lower() for p in parts if p)


@dataclass
class AddressClash:
    address: str
    holder: Customer


def _index_addresses(customer: Customer, contacts: list[Contact], user) -> None:
    """Rewrite the customer's rows in the address index; refuse addresses another record holds (CUST-07).

    One row per address: a contact whose address is the customer's main or backup address (the usual case
    for the main contact) shares that row, which then names the contact too. Two contacts with one address
    are refused, as the row can name only one of them.
    """
    rows: dict[str, EmailAddress] = {}
    if customer.main_email:
        rows[customer.main_email] = EmailAddress(address=customer.main_email, role=EmailAddress.Role.MAIN)
    for address in customer.backup_emails:
        rows.setdefault(address, EmailAddress(address=address, role=EmailAddress.Role.BACKUP))
    for contact in contacts:
        if not contact.email:
            continue
        row = rows.get(contact.email)
        if row is None:
            rows[contact.email] = EmailAddress(address=contact.email, role=EmailAddress.Role.CONTACT, contact=contact)
        elif row.contact is None and row.role != EmailAddress.Role.CONTACT:
            row.contact = contact
        else:
            raise ValidationError(_("%(address)s is entered twice on this record.") % {"address": contact.email})
    clashes = EmailAddress.objects.filter(address__in=list(rows)).exclude(customer=customer).select_related("customer")
    for clash in clashes:
        raise ValidationError(clash_message(clash.address, clash.customer, user))
    EmailAddress.objects.filter(customer=customer).delete()
    for row in rows.values():
        row.customer, row.domain = customer, domain_of(row.address)
    EmailAddress.objects.bulk_create(rows.values())


def clash_message(address: str, holder: Customer, user) -> str:
    """Name the holder only to someone who may see it (CUST-07)."""
    if user is not None and Customer.objects.visible_to(user).filter(pk=holder.pk).exists():
        return _("%(address)s is already used by %(code)s %(name)s.") % {
            "address": address, "code": holder.code, "name": holder.name}
    return _("%(address)s is already used by a record another salesperson holds.") % {"address": address}


def _refresh_derived(customer: Customer, contacts: list[Contact]) -> None:
    Customer.objects.filter(pk=customer.pk).update(
        search_text=_search_text(customer, contacts), phone_digits=digits(customer.phone),
        name_key=name_key(customer.name),
    )


def _normalise_emails(customer: Customer) -> None:
    customer.main_email = normalise(customer.main_email) if customer.main_email else ""
    backups = []
    for address in customer.backup_emails:
        address = normalise(address)
        if address != customer.main_email and address not in backups:
            backups.append(address)
    customer.backup_emails = backups


@transaction.atomic
def customer_save(*, customer: Customer, contacts: list[Contact], products=None, owners=None, actor) -> Customer:
    """Create or modify a customer with its contacts, owners and index rows (CUST-01..12, CUST-15)."""
    creating = customer.pk is None
    _normalise_emails(customer)
    for contact in contacts:
        contact.email = normalise(contact.email) if contact.email else ""
    if not customer.mnemonic:
        customer.mnemonic = mnemonic_for(customer.name)
    if creating:
        if not rules.may_create_in(actor, customer.region):
            raise ValidationError({"region": _(
                "Ownership is strict by region, and you are not an authorised creator for %(region)s."
            ) % {"region": customer.region.name}})
        customer.code = next_customer_code()
        customer.created_by = actor if actor and actor.is_authenticated else None
    customer.full_clean(exclude=["search_text", "phone_digits", "name_key"])
    customer.save()
    if products is not None:
        customer.products.set(products)
    kept = []
    for contact in contacts:
        contact.customer = customer
        contact.full_clean(exclude=["customer"])
        contact.save()
        kept.append(contact.pk)
    Contact.objects.filter(customer=customer).exclude(pk__in=kept).delete()
    _index_addresses(customer, contacts, actor)
    _refresh_derived(customer, contacts)
    if creating:
        chosen = list(owners) if owners else _proposed_owners(customer, actor)
        if customer.kind == Customer.Kind.CUSTOMER and not chosen:
            raise ValidationError({"owners": _("Choose at least one owner.")})
        ownership_set(customer=customer, employees=chosen, actor=actor, log=False)
    elif owners is not None:
        ownership_set(customer=customer, employees=list(owners), actor=actor)
    return customer


def _proposed_owners(customer: Customer, actor) -> list[Employee]:
    """CUST-10, OWN-12: the creator, plus in strict mode the region's default owners."""
    owners = []
    creator = actor.employee if actor and actor.is_authenticated else None
    if creator is not None and not creator.has_left:
        owners.append(creator)
    if rules.strict_mode():
        owners += [e for e in rules.default_owners_for(customer.region) if e not in owners]
    return owners


@transaction.atomic
def contact_save(*, contact: Contact, actor) -> Contact:
    """CUST-21: add or modify one contact from the customer page."""
    contact.email = normalise(contact.email) if contact.email else ""
    contact.full_clean()
    contact.save()
    customer = contact.customer
    contacts = list(customer.contacts.all())
    _index_addresses(customer, contacts, actor)
    _refresh_derived(customer, contacts)
    return contact


@transaction.atomic
def customer_delete(*, customer: Customer, actor) -> None:
    """CUST-16: soft delete; its addresses stop matching, its history stays."""
    customer.deleted_at = timezone.now()
    customer.deleted_by = actor
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    EmailAddress.objects.filter(customer=customer).delete()


@transaction.atomic
def customer_restore(*, customer: Customer, actor) -> None:
    """CUST-16: bring a deleted customer back, if nobody took its addresses meanwhile."""
    customer.deleted_at = None
    customer.deleted_by = None
    customer.save(update_fields=["deleted_at", "deleted_by", "updated_at"])
    _index_addresses(customer, list(customer.contacts.all()), actor)


# Ownership ------------------------------------------------------------------------

def _log_owners(customer: Customer, before: list[str], after: list[str], action: str = "") -> None:
    if before != after:
        record_operation(module="customers", action=OperationLogEntry.Action.UPDATE, instance=customer,
                         changes={"owners": [before, after], **({"how": action} if action else {})})


def _current_codes(customer: Customer) -> list[str]:
    return sorted(Ownership.objects.current().filter(customer=customer).values_list("employee__code", flat=True))


@transaction.atomic
def ownership_set(*, customer: Customer, employees: list[Employee], actor, log: bool = True) -> None:
    """Make `employees` the current owners: ends the others' rows, adds rows for new ones (OWN-13)."""
    before = _current_codes(customer)
    wanted = {e.pk for e in employees}
    now = timezone.now()
    Ownership.objects.current().filter(customer=customer).exclude(employee_id__in=wanted).update(
        is_latest=False, ended_at=now)
    present = set(Ownership.objects.current().filter(customer=customer).values_list("employee_id", flat=True))
    Ownership.objects.bulk_create([
        Ownership(customer=customer, employee=e, assigned_by=actor if actor and actor.is_authenticated else None,
                  assigned_at=now)
        for e in employees if e.pk not in present
    ])
    if log:
        _log_owners(customer, before, _current_codes(customer))


@transaction.atomic
def ownership_add(*, customer: Customer, employees: list[Employee], actor) -> None:
    current = list(Employee.objects.filter(ownerships__customer=customer, ownerships__is_latest=True))
    ownership_set(customer=customer, employees=current + [e for e in employees if e not in current], actor=actor)


@transaction.atomic
def ownership_move(*, customers: list[Customer], source: Employee, target: Employee, actor) -> int:
    """OWN-05: ownership moves from `source` to `target`; co-owners stay."""
    moved = 0
    for customer in customers:
        current = list(Employee.objects.filter(ownerships__customer=customer, ownerships__is_latest=True))
        if source not in current:
            continue
        wanted = [e for e in current if e != source]
        if target not in wanted:
            wanted.append(target)
        ownership_set(customer=customer, employees=wanted, actor=actor)
        moved += 1
    return moved


@transaction.atomic
def ownership_bulk_assign(*, customers: list[Customer], employees: list[Employee], replace: bool, actor) -> int:
    """OWN-06: replace (default) or add to the owners of several customers."""
    for customer in customers:
        if replace:
            ownership_set(customer=customer, employees=employees, actor=actor)
        else:
            ownership_add(customer=customer, employees=employees, actor=actor)
    return len(customers)


@dataclass
class TransferResult:
    customers: int
    source: Employee
    target: Employee | None


@transaction.atomic
def ownership_transfer(*, source: Employee, target: Employee | None, actor) -> TransferResult:
    """OWN-22..24: every customer of `source` goes to `target`, or just loses `source`; one transaction."""
    if target is not None and target.pk == source.pk:
        raise ValidationError(_("Choose a different salesperson as the target."))
    customers = list(Customer.objects.filter(ownerships__employee=source, ownerships__is_latest=True))
    for customer in customers:
        current = list(Employee.objects.filter(ownerships__customer=customer, ownerships__is_latest=True))
        wanted = [e for e in current if e != source]
        if target is not None and target not in wanted:
            wanted.append(target)
        ownership_set(customer=customer, employees=wanted, actor=actor, log=False)
    record_operation(module="customers", action=OperationLogEntry.Action.OTHER, object_type="customers.ownership",
                     object_repr=f"transfer {source.code} → {target.code if target else '-'}",
                     changes={"source": source.code, "target": target.code if target else None,
                              "customers": [c.code for c in customers]})
    return TransferResult(customers=len(customers), source=source, target=target)


# Region settings -------------------------------------------------------------------

@transaction.atomic
def region_setting_save(*, region: Region, inherit: bool, creators: list[Employee],
                        default_owners: list[Employee]) -> RegionOwnership:
    """OWN-07..10: a region's creators and default owners, or inheritance from its parent."""
    setting, _ = RegionOwnership.objects.get_or_create(region=region)
    before = _setting_snapshot(setting)
    setting.inherit_from_parent = inherit
    setting.save()
    if not inherit:
        setting.creators.set(creators)
        setting.default_owners.set(default_owners)
    after = _setting_snapshot(setting)
    if before != after:
        record_operation(module="customers", action=OperationLogEntry.Action.UPDATE, instance=setting,
                         object_repr=f"ownership of {region.name}",
                         changes={k: [before[k], after[k]] for k in after if before[k] != after[k]})
    return setting


def _setting_snapshot(setting: RegionOwnership) -> dict:
    return {"inherit": setting.inherit_from_parent,
            "creators": sorted(setting.creators.values_list("code", flat=True)),
            "default_owners": sorted(setting.default_owners.values_list("code", flat=True))}


@transaction.atomic
def region_setting_push_down(*, region: Region) -> int:
    """OWN-11: copy the region's effective lists onto every descendant, replacing their own."""
    source = rules.effective_setting(region)
    creators = list(source.creators.all()) if source else []
    owners = list(source.default_owners.all()) if source else []
    count = 0
    for child in Region.objects.subtree(region).exclude(pk=region.pk):
        region_setting_save(region=child, inherit=False, creators=creators, default_owners=owners)
        count += 1
    record_operation(module="customers", action=OperationLogEntry.Action.OTHER, object_type="org.region",
                     object_id=str(region.pk), object_repr=f"push down ownership of {region.name}",
                     changes={"regions": count, "creators": [e.code for e in creators],
                              "default_owners": [e.code for e in owners]})
    return count
