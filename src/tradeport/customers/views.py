import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from tradeport.accounts.permissions import function_required
from tradeport.customers import services
from tradeport.customers.addresses import split_list
from tradeport.customers.forms import (
    CategorySearchForm,
    ContactForm,
    ContactFormSet,
    CustomerForm,
)
from tradeport.customers.models import Customer, Ownership
from tradeport.customers.selectors import find_duplicates
from tradeport.org.models import Employee, Region
from tradeport.org.views import _pick
from tradeport.system.confirm import confirm_delete
from tradeport.system.lists import list_page
from tradeport.system.params import next_url

# "created" sorts by id: the same order as created_at, read straight off the table.
SEARCH_CAP = 5000  # a search matching more shows the first 5,000 and says so
SORTS = {"code": "code", "name": "name", "region": "region__name_en", "created": "id", "level": "level__code"}


def _ids(values) -> list[int]:
    """The numeric ids among posted values; anything else is ignored."""
    return [int(v) for v in values if str(v).isdigit()]


def may_see_everything(user) -> bool:
    return user.is_administrator or user.has_perm("accounts.all_customers_inspection")


def visible_customers(request):
    return Customer.objects.visible_to(request.user)


def customer_for(request, pk) -> Customer:
    """A customer the user may see, else 404 exactly like one that does not exist (PERM-13)."""
    return get_object_or_404(visible_customers(request).alive(), pk=pk)


def _with_owners(queryset):
    return queryset.select_related("region", "level", "customer_type", "source", "industry").prefetch_related(
        Prefetch("ownerships", queryset=Ownership.objects.current().select_related("employee"), to_attr="current"))


def filtered_customers(request, *, maintenance: bool):
    """Visible customers under the search form, the region filter and the hidden/deleted rules."""
    form = CategorySearchForm(request.GET or None)
    queryset = visible_customers(request)
    everything = may_see_everything(request.user)
    region = _pick(Region.objects.all(), request.GET.get("region"))
    if form.is_valid():
        queryset = form.apply(queryset)
        show_hidden = form.cleaned_data["show_hidden"] and everything
        show_deleted = form.cleaned_data["show_deleted"] and everything
    else:
        show_hidden = show_deleted = False
    if not show_deleted:
        queryset = queryset.alive()
    else:
        queryset = queryset.filter(deleted_at__isnull=False)
    if maintenance and not show_hidden:
        queryset = queryset.filter(hidden=False)  # CUST-08
    if region is not None:
        queryset = queryset.filter(region__path__startswith=region.path)
    return form, region, queryset


def _list(request, *, maintenance: bool, template: str):
    form, region, queryset = filtered_customers(request, maintenance=maintenance)
    searching = bool(form.is_valid() and form.cleaned_data.get("q"))
    listing = list_page(request, _with_owners(queryset), sort_fields=SORTS, default_sort="-created",
                        id_cap=SEARCH_CAP if searching else None)
    context = {"form": form, "listing": listing, "region": region, "maintenance": maintenance,
               "everything": may_see_everything(request.user),
               "salespeople": Employee.objects.salespeople().order_by("code")}
    if request.htmx and request.htmx.target == "customer-table":
        return render(request, f"{template}#table", context)
    return render(request, template, context)


@function_required("fn_customer_maintenance")
def customer_list(request):
    """CUST-14, CUST-17, CUST-19: customer record maintenance."""
    return _list(request, maintenance=True, template="customers/customer_list.html")


@function_required("fn_customer_query")
def customer_query(request):
    """CUST-20: the read-only customer query."""
    return _list(request, maintenance=False, template="customers/customer_list.html")


def _may_open(user) -> bool:
    return any(user.has_perm(f"accounts.{f}") for f in ("fn_customer_maintenance", "fn_customer_query", "fn_customer_new"))


