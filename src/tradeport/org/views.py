from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from pypinyin import lazy_pinyin

from tradeport.accounts.permissions import function_required
from tradeport.org import services
from tradeport.org.forms import DepartmentForm, EmployeeForm, RegionForm
from tradeport.org.models import Department, Employee, Region
from tradeport.system.confirm import confirm_delete
from tradeport.system.lists import list_page


def _int(raw) -> int | None:
    """An id from the query string, or None when it is missing or not a number."""
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _pick(queryset, raw):
    pk = _int(raw)
    return queryset.filter(pk=pk).first() if pk is not None else None


def _form_errors_to(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# Departments (ORG-01..05) ------------------------------------------------------

@function_required("fn_departments")
def department_list(request):
    departments = Department.objects.annotate(
        employee_count=Count("employees", filter=Q(employees__status=Employee.Status.ACTIVE)))
    selected = _pick(departments, request.GET.get("selected"))
    return render(request, "org/department_list.html", {
        "departments": Department.in_tree_order(list(departments)), "selected": selected})


@function_required("fn_departments")
@require_http_methods(["GET", "POST"])
def department_create(request):
    parent = _pick(Department.objects.all(), request.GET.get("parent"))
    return _department_form(request, Department(parent=parent))


@function_required("fn_departments")
@require_http_methods(["GET", "POST"])
def department_update(request, pk):
    return _department_form(request, get_object_or_404(Department, pk=pk))


def _department_form(request, department):
    form = DepartmentForm(request.POST or None, instance=department,
                          initial={"parent": department.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.department_save(department=form.save(commit=False), parent=form.cleaned_data["parent"])
        except ValidationError as error:
            _form_errors_to(form, error)
        else:
            messages.success(request, _("Department %(name)s saved.") % {"name": saved.name})
            return redirect(saved.get_absolute_url())
    return render(request, "org/department_form.html", {"form": form, "department": department})


@function_required("fn_departments")
@require_http_methods(["GET", "POST"])
def department_delete(request, pk):
    department = get_object_or_404(Department, pk=pk)
    return confirm_delete(
        request, delete=lambda: services.department_delete(department=department),
        question=_("Delete department %(name)s?") % {"name": department.name},
        cancel_url=department.get_absolute_url(), done_url=reverse("org:department_list"),
        done_message=_("Department %(name)s deleted.") % {"name": department.name},
    )


# Employees (ORG-06..14) ----------------------------------------------------------

@function_required("fn_employees")
def employee_list(request):
    departments = Department.in_tree_order(list(Department.objects.all()))
    department = _pick(Department.objects.all(), request.GET.get("department"))
    status = request.GET.get("status", "active")

    def narrow(queryset):
        if department is not None:
            queryset = queryset.filter(department__path__startswith=department.path)
        if status in (Employee.Status.ACTIVE, Employee.Status.LEFT):
            queryset = queryset.filter(status=status)
        return queryset

    listing = list_page(
        request, Employee.objects.select_related("department"),
        search_fields=("code", "name", "name_en", "mobile", "email"),
        sort_fields={"code": "code", "name": "name", "department": "department__name", "status": "status"},
        default_sort="code", extra_filter=narrow,
    )
    context = {"listing": listing, "departments": departments, "department": department, "status": status}
    if request.htmx and request.htmx.target == "employee-table":
        return render(request, "org/employee_list.html#table", context)
    return render(request, "org/employee_list.html", context)


@function_required("fn_employees")
@require_http_methods(["GET", "POST"])
def employee_create(request):
    department = _pick(Department.objects.all(), request.GET.get("department"))
    return _employee_form(request, Employee(department=department) if department else Employee())


@function_required("fn_employees")
@require_http_methods(["GET", "POST"])
def employee_update(request, pk):
    return _employee_form(request, get_object_or_404(Employee, pk=pk))


def _employee_form(request, employee):
    form = EmployeeForm(request.POST or None, instance=employee)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.employee_save(employee=form.save(commit=False))
        except ValidationError as error:
            _form_errors_to(form, error)
        else:
            messages.success(request, _("Employee %(name)s saved.") % {"name": saved.name})
            if saved.has_left:
                messages.info(request, _("%(name)s is marked as left: their account can no longer log in and they no longer appear in pickers.")
                              % {"name": saved.name})
            return redirect(f"{reverse("org:employee_list")}?department={saved.department_id}")
    return render(request, "org/employee_form.html", {"form": form, "employee": employee,
                                                      "account": employee.account if employee.pk else None})


@function_required("fn_employees")
@require_http_methods(["GET", "POST"])
def employee_delete(request, pk):
    employee = get_object_or_404(Employee, pk=pk)
    return confirm_delete(
        request, delete=lambda: services.employee_delete(employee=employee),
        question=_("Delete employee %(name)s?") % {"name": employee.name},
        note=_("To keep an employee's history, mark them as left instead."),
        cancel_url=employee.get_absolute_url(), done_url=reverse("org:employee_list"),
        done_message=_("Employee %(name)s deleted.") % {"name": employee.name},
    )


# Regions (ORG-15..18) ------------------------------------------------------------

@function_required("fn_regions")
def region_list(request):
    selected = _pick(Region.objects.all(), request.GET.get("selected"))
    query = request.GET.get("q", "").strip()
    found = _region_search(query) if query else None
    open_path = {a.pk for a in selected.ancestors()} if selected else set()
    return render(request, "org/region_list.html", {
        "roots": _with_child_flags(Region.objects.roots()), "selected": selected, "query": query,
        "found": found, "open_ids": open_path,
    })


def _with_child_flags(queryset) -> list[Region]:
    """Regions with their child counts, in the order a reader of the current language expects."""
    regions = list(queryset.annotate(child_count=Count("children")))
    chinese = (get_language() or "").startswith("zh")
    regions.sort(key=lambda r: (r.sort_order, pinyin_key(r.name_zh) if chinese else (r.name_en or r.name_zh).casefold()))
    return regions


def pinyin_key(text: str) -> str:
    """Chinese names sort by pinyin, as Chinese readers look them up."""
    return " ".join(lazy_pinyin(text)).casefold()


def _region_search(query: str):
    return (Region.objects.filter(Q(name_zh__icontains=query) | Q(name_en__icontains=query) | Q(code__iexact=query))
            .order_by("level", "name_en")[:50])


@function_required("fn_regions")
@require_GET
def region_children(request, pk):
    parent = get_object_or_404(Region, pk=pk)
    open_ids = {i for i in (_int(p) for p in request.GET.get("open", "").split(",")) if i is not None}
    return render(request, "org/region_children.html", {
        "children": _with_child_flags(parent.children.all()), "open_ids": open_ids,
        "open_param": ",".join(str(i) for i in sorted(open_ids)),
        "selected": _pick(Region.objects.all(), request.GET.get("selected")),
    })


@function_required("fn_regions")
@require_http_methods(["GET", "POST"])
def region_create(request):
    parent = _pick(Region.objects.all(), request.GET.get("parent"))
    if parent is not None and parent.level >= Region.Level.DISTRICT:
        messages.error(request, _("A district is the lowest level; nothing can be added under it."))
        return redirect(f"{reverse("org:region_list")}?selected={parent.pk}")
    level = parent.level + 1 if parent else Region.Level.CONTINENT
    return _region_form(request, Region(parent=parent, level=level))


@function_required("fn_regions")
@require_http_methods(["GET", "POST"])
def region_update(request, pk):
    return _region_form(request, get_object_or_404(Region, pk=pk))


def _region_form(request, region):
    form = RegionForm(request.POST or None, instance=region, initial={"parent": region.parent_id})
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.region_save(region=form.save(commit=False), parent=form.cleaned_data["parent"])
        except ValidationError as error:
            _form_errors_to(form, error)
        else:
            messages.success(request, _("Region %(name)s saved.") % {"name": saved.name})
            return redirect(f"{reverse("org:region_list")}?selected={saved.pk}")
    return render(request, "org/region_form.html", {"form": form, "region": region})


@function_required("fn_regions")
@require_http_methods(["GET", "POST"])
def region_delete(request, pk):
    region = get_object_or_404(Region, pk=pk)
    here = f"{reverse('org:region_list')}?selected={region.pk}"
    return confirm_delete(
        request, delete=lambda: services.region_delete(region=region),
        question=_("Delete region %(name)s?") % {"name": region.name}, cancel_url=here,
        done_url=reverse("org:region_list") + (f"?selected={region.parent_id}" if region.parent_id else ""),
        done_message=_("Region %(name)s deleted.") % {"name": region.name},
    )


# Pickers (GEN-06) -------------------------------------------------------------------

@login_required
@require_GET
def region_picker(request):
    """The region picker's body: browse the tree or search it."""
    target = request.GET.get("target", "")
    query = request.GET.get("q", "").strip()
    parent = _pick(Region.objects.all(), request.GET.get("parent"))
    if query:
        items = _region_search(query)
    else:
        items = _with_child_flags(parent.children.all() if parent else Region.objects.roots())
    return render(request, "org/picker_regions.html", {
        "target": target, "query": query, "parent": parent, "items": items,
        "trail": ([*parent.ancestors(), parent]) if parent else [],
    })


@login_required
@require_GET
def employee_picker(request):
    """The employee picker's body: department tree, then active employees."""
    target = request.GET.get("target", "")
    query = request.GET.get("q", "").strip()
    to_field = "code" if request.GET.get("to") == "code" else "pk"
    multiple = request.GET.get("multiple") == "1"
    salespeople = request.GET.get("salespeople") == "1"
    department = _pick(Department.objects.all(), request.GET.get("department"))
    employees = Employee.objects.salespeople() if salespeople else Employee.objects.active()
    if department is not None:
        employees = employees.filter(department__path__startswith=department.path)
    if query:
        employees = employees.filter(Q(code__icontains=query) | Q(name__icontains=query) | Q(name_en__icontains=query))
    employees = list(employees.select_related("department").order_by("code")[:200])
    from django.contrib.auth import get_user_model

    linked = set(get_user_model().objects.filter(employee_code__in=[e.code for e in employees])
                 .values_list("employee_code", flat=True))
    return render(request, "org/picker_employees.html", {
        "linked_codes": linked,
        "target": target, "query": query, "department": department,
        "departments": Department.in_tree_order(list(Department.objects.all())),
        "employees": [(str(getattr(e, to_field)), e) for e in employees], "multiple": multiple,
        "params": {"target": target, "to": to_field, "multiple": "1" if multiple else "",
                   "salespeople": "1" if salespeople else ""},
    })
