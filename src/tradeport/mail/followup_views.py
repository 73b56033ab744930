"""The follow-up management screen (QUE-01, GEN-02..04): queues on the left, the list in the
middle, the reading pane on the right; and the actions on a mail (MAIL-03..12, QUE-05..11, READ-01..20).

Actions answer htmx requests with the reading pane and an `HX-Trigger: queues-changed`
event, on which the tree and the list reload themselves; without htmx they redirect.
"""

import html
import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from tradeport.accounts.permissions import function_required
from tradeport.mail import queues, reading, sending, triage
from tradeport.mail.forms import (
    CopyForm,
    DistributeForm,
    FollowUpForm,
    MergeForm,
    SpamForm,
    TransferForm,
)
from tradeport.mail.models import Delivery, Mail, MailAttachment, RemoteContentAllowance
from tradeport.mail.routing import describe
from tradeport.system.params import next_url


def reader_required(view):
    """Follow-up management (fn_followup_management), or mail distribution for PERM-08 holders."""
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not (request.user.has_perm("accounts.fn_followup_management") or queues.may_distribute(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _employee(request):
    if not hasattr(request, "_tradeport_employee"):
        request._tradeport_employee = request.user.employee
    return request._tradeport_employee


def _readable(request):
    """PERM-13: mail the user may open; the recycle bin only for PERM-08 holders."""
    mails = Mail.objects.visible_to(request.user)
    if not queues.may_distribute(request.user):
        mails = mails.filter(deleted_at__isnull=True)
    return mails


def _mail(request, pk) -> Mail:
    return get_object_or_404(_readable(request).select_related("mailbox", "customer", "contact", "suggested_customer",
                                                               "report_for"),
                             pk=pk)


@reader_required
def followup(request, queue: str = "known"):
    """QUE-01: opens on the known-customer queue. The undistributed queue is also the
    Mail distribution function (MAIL-02), for holders of that function without follow-up management."""
    available = queues.queues_for(request.user)
    if not request.user.has_perm("accounts.fn_followup_management"):
        available = [q for q in available if q.needs_distribution]
    if queue not in {q.key for q in available}:
        raise Http404
    employee = _employee(request)
    before = request.GET.get("before")
    if queue == "reminders":  # QUE-12: customers, not mail
        from tradeport.followup.reminders import due_list

        rows, older = list(due_list(employee)[:500]), None
    else:
        rows, older = queues.page_of(queue, employee, int(before) if before and before.isdecimal() else None)
        shown = reading.customers_shown(request.user, [mail.customer_id for mail in rows])
        for mail in rows:
            mail.snippet = _snippet(mail)
            # PERM-13: a customer's or contact's name only for readers who may see that customer.
            named = mail.customer_id in shown
            mail.sender = (mail.contact.name if named and mail.contact_id else "") or (
                mail.customer.name if named else "") or mail.from_name
    context = {"queue": queues.BY_KEY[queue], "queues": available, "rows": rows, "older": older,
               "counters": queues.counters(request.user, employee), "is_first_page": not before,
               "may_distribute": queues.may_distribute(request.user),
               "open_mail": int(request.GET["mail"]) if request.GET.get("mail", "").isdecimal() else None}
    if request.htmx and request.htmx.target == "queue-list":
        return render(request, "mail/followup.html#list", context)
    if request.htmx and request.htmx.target == "queue-tree":
        return render(request, "mail/followup.html#tree", context)
    return render(request, "mail/followup.html", context)


def _snippet(mail: Mail, length: int = 200) -> str:
    """The start of the body, on one line, for the list (QUE-01); an HTML-only mail gives its words."""
    body = mail.text
    if not body and mail.html:
        head = re.sub(r"<[^>]*$", "", mail.html[:20_000])  # a long body: its start is enough, minus a cut tag
        body = html.unescape(strip_tags(head))
    return " ".join(body[:length * 3].split())[:length]


def _route_reason(mail: Mail, shown: set[int], may_distribute: bool) -> str:
    hide_customer = "code" in mail.route_facts and mail.customer_id not in shown
    hide_suggestion = not may_distribute and mail.suggested_customer_id not in shown
    if not mail.route_facts:  # written before facts were kept: its text may name anyone
        return mail.route_reason if mail.customer_id in shown or not mail.customer_id else ""
    return describe(mail.route_facts, hide_customer=hide_customer, hide_suggestion=hide_suggestion)


def _pane_context(request, mail: Mail, **extra) -> dict:
    employee = _employee(request)
    delivery = Delivery.objects.filter(mail=mail, employee=employee).first() if employee else None
    untriaged = mail.triaged_at is None and mail.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER) \
        and mail.deleted_at is None
    events = list(mail.events.select_related("actor__employee_record", "employee", "customer"))
    shown = reading.customers_shown(request.user, [mail.customer_id, mail.suggested_customer_id,
                                                   *(event.customer_id for event in events)])
    may_distribute = queues.may_distribute(request.user)
    context = {
        "mail": mail, "delivery": delivery, "attachments": mail.attachments.filter(inline=False),
        "shown_customer": mail.customer if mail.customer_id in shown else None,
        # Triage needs the domain's suggestion; anyone else sees it only for a customer of theirs.
        "shown_suggestion": mail.suggested_customer if may_distribute or mail.suggested_customer_id in shown
        else None,
        "shown_customer_ids": shown,
        "route_reason": _route_reason(mail, shown, may_distribute),
        "events": events,
        "deliveries": mail.deliveries.select_related("employee"),
        "reports": mail.reports.filter(deleted_at__isnull=True).only("kind", "subject", "date", "received_at"),
        "may_distribute": may_distribute, "untriaged": untriaged,
        "remote_allowed": reading.remote_allowed(request.user, mail),
        "followup_form": FollowUpForm(mail=mail, initial={
            "followed_up": mail.followed_up_at is not None, "purpose": mail.purpose_id,
            "products": list(mail.products.values_list("pk", flat=True)), "category": mail.category_id,
            "follow_up_days": mail.follow_up_days if mail.follow_up_days is not None else _default_days(mail)}),
        "distribute_form": DistributeForm(), "transfer_form": TransferForm(), "copy_form": CopyForm(),
        "merge_form": MergeForm(user=request.user, initial={"customer": mail.suggested_customer_id}),
        "spam_form": SpamForm(),
        "may_create_record": request.user.has_perm("accounts.fn_customer_new"),
        "previewable": reading.PREVIEWABLE,
        "may_send": sending.sendable_mailboxes(request.user).exists(),
        "may_record_contact": request.user.has_perm("accounts.fn_contact_input"),
    }
    context.update(extra)
    return context


def _default_days(mail: Mail) -> int | None:
    """READ-12: pre-filled with the customer's level's default days (FUP-14)."""
    level = getattr(mail.customer, "level", None) if mail.customer_id else None
    return getattr(level, "reminder_days", None)


@reader_required
def mail_read(request, pk):
    """READ-01: the reading pane (a whole page when opened directly)."""
    mail = _mail(request, pk)
    template = "mail/reading.html#pane" if request.htmx else "mail/reading.html"
    return render(request, template, _pane_context(request, mail))


@reader_required
@xframe_options_sameorigin
def mail_body(request, pk):
    """The sandboxed body document: no script runs, nothing remote loads unless allowed."""
    mail = _mail(request, pk)
    allow = reading.remote_allowed(request.user, mail, this_time=request.GET.get("remote") == "1")
    response = HttpResponse(reading.body_document(mail, allow_remote=allow, as_text=request.GET.get("text") == "1"))
    response["Content-Security-Policy"] = reading.body_policy(allow_remote=allow)
    response["Referrer-Policy"] = "no-referrer"
    return response


@reader_required
def mail_print(request, pk):
    """READ-08: header and body, ready to print."""
    mail = _mail(request, pk)
    text = mail.text or html.unescape(strip_tags(mail.html))  # an HTML-only mail prints its words
    return render(request, "mail/print.html", {"mail": mail, "text": text,
                                               "attachments": mail.attachments.filter(inline=False)})


@reader_required
def mail_attachment(request, pk, attachment_id):
    """Attachments with their own names (Chinese too, RFC 5987); images and PDFs may open inline."""
    mail = _mail(request, pk)
    attachment = get_object_or_404(MailAttachment, pk=attachment_id, mail=mail)
    inline = request.GET.get("inline") == "1" and attachment.content_type in reading.PREVIEWABLE
    response = FileResponse(default_storage.open(attachment.path, "rb"), as_attachment=not inline,
                            filename=attachment.filename or "attachment",
                            content_type=attachment.content_type if inline else "application/octet-stream")
    if inline and attachment.content_type.startswith("image/"):
        response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


# Actions ------------------------------------------------------------------------------------

def _done(request, mail: Mail, text: str = "", *, error: str = ""):
    # The action changed the row (or someone else did): show what is stored now.
    mail = Mail.objects.select_related("mailbox", "customer", "contact", "suggested_customer").get(pk=mail.pk)
    if error:
        messages.error(request, error)
    elif text:
        messages.success(request, text)
    if request.htmx:
        response = render(request, "mail/reading.html#pane", _pane_context(request, mail))
        response["HX-Trigger"] = "queues-changed"
        return response
    return redirect(next_url(request, reverse("mail:mail_read", args=[mail.pk])))


def _invalid(request, mail: Mail, form, name: str):
    messages.error(request, _("Please correct the form: %(errors)s") % {
        "errors": "; ".join(str(e) for errors in form.errors.values() for e in errors)})
    if request.htmx:
        return render(request, "mail/reading.html#pane", _pane_context(request, mail, **{name: form}), status=400)
    return redirect(reverse("mail:mail_read", args=[mail.pk]))


def _require_distributor(request) -> None:
    if not queues.may_distribute(request.user):
        raise PermissionDenied


@reader_required
@require_POST
def mail_action(request, pk, action):
    mail = _mail(request, pk)
    employee = _employee(request)
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    try:
        return handler(request, mail, employee)
    except triage.AlreadyHandled as refused:
        return _done(request, mail, error=str(refused))
    except ValidationError as invalid:
        return _done(request, mail, error=" ".join(invalid.messages))


def _distribute(request, mail, employee):
    _require_distributor(request)
    form = DistributeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, mail, form, "distribute_form")
    target = form.cleaned_data["employee"]
    triage.distribute(mail, to=target, actor=request.user, future_rule=form.cleaned_data["future_rule"],
                      note=form.cleaned_data["note"])
    return _done(request, mail, _("Distributed to %(name)s.") % {"name": target.name})