@login_required
def customer_detail(request, pk):
    if not _may_open(request.user):
        raise PermissionDenied
    customer = customer_for(request, pk)
    zones = customer.region.effective_time_zones()
    # Formatted here: the template's date filter would turn it back into the company's zone.
    local_time = timezone.now().astimezone(zoneinfo.ZoneInfo(zones[0])).strftime("%Y-%m-%d %H:%M") if zones else ""
    return render(request, "customers/customer_detail.html", {
        "customer": customer, "contacts": customer.contacts.all(), "local_time": local_time,
        "time_zone": zones[0] if zones else "",
        "owners": Ownership.objects.current().filter(customer=customer).select_related("employee"),
        "history": Ownership.objects.filter(customer=customer).select_related("employee", "assigned_by")[:50],
        "can_edit": request.user.has_perm("accounts.fn_customer_maintenance"),
        "contact_form": ContactForm(),
        "bounced": _bounced(customer),
    })


def _bounced(customer):
    """SEND-17: the customer's addresses that mail came back from as undeliverable."""
    from tradeport.mail.models import BouncedAddress

    return BouncedAddress.objects.filter(address__in=customer.addresses.values("address")).order_by("address")


@function_required("fn_customer_new")
@require_http_methods(["GET", "POST"])
def customer_create(request):
    kind = request.GET.get("kind", Customer.Kind.CUSTOMER)
    customer = Customer(kind=kind if kind in Customer.Kind.values else Customer.Kind.CUSTOMER)
    source = _source_mail(request)
    if source is not None:  # MAIL-09: a record from a stranger's mail, its address already filled in
        customer.main_email = source.from_address
    return _customer_form(request, customer, source_mail=source)


def _source_mail(request):
    from tradeport.mail.models import Mail

    number = request.GET.get("from_mail", "")
    if not number.isdigit():
        return None
    return Mail.objects.visible_to(request.user).filter(pk=int(number), deleted_at__isnull=True,
                                                        customer__isnull=True).first()


@function_required("fn_customer_maintenance")
@require_http_methods(["GET", "POST"])
def customer_update(request, pk):
    return _customer_form(request, customer_for(request, pk))


