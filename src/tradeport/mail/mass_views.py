"""Mass mail pages (MASS-01..07): history, compose, recipients, progress, and the opt-out list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from tradeport.accounts.permissions import function_required
from tradeport.customers.forms import CategorySearchForm
from tradeport.mail import mass, sending
from tradeport.mail.forms import MassMailingForm, OptOutForm, RecipientUploadForm
from tradeport.mail.models import (
    CommonPhrase,
    MailTemplate,
    MassMailing,
    MassRecipient,
    OptOut,
)
from tradeport.system.lists import list_page
from tradeport.system.params import as_ids

EMPTY_FIELD_PLACEHOLDERS = {"name": "{name} / {姓名}", "company": "{company} / {公司}"}


def _mine(request, pk) -> MassMailing:
    return get_object_or_404(MassMailing.objects.select_related("mailbox", "reviewer", "reviewed_by"),
                             pk=pk, author=request.user)


@function_required("fn_mass_mail")
def mass_list(request):
    """MASS-06: the user's mailings with their progress."""
    listing = list_page(request, MassMailing.objects.filter(author=request.user), search_fields=("subject",),
                        sort_fields={"created": "created_at", "subject": "subject"}, default_sort="-created")
    return render(request, "mail/mass_list.html", {"listing": listing})


