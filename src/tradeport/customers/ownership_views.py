"""Ownership set-up, query and transfer (OWN-01..24)."""

import csv

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from tradeport.accounts.permissions import function_required
from tradeport.customers import ownership as rules
from tradeport.customers import querybuilder, services
from tradeport.customers.models import Customer, Ownership, RegionOwnership, SavedQuery
from tradeport.customers.views import _ids, _with_owners, visible_customers
from tradeport.org.models import Employee, Region
from tradeport.org.views import _pick
from tradeport.org.widgets import EmployeePickerWidget, RegionPickerWidget
from tradeport.system.lists import list_page
from tradeport.system.models import SystemOption
from tradeport.system.params import next_url


class RegionSettingForm(forms.Form):
    inherit = forms.BooleanField(required=False, label=gettext_lazy("Inherit from parent"))
    creators = forms.ModelMultipleChoiceField(
        queryset=Employee.objects.all(), required=False, label=gettext_lazy("Authorised creators"),
        widget=EmployeePickerWidget(multiple=True, salespeople=True))
    default_owners = forms.ModelMultipleChoiceField(
        queryset=Employee.objects.all(), required=False, label=gettext_lazy("Default owners"),
        widget=EmployeePickerWidget(multiple=True, salespeople=True))


class RegionChoiceForm(forms.Form):
    region = forms.ModelChoiceField(queryset=Region.objects.all(), label=gettext_lazy("Region"),
                                    widget=RegionPickerWidget())


def _setup_url(**params) -> str:
    from urllib.parse import urlencode

    return f"{reverse('customers:ownership_setup')}?{urlencode(params)}" if params else reverse("customers:ownership_setup")


@function_required("fn_ownership_setup")
def ownership_setup(request):
    """OWN-01..12: mode, customers by region or by salesperson, and per-region settings."""
    view = request.GET.get("view", "region")
    region = _pick(Region.objects.all(), request.GET.get("region"))
    salesperson = _pick(Employee.objects.all(), request.GET.get("salesperson"))
    customers = visible_customers(request).alive().filter(kind=Customer.Kind.CUSTOMER)
    if view == "salesperson":
        customers = customers.filter(ownerships__is_latest=True, ownerships__employee=salesperson) if salesperson else customers.none()
    elif view == "unowned":
        customers = customers.exclude(ownerships__is_latest=True)
    elif region is not None:
        customers = customers.filter(region__path__startswith=region.path)
    else:
        customers = customers.none()
    listing = list_page(request, _with_owners(customers), sort_fields={"code": "code", "name": "name"},
                        default_sort="code")
    setting = rules.effective_setting(region) if region else None
    own = RegionOwnership.objects.filter(region=region).first() if region else None
    setting_form = RegionSettingForm(initial={
        "inherit": own.inherit_from_parent if own else False,
        "creators": list(setting.creators.values_list("pk", flat=True)) if setting else [],
        "default_owners": list(setting.default_owners.values_list("pk", flat=True)) if setting else [],
    }, prefix="setting")
    salespeople = Employee.objects.salespeople().annotate(customer_count=Count("ownerships", filter=Q(
        ownerships__is_latest=True, ownerships__customer__deleted_at__isnull=True,
        ownerships__customer__kind=Customer.Kind.CUSTOMER))).order_by("code")
    return render(request, "customers/ownership_setup.html", {
        "view": view, "region": region, "salesperson": salesperson, "listing": listing,
        "strict": rules.strict_mode(), "setting": setting, "own_setting": own, "setting_form": setting_form,
        "region_form": RegionChoiceForm(initial={"region": region.pk if region else None}),
        "salespeople": salespeople, "entitled": _entitled(region) if region else salespeople,
        "move_form": forms.Form(),
    })


def _entitled(region: Region):
    """OWN-04: everyone may own in non-strict mode; in strict mode the region's creators and default owners."""
    if not rules.strict_mode():
        return Employee.objects.salespeople().order_by("code")
    people = {e.pk: e for e in rules.creators_for(region) + rules.default_owners_for(region)}
    return sorted(people.values(), key=lambda e: e.code)


@function_required("fn_ownership_setup")
@require_POST
def ownership_mode(request):
    """OWN-01: the company-wide mode; the option row's history is the log."""
    mode = request.POST.get("mode")
    if mode not in ("strict", "non_strict"):
        messages.error(request, _("Choose a mode."))
    else:
        row = SystemOption.objects.filter(key="ownership_mode").first() or SystemOption(key="ownership_mode")
        row.value = mode
        row.updated_by = request.user
        row.save()
        messages.success(request, _("Ownership is now strict by region.") if mode == "strict"
                         else _("Ownership is now non-strict."))
    return redirect(next_url(request, _setup_url()))