def _merge(request, mail, employee):
    if mail.customer_id:
        raise triage.AlreadyHandled(_("This mail is already filed under a customer."))
    if not queues.may_distribute(request.user) and not _pending_for(mail, employee):
        raise PermissionDenied
    form = MergeForm(request.POST, user=request.user)
    if not form.is_valid():
        return _invalid(request, mail, form, "merge_form")
    customer = form.cleaned_data["customer"]
    refiled = triage.merge(mail, customer=customer, actor=request.user,
                           all_from_address=form.cleaned_data["scope"] == "all")
    text = _("Filed under %(code)s %(name)s (%(n)s mails).") % {
        "code": customer.code, "name": customer.name, "n": refiled.filed}
    return _done(request, mail, " ".join([text, *triage.left_alone_text(refiled)]))


def _spam(request, mail, employee):
    _require_distributor(request)
    form = SpamForm(request.POST)
    form.is_valid()
    triage.trash_undistributed(mail, actor=request.user, spam=True, block=form.cleaned_data.get("block", False))
    return _done(request, mail, _("Marked as spam."))


def _trash(request, mail, employee):
    if mail.triaged_at is None and mail.route in (Mail.Route.UNDISTRIBUTED, Mail.Route.NO_OWNER):
        _require_distributor(request)
        triage.trash_undistributed(mail, actor=request.user)
    else:
        triage.trash_delivery(mail, employee=employee, actor=request.user)
    return _done(request, mail, _("Moved to the trash."))


