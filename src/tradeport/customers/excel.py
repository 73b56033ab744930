"""Customer import and export: .xlsx (openpyxl) and .csv, read as a stream."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from tradeport.codes.models import CodeItem
from tradeport.customers import services
from tradeport.customers.addresses import normalise, split_list
from tradeport.customers.models import Contact, Customer, EmailAddress
from tradeport.org.models import Employee, Region

# Column key → header as it appears in the template (either language is accepted).
COLUMNS = (
    ("name", "Customer name", "客户名称"),
    ("region", "Region", "所属地区"),
    ("main_email", "Main email", "电子邮件"),
    ("backup_emails", "Backup emails", "备用邮箱"),
    ("phone", "Phone", "电话"),
    ("fax", "Fax", "传真"),
    ("customer_type", "Customer type", "客户类型"),
    ("level", "Customer level", "客户级别"),
    ("source", "Customer source", "客户来源"),
    ("industry", "Industry", "客户行业"),
    ("products", "Products", "经营产品"),
    ("website", "Website", "网址"),
    ("address", "Address", "地址"),
    ("owners", "Owner codes", "分管人员工代码"),
    ("remarks", "Remarks", "备注"),
    ("contact_name", "Contact name", "联系人"),
    ("contact_email", "Contact email", "联系人邮箱"),
    ("contact_phone", "Contact phone", "联系人电话"),
    ("contact_title", "Contact title", "联系人职务"),
)
REQUIRED = ("name", "region")
MAX_ROWS = 50_000


@dataclass
class ImportRow:
    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    rows: list[ImportRow]
    customers: dict  # name → {"fields": ..., "contacts": [...], "lines": [...]}
    header_error: str = ""

    @property
    def errors(self) -> list[ImportRow]:
        return [r for r in self.rows if r.errors]

    @property
    def ok(self) -> bool:
        return not self.header_error and not self.errors and bool(self.customers)


def _rows_from(upload) -> tuple[list[str], object]:
    """Header and a row iterator, for .xlsx or .csv (UTF-8, with or without BOM, or GB18030)."""
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        workbook = load_workbook(upload, read_only=True, data_only=True)
        rows = workbook.active.iter_rows(values_only=True)
        header = next(rows, ())
        return [str(h or "").strip() for h in header], rows
    if name.endswith(".csv"):
        raw = upload.read()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(_("The CSV file is neither UTF-8 nor GB18030 text."))
        reader = csv.reader(io.StringIO(text))
        header = next(reader, [])
        return [h.strip() for h in header], reader
    raise ValidationError(_("Upload an .xlsx or .csv file."))


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Lookups:
    """Everything a row may name, loaded once, so a 50,000-row file does not query per row."""

    def __init__(self):
        self.codes = {}
        for item in CodeItem.objects.select_related("group").filter(is_active=True):
            for key in (item.code, item.name_zh, item.name_en):
                if key:
                    self.codes[(item.group.key, key.lower())] = item
        self.employees = {e.code: e for e in Employee.objects.salespeople()}
        self.taken = dict(EmailAddress.objects.values_list("address", "customer_id"))

    def region(self, text: str) -> Region | None:
        matches = list(Region.objects.filter(Q(code__iexact=text) | Q(name_zh=text) | Q(name_en__iexact=text))[:2])
        return matches[0] if len(matches) == 1 else None

    def code(self, group: str, text: str) -> CodeItem | None:
        return self.codes.get((group, text.lower()))


def plan_import(upload, *, user) -> ImportPlan:
    """Read and check every row; nothing is written. Rows with one customer name form one customer."""
    header, rows = _rows_from(upload)
    keys = {}
    for index, title in enumerate(header):
        for key, en, zh in COLUMNS:
            if title.lower() in (key, en.lower(), zh):
                keys[index] = key
    missing = [en for key, en, _zh in COLUMNS if key in REQUIRED and key not in keys.values()]
    if missing:
        return ImportPlan(rows=[], customers={}, header_error=_("Missing columns: %(columns)s.") % {
            "columns": ", ".join(missing)})
    lookups = _Lookups()
    regions: dict[str, Region | None] = {}
    plan = ImportPlan(rows=[], customers={})
    seen_addresses: dict[str, dict] = {}
    for line, raw in enumerate(rows, start=2):
        values = {keys[i]: _cell(v) for i, v in enumerate(raw) if i in keys}
        if not any(values.values()):
            continue
        if len(plan.rows) >= MAX_ROWS:
            plan.header_error = _("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS}
            break
        row = ImportRow(line=line, values=values)
        plan.rows.append(row)
        name = values.get("name", "")
        if not name:
            row.errors.append(_("Customer name is required."))
            continue
        entry = plan.customers.get(name)
        if entry is None:
            entry = _customer_from_row(row, lookups, regions)
            if row.errors:
                continue
            plan.customers[name] = entry
        entry["lines"].append(line)
        _contact_from_row(row, entry)
        for address, by_contact in _addresses_of(row, entry, first=len(entry["lines"]) == 1):
            seen = seen_addresses.get(address)
            if address in lookups.taken:
                holder = Customer.objects.get(pk=lookups.taken[address])
                row.errors.append(services.clash_message(address, holder, user))
            elif seen is None:
                seen_addresses[address] = {"line": line, "name": name, "contact": by_contact}
            elif by_contact and seen["name"] == name and not seen["contact"]:
                seen["contact"] = True  # CUST-07: a contact may have the customer's own address (one index row)
            elif seen["line"] != line:
                row.errors.append(_("%(address)s also appears on line %(line)s.") % {
                    "address": address, "line": seen["line"]})
        if Customer.objects.alive().filter(name_key=services.name_key(name)).exists() and len(entry["lines"]) == 1:
            row.warnings.append(_("A customer with a similar name already exists."))
    return plan


def _customer_from_row(row: ImportRow, lookups: _Lookups, regions: dict) -> dict:
    values = row.values
    region_text = values.get("region", "")
    if not region_text:
        row.errors.append(_("Region is required."))
    else:
        if region_text not in regions:
            regions[region_text] = lookups.region(region_text)
        if regions[region_text] is None:
            row.errors.append(_("Unknown or ambiguous region: %(region)s.") % {"region": region_text})
    fields = {"name": values["name"], "region": regions.get(region_text)}
    for key in ("phone", "fax", "website", "address", "remarks"):
        fields[key] = values.get(key, "")
    try:
        fields["main_email"] = normalise(values["main_email"]) if values.get("main_email") else ""
        fields["backup_emails"] = split_list(values.get("backup_emails", ""))
    except ValidationError as error:
        row.errors.extend(error.messages)
    for key, group in (("customer_type", "customer_type"), ("level", "customer_level"),
                       ("source", "customer_source"), ("industry", "industry")):
        text = values.get(key, "")
        fields[key] = lookups.code(group, text) if text else None
        if text and fields[key] is None:
            row.errors.append(_("Unknown %(column)s: %(value)s.") % {"column": key.replace("_", " "), "value": text})
    products = []
    for text in filter(None, (p.strip() for p in values.get("products", "").replace("；", ";").split(";"))):
        item = lookups.code("product", text)
        if item is None:
            row.errors.append(_("Unknown product: %(value)s.") % {"value": text})
        products.append(item)
    owners = []
    for code in filter(None, (c.strip() for c in values.get("owners", "").replace(",", ";").split(";"))):
        if code not in lookups.employees:
            row.errors.append(_("No active salesperson has the code %(code)s.") % {"code": code})
        owners.append(lookups.employees.get(code))
    return {"fields": fields, "products": products, "owners": owners, "contacts": [], "lines": []}


def _contact_from_row(row: ImportRow, entry: dict) -> None:
    values = row.values
    if not values.get("contact_name") and values.get("contact_email"):
        row.errors.append(_("A contact email needs a contact name."))
        return
    if values.get("contact_name"):
        try:
            email = normalise(values["contact_email"]) if values.get("contact_email") else ""
        except ValidationError as error:
            row.errors.extend(error.messages)
            return
        entry["contacts"].append({"name": values["contact_name"], "email": email,
                                  "phone": values.get("contact_phone", ""), "title": values.get("contact_title", "")})


def _addresses_of(row: ImportRow, entry: dict, *, first: bool) -> list[tuple[str, bool]]:
    """The addresses a row adds, each with whether a contact holds it."""
    addresses = []
    if first:
        addresses += [(a, False) for a in [entry["fields"].get("main_email", ""),
                                           *entry["fields"].get("backup_emails", [])]]
    if entry["contacts"] and row.values.get("contact_name") and entry["contacts"][-1]["email"]:
        addresses.append((entry["contacts"][-1]["email"], True))
    return [(a, by_contact) for a, by_contact in addresses if a]


@transaction.atomic
def run_import(plan: ImportPlan, *, user) -> int:
    """Create every planned customer, or none (one transaction). Returns how many were created."""
    if not plan.ok:
        raise ValidationError(_("The file has errors; nothing was imported."))
    created = 0
    for entry in plan.customers.values():
        customer = Customer(**entry["fields"])
        contacts = [Contact(**c) for c in entry["contacts"]]
        services.customer_save(customer=customer, contacts=contacts, products=entry["products"],
                               owners=entry["owners"] or None, actor=user)
        created += 1
    return created


def export_customers(queryset, stream) -> None:
    """Write the customers of `queryset` to `stream` as .xlsx, row by row (write-only mode)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Customers"))
    chinese = (get_language() or "").startswith("zh")
    sheet.append(["客户代码" if chinese else "Customer code", *[zh if chinese else en for _key, en, zh in COLUMNS[:15]]])
    for customer in queryset.prefetch_related("products").iterator(chunk_size=1000):
        sheet.append([
            customer.code, customer.name, customer.region.name, customer.main_email, "; ".join(customer.backup_emails),
            customer.phone, customer.fax,
            customer.customer_type.name if customer.customer_type else "",
            customer.level.name if customer.level else "", customer.source.name if customer.source else "",
            customer.industry.name if customer.industry else "",
            "; ".join(p.name for p in customer.products.all()), customer.website, customer.address,
            "; ".join(o.employee.code for o in getattr(customer, "current", [])), customer.remarks,
        ])
    workbook.save(stream)
