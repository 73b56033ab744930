import csv
import datetime

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from tradeport.accounts.permissions import admin_required
from tradeport.audit import labels
from tradeport.audit.models import ArchiveLogEntry, OperationLogEntry, SystemLogEntry
from tradeport.system.lists import list_page


def _date(raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw)
    except (TypeError, ValueError):
        return None


def _filters(request, *, choice_fields: dict):
    """Date range, account and choice filters shared by the log pages."""
    start, end = _date(request.GET.get("from")), _date(request.GET.get("to"))
    account = request.GET.get("account", "").strip()
    chosen = {name: request.GET.get(name, "") for name in choice_fields}

    def apply(queryset):
        tz = timezone.get_current_timezone()
        if start:
            queryset = queryset.filter(created_at__gte=datetime.datetime.combine(start, datetime.time.min, tz))
        if end:
            queryset = queryset.filter(created_at__lt=datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tz))
        if account:
            names = {f.name for f in queryset.model._meta.fields}
            queryset = queryset.filter(**{"username" if "username" in names else "operator": account})
        for name, value in chosen.items():
            if value and value in dict(choice_fields[name]):
                queryset = queryset.filter(**{name: value})
        return queryset

    params = {"from": request.GET.get("from", ""), "to": request.GET.get("to", ""), "account": account, **chosen}
    return apply, params


@admin_required
def system_log(request):
    apply, params = _filters(request, choice_fields={"event": SystemLogEntry.Event.choices})
    listing = list_page(request, SystemLogEntry.objects.all(), search_fields=("username", "reason", "user_agent"),
                        sort_fields={"time": "created_at", "account": "username", "event": "event"},
                        default_sort="-time", extra_filter=apply)
    return _render(request, "audit/system_log.html", listing, params,
                   choices={"event": (_("Event"), SystemLogEntry.Event.choices)})


def _operations(request):
    modules = sorted(((m, labels.module_label(m)) for m in
                      OperationLogEntry.objects.order_by().values_list("module", flat=True).distinct()),
                     key=lambda choice: choice[1])
    actions = [*OperationLogEntry.Action.choices, *((k, str(v)) for k, v in labels.ACTIONS.items())]
    apply, params = _filters(request, choice_fields={"module": modules, "action": actions})
    return apply, params, modules, actions


@admin_required
def operation_log(request):
    apply, params, modules, actions = _operations(request)
    listing = list_page(request, OperationLogEntry.objects.all(),
                        search_fields=("username", "object_repr", "object_type", "object_id"),
                        sort_fields={"time": "created_at", "account": "username", "module": "module"},
                        default_sort="-time", extra_filter=apply)
    for entry in listing.page:
        entry.actor_label = labels.actor_label(entry)
        entry.module_label = labels.module_label(entry.module)
        entry.action_label = labels.action_label(entry)
        entry.object_label = labels.object_label(entry)
        entry.object_type_label = labels.object_type_label(entry.object_type)
        entry.change_rows = labels.changes(entry)
    return _render(request, "audit/operation_log.html", listing, params,
                   choices={"module": (_("Module"), modules), "action": (_("Action"), actions)})


class _Echo:
    def write(self, value):
        return value


@admin_required
def operation_log_csv(request):
    """The filtered operation log as CSV, streamed so a large log never sits in memory."""
    apply, _params, _modules, _actions = _operations(request)
    rows = apply(OperationLogEntry.objects.order_by("-created_at", "-id"))
    query = request.GET.get("q", "").strip()
    if query:
        rows = rows.filter(object_repr__icontains=query)
    writer = csv.writer(_Echo())
    header = [_("Time"), _("Account"), _("IP address"), _("Module"), _("Action"),
              _("Object type"), _("Object id"), _("Object"), _("Changes")]

    def stream():
        yield "\ufeff"  # Excel needs the BOM to read UTF-8 Chinese correctly.
        yield writer.writerow(header)
        for entry in rows.iterator(chunk_size=2000):
            yield writer.writerow([_cell(value) for value in [
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"), entry.username,
                entry.ip_address or "", entry.module, entry.get_action_display(), entry.object_type,
                entry.object_id, entry.object_repr, _changes_text(entry.changes),
            ]])

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="operation-log.csv"'
    return response


def _cell(value: str) -> str:
    """Keep spreadsheet programs from running user-typed text as a formula."""
    return f"'{value}" if value and value[0] in "=+-@\t\r" else value


def _changes_text(changes: dict) -> str:
    parts = []
    for field, value in changes.items():
        if isinstance(value, list) and len(value) == 2 and not field.startswith(("functions", "management", "template", "permissions")):
            parts.append(f"{field}: {value[0]!r} → {value[1]!r}")
        else:
            parts.append(f"{field}: {value!r}")
    return "; ".join(parts)


@admin_required
def archive_log(request):
    apply, params = _filters(request, choice_fields={"result": ArchiveLogEntry.Result.choices})
    listing = list_page(request, ArchiveLogEntry.objects.all(), search_fields=("operator", "scope", "location"),
                        sort_fields={"time": "created_at", "operator": "operator"},
                        default_sort="-time", extra_filter=apply)
    return _render(request, "audit/archive_log.html", listing, params,
                   choices={"result": (_("Result"), ArchiveLogEntry.Result.choices)})


def _render(request, template, listing, params, *, choices):
    from urllib.parse import urlencode

    choice_filters = [
        {"name": name, "label": label,
         "options": [(value, text, params.get(name) == value) for value, text in options]}
        for name, (label, options) in choices.items()
    ]
    context = {"listing": listing, "params": params, "choice_filters": choice_filters,
               "filter_qs": urlencode({k: v for k, v in params.items() if v})}
    if request.htmx:
        return render(request, f"{template}#table", context)
    return render(request, template, context)