@function_required("fn_ownership_setup")
@require_POST
def ownership_move(request):
    """OWN-05: move the selected customers from one salesperson to another (drag and drop or [Move to…])."""
    source = _pick(Employee.objects.all(), request.POST.get("source"))
    if source is None:
        messages.error(request, _("Choose the salesperson to move the customers from."))
        return redirect(_setup_url(view="salesperson"))
    target = _pick(Employee.objects.salespeople(), request.POST.get("target"))
    if target is None:
        messages.error(request, _("Choose the salesperson to move the customers to."))
        return redirect(_setup_url(view="salesperson", salesperson=source.pk))
    customers = list(visible_customers(request).alive().filter(pk__in=_ids(request.POST.getlist("customer"))))
    moved = services.ownership_move(customers=customers, source=source, target=target, actor=request.user)
    messages.success(request, ngettext("%(n)s customer moved from %(a)s to %(b)s.",
                                       "%(n)s customers moved from %(a)s to %(b)s.", moved)
                     % {"n": moved, "a": source.name, "b": target.name})
    return redirect(_setup_url(view="salesperson", salesperson=source.pk))


@function_required("fn_ownership_setup")
@require_POST
def region_setting(request, pk):
    """OWN-07..10: save a region's creators, default owners or inheritance."""
    region = get_object_or_404(Region, pk=pk)
    form = RegionSettingForm(request.POST, prefix="setting")
    if form.is_valid():
        services.region_setting_save(region=region, inherit=form.cleaned_data["inherit"],
                                     creators=list(form.cleaned_data["creators"]),
                                     default_owners=list(form.cleaned_data["default_owners"]))
        messages.success(request, _("Ownership settings of %(region)s saved.") % {"region": region.name})
    else:
        messages.error(request, _("The settings could not be saved: %(errors)s") % {"errors": form.errors.as_text()})
    return redirect(_setup_url(region=region.pk))


@function_required("fn_ownership_setup")
@require_POST
def region_push_down(request, pk):
    """OWN-11: copy a region's settings to all regions below it."""
    region = get_object_or_404(Region, pk=pk)
    count = services.region_setting_push_down(region=region)
    messages.success(request, _("Settings of %(region)s copied to %(n)s regions below it.")
                     % {"region": region.name, "n": count})
    return redirect(_setup_url(region=region.pk))


# Ownership query (OWN-14..21) ------------------------------------------------------------

def _conditions_from_get(request) -> list[querybuilder.Condition]:
    rows = [{"column": c, "op": o, "value": v, "combinator": b} for c, o, v, b in zip(
        request.GET.getlist("column"), request.GET.getlist("op"), request.GET.getlist("value"),
        request.GET.getlist("combinator") or ["and"] * len(request.GET.getlist("column")), strict=False)]
    return querybuilder.parse(rows)


def _run(request, conditions):
    base = Ownership.objects.filter(customer__in=visible_customers(request).alive()).select_related(
        "employee", "customer")
    return base.filter(querybuilder.compile_conditions(conditions)) if conditions else base.none()


@function_required("fn_ownership_query")
def ownership_query(request):
    saved = SavedQuery.objects.filter(account=request.user)
    conditions = _conditions_from_get(request)
    loaded = None
    if request.GET.get("load"):
        loaded = _pick(saved, request.GET["load"])
        if loaded is None:
            raise Http404
        conditions = querybuilder.parse(loaded.conditions)
    elif not request.GET and (default := saved.filter(is_default=True).first()):
        loaded, conditions = default, querybuilder.parse(default.conditions)
    error = ""
    try:
        results = _run(request, conditions)
    except querybuilder.ConditionError as exc:
        error, results = str(exc), Ownership.objects.none()
    listing = list_page(request, results, sort_fields={
        "employee_code": "employee__code", "employee_name": "employee__name", "customer_code": "customer__code",
        "customer_name": "customer__name", "assigned_at": "assigned_at", "is_latest": "is_latest"},
        default_sort="employee_code")
    from urllib.parse import urlencode

    query_string = urlencode([(k, v) for c in conditions for k, v in
                              (("column", c.column), ("op", c.op), ("value", c.value), ("combinator", c.combinator))])
    return render(request, "customers/ownership_query.html", {
        "conditions": conditions or [querybuilder.Condition("employee_code", "eq", "")],
        "columns": querybuilder.COLUMNS, "operators": querybuilder.OPERATORS,
        "combinators": querybuilder.COMBINATORS, "listing": listing, "error": error, "saved": saved,
        "loaded": loaded, "ran": bool(conditions) and not error, "query_string": query_string,
    }, status=400 if error else 200)


