"""Contact input (FUP-02..08, READ-21, QUE-04) and the records it makes."""

import datetime

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tradeport.accounts.permissions import function_required
from tradeport.codes.models import CodeItem
from tradeport.customers.models import Customer
from tradeport.followup import reminders
from tradeport.followup.forms import ContactRecordForm, may_record_for_others
from tradeport.followup.models import (
    ContactAttachment,
    ContactRecord,
    CustomerFolder,
    Reminder,
)
from tradeport.followup.services import record_contact
from tradeport.mail.models import Mail
from tradeport.system.params import as_id, as_ids, next_url


def _source_mail(request) -> Mail | None:
    pk = as_id(request.GET.get("mail") or request.POST.get("mail"))
    if pk is None:
        return None
    return get_object_or_404(Mail.objects.visible_to(request.user).filter(deleted_at__isnull=True)
                             .select_related("customer"), pk=pk)


@function_required("fn_contact_input")
def contact_input(request):
    """FUP-02: a blank form, or one filled from a customer (?customer=) or a mail (?mail=, READ-21)."""
    mail = _source_mail(request)
    initial = {"occurred_at": timezone.localtime().replace(second=0, microsecond=0)}
    if mail is not None:
        initial.update(customer=mail.customer_id, subject=mail.subject[:300], purpose=mail.purpose_id,
                       category=mail.category_id, products=list(mail.products.values_list("pk", flat=True)))
    elif as_id(request.GET.get("customer")) is not None:
        initial["customer"] = as_id(request.GET["customer"])
    if str(request.GET.get("method") or "").isalnum():
        initial["method"] = CodeItem.objects.of("followup_method").filter(
            code=request.GET["method"]).values_list("pk", flat=True).first()
    keep_box = request.method == "GET" and request.htmx and request.htmx.target == "keep-reminder"
    if keep_box:  # the customer or salesperson was chosen again: is there an open reminder to keep?
        for name in ("customer", "employee"):
            if as_id(request.GET.get(name)) is not None:
                initial[name] = as_id(request.GET[name])
    form = ContactRecordForm(request.POST or None, request.FILES or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        keep = form.cleaned_data["keep_reminder"]
        kept = form.open_reminder() if keep else None
        record, completed = record_contact(form, actor=request.user, mail=mail, keep_reminder=keep)
        text = _("Contact recorded in the follow-up record of %(customer)s.") % {"customer": record.customer.name}
        if completed:
            text += " " + _("The follow-up reminder of this customer is completed.")
        elif kept is not None:
            text += " " + _("The follow-up reminder of this customer stays open (due %(date)s).") % {
                "date": Reminder.objects.get(pk=kept.pk).due_date.isoformat()}
        messages.success(request, text)
        if record.fax_status:
            messages.info(request, record.fax_status)
        return redirect("followup:record_detail", pk=record.pk)
    no_employee = request.user.employee is None and not may_record_for_others(request.user)
    from tradeport.followup import fax

    context = {"form": form, "mail": mail, "no_employee": no_employee, "fax_gateway": fax.gateway() is not None,
               "open_reminder": form.open_reminder()}
    if keep_box:
        return render(request, "followup/contact_input.html#keep_reminder", context)
    return render(request, "followup/contact_input.html", context)


@function_required("fn_contact_input")
def record_list(request):
    """The user's own contact records, newest first (the customer timeline comes with VIEW-08)."""
    records = ContactRecord.objects.visible_to(request.user).select_related("customer", "employee", "method")
    if as_id(request.GET.get("customer")) is not None:
        records = records.filter(customer_id=as_id(request.GET["customer"]))
    elif request.user.employee is not None:
        records = records.filter(employee=request.user.employee)
    page = Paginator(records.order_by("-occurred_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "followup/record_list.html", {"page": page, "listing": {"page": page}})


@function_required("fn_contact_input")
def record_detail(request, pk):
    record = get_object_or_404(ContactRecord.objects.visible_to(request.user).select_related(
        "customer", "employee", "method", "direction", "purpose", "category", "mail"), pk=pk)
    from tradeport.mail.models import Mail

    mail_visible = record.mail_id is not None and Mail.objects.visible_to(request.user).filter(
        pk=record.mail_id).exists()
    return render(request, "followup/record_detail.html", {
        "record": record, "attachments": record.attachments.all(), "products": record.products.all(),
        "mail_visible": mail_visible})


@function_required("fn_contact_input")
def record_attachment(request, pk, attachment_id):
    record = get_object_or_404(ContactRecord.objects.visible_to(request.user), pk=pk)
    attachment = get_object_or_404(ContactAttachment, pk=attachment_id, record=record)
    return FileResponse(default_storage.open(attachment.path, "rb"), as_attachment=True,
                        filename=attachment.filename, content_type="application/octet-stream")


def _back_to_reminders(request):
    """Where a reminder action returns: the list it was taken on (due or upcoming)."""
    return redirect(next_url(request, reverse("mail:followup_queue", args=["reminders"])))


def _act_on(request, reminder: Reminder, action: str):
    if action == "postpone":
        try:
            new_date = datetime.date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            messages.error(request, _("Choose the date the reminder should come back."))
            return _back_to_reminders(request)
        problem = reminders.date_problem(new_date, earliest=timezone.localdate() + datetime.timedelta(days=1))
        if problem:
            messages.error(request, problem)
            return _back_to_reminders(request)
        if reminder.pk is None:  # FUP-14: a level reminder that is not due yet is written first
            reminder = reminders.schedule(reminder.customer, reminder.employee, reminder.due_date,
                                          source=Reminder.Source.LEVEL, actor=request.user)
        reminders.postpone(reminder, new_date, actor=request.user)
        messages.success(request, _("%(customer)s comes back on %(date)s.") % {
            "customer": reminder.customer.name, "date": new_date.isoformat()})
    elif action == "cancel":
        if reminder.pk is None:
            reminder = reminders.schedule(reminder.customer, reminder.employee, reminder.due_date,
                                          source=Reminder.Source.LEVEL, actor=request.user)
        reminders.cancel(reminder, actor=request.user)
        messages.success(request, _("Reminder for %(customer)s cancelled.") % {"customer": reminder.customer.name})
    else:
        raise Http404
    return _back_to_reminders(request)


@function_required("fn_followup_management")
@require_POST
def reminder_action(request, pk, action):
    """QUE-13: postpone to a date (FUP-12) or cancel (FUP-13); only the salesperson the reminder belongs to (FUP-18)."""
    # A customer transferred away or deleted takes its reminders out of reach, as out of the list (PERM-13).
    reminder = get_object_or_404(Reminder, pk=pk, employee=request.user.employee or 0, state=Reminder.State.OPEN,
                                 customer__in=Customer.objects.visible_to(request.user).alive())
    return _act_on(request, reminder, action)


@function_required("fn_followup_management")
@require_POST
def level_reminder_action(request, customer_pk, action):
    """QUE-13 on an upcoming level reminder (FUP-14) that is not written yet: the user's own customer only."""
    employee = request.user.employee
    customer = get_object_or_404(Customer.objects.visible_to(request.user).alive(), pk=customer_pk)
    date = reminders.level_date(customer, employee) if employee is not None else None
    if date is None or Reminder.objects.filter(customer=customer, employee=employee,
                                               state=Reminder.State.OPEN).exists():
        raise Http404
    return _act_on(request, Reminder(customer=customer, employee=employee, due_date=date,
                                     source=Reminder.Source.LEVEL), action)


@function_required("fn_followup_management")
def upcoming_reminders(request):
    """QUE-12 ahead of time: the user's reminders of the next 7 or 30 days, with the due list's actions."""
    days = as_id(request.GET.get("days"))
    if days not in reminders.UPCOMING_DAYS:
        days = reminders.UPCOMING_DAYS[0]
    rows = reminders.upcoming_list(request.user.employee, days)
    size = getattr(request.user, "page_size", 25) or 25
    page = Paginator(rows, size).get_page(request.GET.get("page"))
    return render(request, "followup/upcoming_reminders.html", {
        "page": page, "rows": page.object_list, "listing": {"page": page}, "days": days,
        "reminder_view": f"upcoming{days}"})


@function_required("fn_reminder_days_setup")
def reminder_days(request):
    """FUP-14: each customer level with its days without contact before a reminder; 0 means none."""
    from tradeport.audit.services import record_operation

    levels = list(CodeItem.objects.of("customer_level").order_by("sort_order", "code"))
    errors = {}
    if request.method == "POST":
        values = {}
        for level in levels:
            raw = request.POST.get(f"days_{level.pk}", "").strip() or "0"
            if not raw.isdecimal() or int(raw) > 3650:
                errors[level.pk] = _("Enter a whole number of days from 0 to 3650.")
            else:
                values[level.pk] = int(raw)
        if not errors:
            for level in levels:
                if (level.reminder_days or 0) != values[level.pk]:
                    CodeItem.objects.filter(pk=level.pk).update(reminder_days=values[level.pk] or None)
                    record_operation(module="followup", action="update", instance=level,
                                     changes={"reminder_days": values[level.pk]})
            messages.success(request, _("Reminder days saved."))
            return redirect("followup:reminder_days")
    return render(request, "followup/reminder_days.html", {
        "levels": levels, "errors": errors, "any_days": any(level.reminder_days for level in levels),
        "preset_days": _preset_level_days()})


def _preset_level_days() -> str:
    """The days the preset levels come with (codes/presets.py), e.g. "A 7, B 14, C 30, D 60"."""
    from tradeport.codes.presets import GROUPS

    items = next((items for key, *_rest, items in GROUPS if key == "customer_level"), ())
    return ", ".join(f"{code} {days[0]}" for code, _zh, _en, *days in items if days)


def _folder_and_category(request, customer):
    folder_id, category_id = as_id(request.GET.get("folder")), as_id(request.GET.get("category"))
    folder = CustomerFolder.objects.filter(customer=customer, pk=folder_id).first() if folder_id else None
    category = CodeItem.objects.filter(group__key="category", pk=category_id).first() if category_id else None
    return folder, category


@function_required("fn_followup_query")
def customer_record(request, pk):
    """VIEW-06..11: information, contacts, categories and folders, and the one history with its quick filters."""
    from django.db.models import Count

    from tradeport.customers.forms import ContactForm
    from tradeport.customers.models import Ownership
    from tradeport.customers.views import customer_for
    from tradeport.followup import timeline
    from tradeport.mail.models import Mail

    customer = customer_for(request, pk)
    kind = request.GET.get("show", "all")
    if kind not in timeline.FILTERS:
        kind = "all"
    method = request.GET.get("method", "") if str(request.GET.get("method", "")).isalnum() else ""
    folder, category = _folder_and_category(request, customer)
    before = timeline.Cursor.parse(request.GET.get("before", ""))
    entries, older = timeline.entries(customer, kind=kind, method=method, before=before, folder=folder,
                                      category=category)
    folders = CustomerFolder.objects.filter(customer=customer).annotate(
        mail_count=Count("mails", distinct=True), record_count=Count("records", distinct=True))
    categories = Mail.objects.filter(customer=customer, deleted_at__isnull=True, category__isnull=False).values(
        "category", "category__name_zh", "category__name_en").annotate(count=Count("id")).order_by("category__sort_order")
    context = {
        "customer": customer, "entries": entries, "older": str(older) if older else "",
        "show": kind, "method": method, "folder": folder, "category": category, "folders": folders,
        "categories": [(c["category"], c["category__name_zh"] if translation.get_language().startswith("zh")
                        else c["category__name_en"] or c["category__name_zh"], c["count"]) for c in categories],
        "methods": CodeItem.objects.choices_for("followup_method"),
        "contacts": customer.contacts.all(),
        "owners": Ownership.objects.current().filter(customer=customer).select_related("employee"),
        "may_edit_contacts": request.user.has_perm("accounts.fn_customer_maintenance"),
        "contact_form": ContactForm(),
    }
    if request.htmx and request.htmx.target == "timeline":
        return render(request, "followup/customer_record.html#timeline", context)
    return render(request, "followup/customer_record.html", context)


@function_required("fn_followup_query")
@require_POST
def customer_folders(request, pk, action):
    """FUP-17, VIEW-09: new folder, rename, delete (its entries go back to uncategorised), move entries."""
    from tradeport.customers.views import customer_for
    from tradeport.mail.models import Mail

    customer = customer_for(request, pk)
    back = f"{reverse('followup:customer_record', args=[customer.pk])}"
    name = " ".join(request.POST.get("name", "").split())[:100]
    if action == "new":
        if not name:
            messages.error(request, _("Give the folder a name."))
        elif CustomerFolder.objects.filter(customer=customer, name=name).exists():
            messages.error(request, _("This customer already has a folder called %(name)s.") % {"name": name})
        else:
            CustomerFolder.objects.create(customer=customer, name=name, created_by=request.user)
            messages.success(request, _("Folder %(name)s created.") % {"name": name})
        return redirect(back)
    folder_field = request.POST.get("folder", "")
    if folder_field == "" and action == "move":
        folder = None  # back to the history, out of every folder
    elif as_id(folder_field) is not None:
        folder = get_object_or_404(CustomerFolder, customer=customer, pk=as_id(folder_field))
    else:
        raise Http404
    if action == "rename" and not name:
        messages.error(request, _("Give the folder a name."))
        return redirect(f"{back}?folder={folder.pk}")
    if action == "rename":
        if CustomerFolder.objects.filter(customer=customer, name=name).exclude(pk=folder.pk).exists():
            messages.error(request, _("This customer already has a folder called %(name)s.") % {"name": name})
        else:
            CustomerFolder.objects.filter(pk=folder.pk).update(name=name)
        return redirect(f"{back}?folder={folder.pk}")
    if action == "delete":
        folder.delete()  # SET_NULL: its mail and records are uncategorised again
        messages.success(request, _("Folder %(name)s deleted; its entries are back in the history.") % {
            "name": folder.name})
        return redirect(back)
    if action == "move":
        keys = request.POST.getlist("entry")
        mail_ids = as_ids(key.removeprefix("mail:") for key in keys if key.startswith("mail:"))
        record_ids = as_ids(key.removeprefix("record:") for key in keys if key.startswith("record:"))
        moved = Mail.objects.filter(customer=customer, pk__in=mail_ids).update(folder=folder)
        moved += ContactRecord.objects.filter(customer=customer, pk__in=record_ids).update(folder=folder)
        messages.success(request, ngettext("%(n)s entry moved.", "%(n)s entries moved.", moved) % {"n": moved})
        return redirect(back)
    raise Http404


@function_required("fn_followup_query")
def customer_views(request, view="recent"):
    """VIEW-01..05: recently processed (the recent-activity option), or all customers, narrowed by the
    quick query, fuzzy search and region; each with its last contact. A name opens VIEW-06."""
    from django.db.models import OuterRef, Subquery

    from tradeport.customers.views import filtered_customers
    from tradeport.mail.models import Mail
    from tradeport.system import options
    from tradeport.system.lists import list_page

    if view not in ("recent", "all"):
        raise Http404
    form, region, customers = filtered_customers(request, maintenance=False)
    days = options.get("recent_activity_days")
    if view == "recent":
        since = timezone.now() - datetime.timedelta(days=days)
        mailed = Mail.objects.filter(date__gte=since, customer__isnull=False, deleted_at__isnull=True).values(
            "customer_id")
        recorded = ContactRecord.objects.filter(occurred_at__gte=since).values("customer_id")
        customers = customers.filter(Q(pk__in=mailed) | Q(pk__in=recorded))
    listing = list_page(request, customers.select_related("level"), sort_fields={"code": "code", "name": "name"},
                        default_sort="name")
    ids = [c.pk for c in listing.page]
    last_mail = Mail.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True).order_by("-date")
    last_record = ContactRecord.objects.filter(customer=OuterRef("pk")).order_by("-occurred_at")
    facts = {row["pk"]: row for row in Customer.objects.filter(pk__in=ids).annotate(
        mail_at=Subquery(last_mail.values("date")[:1]), mail_subject=Subquery(last_mail.values("subject")[:1]),
        record_at=Subquery(last_record.values("occurred_at")[:1]),
        record_subject=Subquery(last_record.values("subject")[:1])).values(
        "pk", "mail_at", "mail_subject", "record_at", "record_subject")}
    rows = []
    for customer in listing.page:
        fact = facts.get(customer.pk, {})
        by_mail = fact.get("mail_at") and (not fact.get("record_at") or fact["mail_at"] >= fact["record_at"])
        rows.append((customer, fact.get("mail_at") if by_mail else fact.get("record_at"),
                     fact.get("mail_subject") if by_mail else fact.get("record_subject")))
    context = {"form": form, "region": region, "listing": listing, "rows": rows, "view": view, "days": days}
    if request.htmx and request.htmx.target == "customer-table":
        return render(request, "followup/customer_views.html#table", context)
    return render(request, "followup/customer_views.html", context)