def _restore(request, mail, employee):
    if mail.triage_action in ("trash", "spam") and queues.may_distribute(request.user) \
            and not Delivery.objects.filter(mail=mail, employee=employee, state=Delivery.State.TRASH).exists():
        triage.restore_undistributed(mail, actor=request.user)
    else:
        triage.restore_delivery(mail, employee=employee, actor=request.user)
    return _done(request, mail, _("Restored."))


def _delete(request, mail, employee):
    if not queues.may_distribute(request.user) and not Delivery.objects.filter(mail=mail, employee=employee).exists():
        raise PermissionDenied
    triage.delete_permanently(mail, actor=request.user)
    return _done(request, mail, _("Moved to the system recycle bin."))


def _block(request, mail, employee):
    if not mail.from_address:
        raise triage.AlreadyHandled(_("This mail has no sender address to block."))
    triage.block_sender(mail.from_address, actor=request.user, reason=_("blocked from a mail"), mail=mail)
    return _done(request, mail, _("Mail from %(address)s will be refused.") % {"address": mail.from_address})


def _followup(request, mail, employee):
    if employee is None or not (_pending_for(mail, employee) or Delivery.objects.filter(
            mail=mail, employee=employee).exists()):
        raise PermissionDenied
    form = FollowUpForm(request.POST, mail=mail)
    if not form.is_valid():
        return _invalid(request, mail, form, "followup_form")
    data = form.cleaned_data
    triage.mark_followed_up(mail, employee=employee, actor=request.user, followed_up=data["followed_up"],
                            purpose=data["purpose"], products=list(data["products"]), category=data["category"],
                            follow_up_days=data["follow_up_days"])
    return _done(request, mail, _("Marked followed up.") if data["followed_up"] else _("Saved."))