@function_required("fn_mass_mail")
def mass_edit(request, pk=None):
    """MASS-02: subject, body, sender mailbox, attachments; recipients come on the next page."""
    mailing = _mine(request, pk) if pk else MassMailing(author=request.user, employee=request.user.employee)
    if mailing.pk and mailing.state != MassMailing.State.DRAFT:
        messages.error(request, _("Only a draft can be changed."))
        return redirect("mail:mass_detail", pk=mailing.pk)
    if not sending.sendable_mailboxes(request.user).exists():
        return render(request, "mail/compose.html", {"no_mailbox": True})
    form = MassMailingForm(request.POST or None, request.FILES or None, instance=mailing, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if mailing.pk:  # only the message: the state belongs to the life cycle (a stale copy must not win)
                mailing = form.save(commit=False)
                mailing.updated_at = timezone.now()
                mailing.save(update_fields=["mailbox", "subject", "body", "updated_at"])
            else:
                mailing = form.save()
            for upload in form.cleaned_data["files"]:
                mass.store_attachment(mailing, upload)
        return redirect("mail:mass_detail", pk=mailing.pk)
    return render(request, "mail/mass_form.html", {
        "form": form, "mailing": mailing,
        "templates": MailTemplate.objects.usable_by(request.user).only("name", "subject", "body"),
        "phrases": CommonPhrase.objects.filter(owner=request.user).only("title", "content")})


def _customer_filter(request):
    from tradeport.customers.views import filtered_customers

    form, region, customers = filtered_customers(request, maintenance=False)
    return form, region, customers


@function_required("fn_mass_mail")
def mass_detail(request, pk):
    """Recipients (MASS-03, MASS-04) while a draft; progress and per-recipient status after (MASS-05, MASS-06)."""
    mailing = _mine(request, pk)
    draft = mailing.state == MassMailing.State.DRAFT
    context = {"mailing": mailing, "draft": draft, "upload_form": RecipientUploadForm(),
               "states": MassRecipient.State.choices}
    if draft and any(key in request.GET for key in ("q", "region", "level", "customer_type", "source", "industry",
                                                    "products", "owner", "filter")):
        form, region, customers = _customer_filter(request)
        context.update(filter_form=form, region=region, matching=customers.count(),
                       filter_query=request.GET.urlencode())
    else:
        context["filter_form"] = CategorySearchForm()
    state = request.GET.get("state", "")
    recipients = mailing.recipients.select_related("customer")
    if state in MassRecipient.State.values:
        recipients = recipients.filter(state=state)
    empty = request.GET.get("empty", "")
    if empty in EMPTY_FIELD_PLACEHOLDERS:
        recipients = recipients.filter(**{empty: ""})
    context["empty_filter"] = empty if empty in EMPTY_FIELD_PLACEHOLDERS else ""
    if draft:  # MASS-02: who would read "Dear ," is shown before [Send to all]
        context["empty_fields"] = [
            {"field": field, "placeholders": EMPTY_FIELD_PLACEHOLDERS[field], "count": count, "addresses": addresses}
            for field, (count, addresses) in mass.empty_fields(mailing).items()]
    context["listing"] = list_page(request, recipients, search_fields=("address", "name", "company"),
                                   sort_fields={"address": "address", "id": "id"}, default_sort="id")
    from tradeport.customers.models import Customer

    # A recipient's customer is named and linked only when the user may see it (PERM-13).
    context["visible_customers"] = set(Customer.objects.visible_to(request.user).filter(
        pk__in=[r.customer_id for r in context["listing"].page if r.customer_id]).values_list("pk", flat=True))
    context["recipient_state"] = state
    context["polling"] = mailing.state == MassMailing.State.SENDING
    if request.htmx and request.htmx.target == "mass-progress":
        return render(request, "mail/mass_detail.html#progress", context)
    return render(request, "mail/mass_detail.html", context)


def _report(request, report: mass.AddReport) -> None:
    messages.success(request, ngettext("%(added)s recipient added.", "%(added)s recipients added.",
                                       report.added) % {"added": report.added})
    skipped = []
    if report.duplicates:
        skipped.append(_("%(n)s already on the list") % {"n": report.duplicates})
    if report.opted_out:
        skipped.append(_("%(n)s opted out") % {"n": report.opted_out})
    if report.bounced:
        skipped.append(_("%(n)s bounced before") % {"n": report.bounced})
    if report.blocked:
        skipped.append(_("%(n)s blocked") % {"n": report.blocked})
    if report.invalid_count:
        skipped.append(_("%(n)s not email addresses: %(list)s") % {
            "n": report.invalid_count, "list": "; ".join(report.invalid[:10])})
    if skipped:
        messages.warning(request, _("Left out: %(list)s.") % {"list": ", ".join(skipped)})


@function_required("fn_mass_mail")
@require_POST
def mass_recipients(request, pk, source):
    mailing = _mine(request, pk)
    if mailing.state != MassMailing.State.DRAFT:
        messages.error(request, _("Recipients can be changed only while the mailing is a draft."))
        return redirect("mail:mass_detail", pk=mailing.pk)
    if source == "customers":  # the filters travel in the query string of the form's action
        form, _region, customers = _customer_filter(request)
        if form.is_bound and not form.is_valid():  # a stale filter must not widen to every customer
            messages.error(request, _("The customer filter is no longer valid: choose the customers again."))
            return redirect("mail:mass_detail", pk=mailing.pk)
        entries = mass.entries_from_customers(customers.alive(), backup=bool(request.POST.get("backup")),
                                              contacts=bool(request.POST.get("contacts")))
        _report(request, mass.add_recipients(mailing, entries))
    elif source == "upload":
        form = RecipientUploadForm(request.POST, request.FILES)
        refused = not form.is_valid()
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        entries = []
        try:
            if form.cleaned_data.get("file"):
                entries = mass.entries_from_file(form.cleaned_data["file"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
            refused = True
        typed_text = form.cleaned_data.get("addresses", "")
        if refused and not typed_text.strip():
            return redirect("mail:mass_detail", pk=mailing.pk)
        # What was typed is added even when the file was refused, so that nothing typed is lost.
        typed = mass.SEPARATORS.split(typed_text)
        entries += [mass.Entry(a.strip()) for a in typed if a.strip()]
        _report(request, mass.add_recipients(mailing, entries))
    elif source == "remove":
        MassRecipient.objects.filter(mailing=mailing, pk__in=as_ids(request.POST.getlist("recipient"))).delete()
        MassMailing.objects.filter(pk=mailing.pk).update(total=mailing.recipients.count(), updated_at=timezone.now())
    elif source == "clear":
        mailing.recipients.all().delete()
        MassMailing.objects.filter(pk=mailing.pk).update(total=0, updated_at=timezone.now())
    else:
        raise Http404
    return redirect("mail:mass_detail", pk=mailing.pk)


@function_required("fn_mass_mail")
@require_POST
def mass_action(request, pk, action):
    mailing = _mine(request, pk)
    if action == "submit":
        if mailing.state != MassMailing.State.DRAFT:
            messages.error(request, _("This mailing has already been submitted."))
            return redirect("mail:mass_detail", pk=mailing.pk)
        try:
            mass.submit(mailing)
        except sending.ComposeError as exc:
            messages.error(request, str(exc))
            return redirect("mail:mass_detail", pk=mailing.pk)
        mailing.refresh_from_db()
        if mailing.state == MassMailing.State.AWAITING:
            messages.success(request, _("The mailing waits for the approval of %(reviewer)s.") % {
                "reviewer": mailing.reviewer.display_name})
        else:
            messages.success(request, _("Sending has started."))
    elif action in ("pause", "resume", "cancel"):
        done = getattr(mass, action)(mailing)
        if not done:
            messages.error(request, _("The mailing is no longer in a state that allows this."))
    elif action == "retry-failed":
        count = mass.retry_failed(mailing)
        if count:
            messages.success(request, ngettext("%(n)s failed recipient is waiting again.",
                                               "%(n)s failed recipients are waiting again.", count) % {"n": count})
        else:
            messages.error(request, _("Nothing to send again."))
    else:
        raise Http404
    return redirect("mail:mass_detail", pk=mailing.pk)


@function_required("fn_mass_mail")
def optout_list(request):
    """The addresses no mass mailing writes to."""
    form = OptOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        opt_out = form.save(commit=False)
        opt_out.created_by = request.user
        opt_out.save()
        messages.success(request, _("%(address)s receives no more mass mail.") % {"address": opt_out.address})
        return redirect("mail:optout_list")
    listing = list_page(request, OptOut.objects.all(), search_fields=("address", "reason"),
                        sort_fields={"address": "address", "created": "created_at"}, default_sort="address")
    return render(request, "mail/optout_list.html", {"form": form, "listing": listing})


@function_required("fn_mass_mail")
@require_POST
def optout_delete(request, pk):
    opt_out = get_object_or_404(OptOut, pk=pk)
    opt_out.delete()
    messages.success(request, _("%(address)s may receive mass mail again.") % {"address": opt_out.address})
    return redirect(reverse("mail:optout_list"))