@function_required("fn_ownership_query")
@require_POST
def saved_query_save(request):
    """OWN-17, OWN-19: save the current conditions under a name, optionally as the default."""
    rows = [{"column": c, "op": o, "value": v, "combinator": b} for c, o, v, b in zip(
        request.POST.getlist("column"), request.POST.getlist("op"), request.POST.getlist("value"),
        request.POST.getlist("combinator"), strict=False)]
    conditions = querybuilder.parse(rows)
    name = request.POST.get("name", "").strip()[:60]
    try:
        querybuilder.compile_conditions(conditions)
        if not name:
            raise querybuilder.ConditionError(_("Give the query a name."))
        if not conditions:
            raise querybuilder.ConditionError(_("Add at least one condition."))
    except querybuilder.ConditionError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("customers:ownership_query"))
    query, _created = SavedQuery.objects.update_or_create(
        account=request.user, name=name, defaults={"conditions": [c.as_dict() for c in conditions]})
    if request.POST.get("is_default"):
        SavedQuery.objects.filter(account=request.user).exclude(pk=query.pk).update(is_default=False)
        query.is_default = True
        query.save(update_fields=["is_default"])
    messages.success(request, _("Query %(name)s saved.") % {"name": name})
    return redirect(f"{reverse('customers:ownership_query')}?load={query.pk}")


@function_required("fn_ownership_query")
@require_POST
def saved_query_default(request, pk):
    """OWN-19: make a saved query (or none) open automatically."""
    SavedQuery.objects.filter(account=request.user).update(is_default=False)
    query = SavedQuery.objects.filter(account=request.user, pk=pk).first()
    if query:
        SavedQuery.objects.filter(pk=query.pk).update(is_default=True)
        messages.success(request, _("%(name)s opens by default now.") % {"name": query.name})
    return redirect(f"{reverse('customers:ownership_query')}?load={pk}")


@function_required("fn_ownership_query")
@require_POST
def saved_query_delete(request, pk):
    SavedQuery.objects.filter(account=request.user, pk=pk).delete()
    messages.success(request, _("Saved query deleted."))
    return redirect(reverse("customers:ownership_query") + "?clear=1")


@function_required("fn_ownership_query")
def ownership_query_csv(request):
    """OWN-21: the result list as CSV."""
    try:
        rows = _run(request, _conditions_from_get(request)).order_by("employee__code", "customer__code")
    except querybuilder.ConditionError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ownership.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([str(querybuilder.COLUMNS[k][0]) for k in querybuilder.COLUMNS])
    for row in rows.iterator(chunk_size=2000):
        writer.writerow([row.employee.code, row.employee.name, row.customer.code, row.customer.name,
                         timezone.localdate(row.assigned_at).isoformat(), _("yes") if row.is_latest else _("no")])
    return response


# Transfer by salesperson (OWN-22..24) --------------------------------------------------------

class TransferForm(forms.Form):
    source = forms.ModelChoiceField(queryset=Employee.objects.none(), label=gettext_lazy("Source salesperson"))
    target = forms.ModelChoiceField(
        queryset=Employee.objects.salespeople(), required=False, label=gettext_lazy("Target"),
        widget=EmployeePickerWidget(salespeople=True),
        help_text=gettext_lazy("Empty: remove the ownership of the source salesperson."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Left employees stay choosable: their customers are what usually needs moving.
        self.fields["source"].queryset = Employee.objects.annotate(
            owned=Count("ownerships", filter=Q(ownerships__is_latest=True))).filter(owned__gt=0).order_by("code")
        self.fields["source"].label_from_instance = lambda e: (
            f"{e.code} {e.name} ({e.owned})" + (f" · {_('left')}" if e.has_left else ""))


@function_required("fn_ownership_transfer")
@require_http_methods(["GET", "POST"])
def ownership_transfer(request):
    form = TransferForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.ownership_transfer(source=form.cleaned_data["source"], target=form.cleaned_data["target"],
                                                 actor=request.user)
        except ValidationError as error:
            form.add_error("target", error.messages)
        else:
            form = TransferForm()
    return render(request, "customers/ownership_transfer.html", {"form": form, "result": result})