def _transfer(request, mail, employee):
    form = TransferForm(request.POST)
    if not form.is_valid():
        return _invalid(request, mail, form, "transfer_form")
    if employee is None:
        raise PermissionDenied
    target = form.cleaned_data["employee"]
    triage.transfer(mail, source=employee, target=target, actor=request.user, note=form.cleaned_data["note"])
    return _done(request, mail, _("Transferred to %(name)s.") % {"name": target.name})


def _copy(request, mail, employee):
    form = CopyForm(request.POST)
    if not form.is_valid():
        return _invalid(request, mail, form, "copy_form")
    count = triage.internal_copy(mail, employees=list(form.cleaned_data["employees"]), actor=request.user,
                                 note=form.cleaned_data["note"])
    return _done(request, mail, _("Copied to %(n)s colleagues.") % {"n": count})


def _done_without_record(request, mail, employee):
    if employee is None:
        raise PermissionDenied
    triage.mark_done(mail, employee=employee, actor=request.user)
    return _done(request, mail, _("Done: the mail left your queue."))


def _allow_remote(request, mail, employee):
    if mail.from_address:
        RemoteContentAllowance.objects.get_or_create(account=request.user, sender=mail.from_address)
    return _done(request, mail, _("Remote images from %(address)s will be shown.") % {"address": mail.from_address})


def _recycle_restore(request, mail, employee):
    _require_distributor(request)
    triage.recycle_restore(mail, actor=request.user)
    return _done(request, mail, _("Restored from the recycle bin."))


def _pending_for(mail, employee) -> bool:
    return employee is not None and Delivery.objects.filter(
        mail=mail, employee=employee, state=Delivery.State.PENDING).exists()


ACTIONS = {
    "distribute": _distribute, "merge": _merge, "spam": _spam, "trash": _trash, "restore": _restore,
    "delete": _delete, "block": _block, "followup": _followup, "transfer": _transfer, "copy": _copy,
    "done": _done_without_record, "allow-remote": _allow_remote, "recycle-restore": _recycle_restore,
}


@reader_required
@require_POST
def bulk(request):
    """MAIL-11: ticked undistributed mails together: trash, spam, block, delete permanently."""
    _require_distributor(request)
    action = request.POST.get("action")
    ids = [int(i) for i in request.POST.getlist("mail") if i.isdecimal()]
    done, refused = 0, []
    for mail in Mail.objects.filter(pk__in=ids):
        try:
            if action in ("trash", "spam"):
                triage.trash_undistributed(mail, actor=request.user, spam=action == "spam")
            elif action == "block":  # claimed first: a mail someone else handled blocks nobody
                triage.trash_undistributed(mail, actor=request.user, spam=True, block=True)
            elif action == "delete":
                triage.delete_permanently(mail, actor=request.user)
            else:
                raise Http404
            done += 1
        except triage.AlreadyHandled as refusal:
            refused.append(str(refusal))
    if done:
        messages.success(request, _("%(n)s mails handled.") % {"n": done})
    for text in refused[:5]:
        messages.warning(request, text)
    response = redirect("mail:followup_queue", queue="undistributed")
    return response


@function_required("fn_system_mail_admin")
def recycle_bin(request):
    """SYS-04: mail deleted permanently, restorable until the retention option purges it."""
    if not (request.user.is_administrator or request.user.has_perm("accounts.system_mail")):
        raise PermissionDenied
    before = request.GET.get("before")
    rows, older = queues.page(Mail.objects.filter(deleted_at__isnull=False).order_by("-id"),
                              int(before) if before and before.isdecimal() else None)
    counts = Mail.objects.filter(deleted_at__isnull=False).aggregate(n=Count("id"), mine=Count("id", filter=Q(
        deleted_by=request.user)))
    return render(request, "mail/recycle_bin.html", {"rows": rows, "older": older, "counts": counts,
                                                     "is_first_page": not before})


@reader_required
def mail_translate(request, pk):
    """READ-06: the body translated into the reader's language, or how to set a provider up."""
    from django.utils.html import format_html

    from tradeport.mail import translation

    mail = _mail(request, pk)
    if translation.provider() is None:
        return HttpResponse(format_html('<div class="alert alert-info small mb-0" id="translation">{}</div>', _(
            "No translation provider is configured. An administrator sets TRADEPORT_TRANSLATION_PROVIDER "
            "(see docs/configuration.md) to enable translation.")))
    try:
        text = translation.translate(mail.text, request.LANGUAGE_CODE)
    except translation.TranslationError as failure:
        return HttpResponse(format_html('<div class="alert alert-warning small mb-0" id="translation">{}</div>',
                                        _("Translation failed: %(reason)s") % {"reason": failure}))
    return HttpResponse(format_html('<pre class="border rounded p-2 small mb-0" style="white-space: pre-wrap" '
                                    'id="translation">{}</pre>', text))