def _customer_form(request, customer, source_mail=None):
    creating = customer.pk is None
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    # Shown on the empty form only: posted back unchanged, an initial value would count as "no change".
    initial = [{"name": source_mail.from_name}] if (
        source_mail is not None and source_mail.from_name and request.method == "GET") else None
    contacts = ContactFormSet(request.POST or None, instance=customer, prefix="contacts", initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid() and contacts.is_valid():
        try:
            with transaction.atomic():
                saved = form.save(commit=False)
                kept = [f.save(commit=False) for f in contacts.forms
                        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("name")]
                owners = form.cleaned_data["owners"] or None
                saved = services.customer_save(customer=saved, contacts=kept, products=form.cleaned_data["products"],
                                               owners=owners, actor=request.user)
                refiled_text = []
                if source_mail is not None:
                    from tradeport.mail import triage

                    refiled = triage.record_created(source_mail, customer=saved, actor=request.user)
                    refiled_text = [triage.filed_text(refiled), *triage.left_alone_text(refiled)]
        except ValidationError as error:
            if creating:  # the transaction rolled back: the form stays a new-customer form
                customer.pk, customer.code = None, ""
                customer._state.adding = True
            _attach(form, error)
        else:
            messages.success(request, " ".join([
                _("%(code)s %(name)s saved.") % {"code": saved.code, "name": saved.name}, *refiled_text]))
            if source_mail is not None:
                return redirect("mail:mail_read", pk=source_mail.pk)
            return redirect(saved.get_absolute_url())
    if request.method == "POST" and creating and hasattr(form, "cleaned_data"):
        duplicates = _duplicates_for(request, form)
    return render(request, "customers/customer_form.html", {
        "form": form, "contacts": contacts, "customer": customer, "duplicates": duplicates,
    }, status=400 if request.method == "POST" else 200)


def _attach(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _duplicates_for(request, form):
    data = form.cleaned_data
    return find_duplicates(user=request.user, name=data.get("name", ""),
                           emails=[data.get("main_email", ""), *data.get("backup_emails_text", [])],
                           phone=data.get("phone", ""), exclude_pk=form.instance.pk)


@function_required("fn_customer_new")
@require_POST
def duplicate_check(request):
    """查重: what already looks like the record being typed (htmx, from the create form)."""
    emails = []
    for raw in [request.POST.get("main_email", ""), request.POST.get("backup_emails_text", ""),
                *[v for k, v in request.POST.items() if k.startswith("contacts-") and k.endswith("-email")]]:
        try:
            emails += split_list(raw)
        except ValidationError:
            continue
    found = find_duplicates(user=request.user, name=request.POST.get("name", ""), emails=emails,
                            phone=request.POST.get("phone", ""),
                            exclude_pk=int(request.POST["pk"]) if request.POST.get("pk", "").isdigit() else None)
    return render(request, "customers/_duplicates.html", {"duplicates": found, "checked": True})


@function_required("fn_customer_maintenance")
@require_http_methods(["GET", "POST"])
def customer_delete(request, pk):
    customer = customer_for(request, pk)
    return confirm_delete(
        request, delete=lambda: services.customer_delete(customer=customer, actor=request.user),
        question=_("Delete customer %(code)s %(name)s?") % {"code": customer.code, "name": customer.name},
        note=_("Its mail and follow-up history are kept, and its addresses stop matching new mail. "
               "A manager can restore it."),
        cancel_url=customer.get_absolute_url(), done_url=reverse("customers:customer_list"),
        done_message=_("%(code)s %(name)s deleted. Its mail history is kept.")
        % {"code": customer.code, "name": customer.name},
    )


@function_required("fn_customer_maintenance")
@require_POST
def customer_restore(request, pk):
    if not may_see_everything(request.user):
        raise PermissionDenied
    customer = get_object_or_404(Customer.objects.filter(deleted_at__isnull=False), pk=pk)
    try:
        services.customer_restore(customer=customer, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(f"{reverse("customers:customer_list")}?show_deleted=on")
    messages.success(request, _("%(code)s %(name)s restored.") % {"code": customer.code, "name": customer.name})
    return redirect(customer.get_absolute_url())


@function_required("fn_customer_maintenance")
@require_POST
def contact_create(request, pk):
    """CUST-21: add a contact from the customer page."""
    customer = customer_for(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        contact = form.save(commit=False)
        contact.customer = customer
        try:
            services.contact_save(contact=contact, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Contact %(name)s added.") % {"name": contact.name})
    else:
        messages.error(request, " ".join(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()))
    # VIEW-08 adds contacts from the follow-up record too
    return redirect(next_url(request, customer.get_absolute_url()))


@function_required("fn_customer_maintenance")
@require_POST
def customer_bulk_assign(request):
    """OWN-06: several selected customers get new owners (replace or add)."""
    customers = list(visible_customers(request).alive().filter(pk__in=_ids(request.POST.getlist("customer"))))
    employees = list(Employee.objects.salespeople().filter(pk__in=_ids(request.POST.getlist("owners"))))
    if not customers or not employees:
        messages.error(request, _("Select at least one customer and one owner."))
    else:
        replace = request.POST.get("mode", "replace") != "add"
        services.ownership_bulk_assign(customers=customers, employees=employees, replace=replace, actor=request.user)
        messages.success(request, ngettext("Owners of %(n)s customer updated.", "Owners of %(n)s customers updated.",
                                           len(customers)) % {"n": len(customers)})
    return redirect(next_url(request, reverse("customers:customer_list")))


@function_required("fn_customer_maintenance")
def customer_export(request):
    """Export the visible, filtered list as .xlsx."""
    from tradeport.customers.excel import export_customers

    _form, _region, queryset = filtered_customers(request, maintenance=True)
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="customers.xlsx"'
    export_customers(_with_owners(queryset).order_by("code"), response)
    return response


# Import (.xlsx / .csv) ------------------------------------------------------------------

IMPORT_SESSION_KEY = "customer_imports"


@function_required("fn_customer_new")
@require_http_methods(["GET", "POST"])
def customer_import(request):
    """Upload → preview with per-row errors and duplicates → import all or nothing."""
    import uuid
    from pathlib import PurePosixPath

    from django.core.files.storage import default_storage

    from tradeport.customers.excel import COLUMNS, plan_import, run_import

    context = {"columns": COLUMNS}
    if request.method == "POST":
        pending = request.session.get(IMPORT_SESSION_KEY, {})
        token = request.POST.get("token", "")
        if "file" in request.FILES:
            upload = request.FILES["file"]
            suffix = PurePosixPath(upload.name).suffix.lower()
            if suffix not in (".xlsx", ".csv"):
                messages.error(request, _("Upload an .xlsx or .csv file."))
                return redirect("customers:customer_import")
            token = uuid.uuid4().hex
            path = default_storage.save(f"imports/{token}{suffix}", upload)
            pending[token] = {"path": path, "name": upload.name}
            request.session[IMPORT_SESSION_KEY] = pending
        if token not in pending:
            messages.error(request, _("That upload has expired; choose the file again."))
            return redirect("customers:customer_import")
        stored = pending[token]
        with default_storage.open(stored["path"], "rb") as handle:
            handle.name = stored["name"]
            try:
                plan = plan_import(handle, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect("customers:customer_import")
            except Exception:
                messages.error(request, _("The file could not be read as a spreadsheet. Is it a real .xlsx or .csv file?"))
                return redirect("customers:customer_import")
        if request.POST.get("confirm") and plan.ok:
            try:
                created = run_import(plan, user=request.user)
            except ValidationError as error:
                messages.error(request, _("Nothing was imported: %(error)s") % {"error": " ".join(error.messages)})
            else:
                default_storage.delete(stored["path"])
                pending.pop(token, None)
                request.session[IMPORT_SESSION_KEY] = pending
                messages.success(request, ngettext("%(n)s customer imported.", "%(n)s customers imported.", created)
                                 % {"n": created})
                return redirect("customers:customer_list")
        context.update({"plan": plan, "token": token, "file_name": stored["name"]})
        return render(request, "customers/customer_import.html", context, status=200 if plan.ok else 400)
    return render(request, "customers/customer_import.html", context)


@login_required
def customer_picker(request):
    """The customer picker's body: region tree, then visible customers, with search (GEN-06, CUST-22)."""
    from tradeport.org.views import _with_child_flags

    target = request.GET.get("target", "")
    query = request.GET.get("q", "").strip()
    region = _pick(Region.objects.all(), request.GET.get("region"))
    customers = visible_customers(request).alive()
    if region is not None:
        customers = customers.filter(region__path__startswith=region.path)
    if query:
        customers = customers.search(query)
    regions = _with_child_flags(region.children.all() if region else Region.objects.roots())
    return render(request, "customers/picker_customers.html", {
        "target": target, "query": query, "region": region, "regions": regions,
        "trail": [*region.ancestors(), region] if region else [],
        "customers": customers.select_related("region").order_by("name")[:100] if (region or query) else [],
        "multiple": request.GET.get("multiple") == "1",
        "params": {"target": target, "multiple": request.GET.get("multiple", "")},
    })


@login_required
def product_picker(request):
    """The products picker's body (READ-11, CUST-01): the active products, searched by code or name, ticked."""
    from django.db.models import Q

    from tradeport.codes.models import CodeItem

    target = request.GET.get("target", "")
    query = request.GET.get("q", "").strip()
    products = CodeItem.objects.choices_for("product").order_by("sort_order", "code")
    if query:
        products = products.filter(Q(code__icontains=query) | Q(name_zh__icontains=query) | Q(name_en__icontains=query))
    return render(request, "customers/picker_products.html", {
        "target": target, "query": query, "products": products[:300],
        "params": {"target": target, "multiple": "1"},
    })
