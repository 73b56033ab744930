"""Compose, reply, forward (SEND-01..07, SEND-13, SEND-15, READ-02..05) and the outbox (SEND-14, SEND-17)."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tradeport.accounts.models import Account
from tradeport.accounts.permissions import function_required
from tradeport.audit.services import record_operation
from tradeport.mail import sending
from tradeport.mail.followup_views import (
    _default_days,
    _employee,
    _readable,
    reader_required,
)
from tradeport.mail.forms import ComposeForm, ReviewerForm, ReviewForm
from tradeport.mail.models import (
    CommonPhrase,
    Delivery,
    Mail,
    MailTemplate,
    MassMailing,
    OutgoingAttachment,
    OutgoingMail,
    ReviewerAssignment,
)
from tradeport.system.lists import list_page
from tradeport.system.params import as_id

SOURCE_KINDS = {k.value for k in OutgoingMail.Kind} - {OutgoingMail.Kind.NEW}


def _is_key(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def _source(request, kind: str, pk) -> Mail | None:
    if kind not in SOURCE_KINDS:
        return None
    if not str(pk or "").isdecimal():
        raise Http404
    return get_object_or_404(_readable(request).select_related("mailbox", "raw"), pk=pk)


def _sender_name(request, mailbox) -> str:
    employee = _employee(request)
    return mailbox.display_name or (employee.name if employee else "")


def _from_draft(draft: OutgoingMail) -> dict:
    return {"mailbox": draft.mailbox_id, "to": "; ".join(draft.to), "cc": "; ".join(draft.cc),
            "bcc": "; ".join(draft.bcc), "subject": draft.subject, "body": draft.body,
            "read_receipt": draft.read_receipt, "follow_up_source": draft.follow_up_source,
            "follow_up_days": draft.follow_up_days,
            "send_at": timezone.localtime(draft.send_at) if draft.send_at else None,
            "purpose": draft.purpose_id, "next_contact": draft.next_contact, "remarks": draft.remarks}


@reader_required
def compose(request):
    """SEND-01: a new mail, a reply (?reply=), reply all, forward, forward as attachment, or a draft (?draft=)."""
    draft = None
    compose_key = request.POST.get("compose_key", "")[:36] if request.method == "POST" else str(uuid.uuid4())
    compose_key = compose_key if _is_key(compose_key) else str(uuid.uuid4())
    earlier = OutgoingMail.objects.filter(author=request.user, compose_key=compose_key).first() if compose_key else None
    if earlier is not None and earlier.state != OutgoingMail.State.DRAFT:
        messages.info(request, _("This mail was already sent from this form."))  # a second click, or Back
        return redirect("mail:outbox")
    if earlier is not None:
        draft = earlier
        kind, source = draft.kind, draft.source
    elif str(request.GET.get("draft") or request.POST.get("draft") or "").isdecimal():
        draft = get_object_or_404(OutgoingMail.objects.select_related("source", "mailbox", "reviewed_by"),
                                  author=request.user, state=OutgoingMail.State.DRAFT, pk=request.GET.get("draft") or request.POST["draft"])
        kind, source = draft.kind, draft.source
        if request.method == "GET":  # the form carries the draft's own key from now on
            if draft.compose_key:
                compose_key = draft.compose_key
            else:
                OutgoingMail.objects.filter(pk=draft.pk).update(compose_key=compose_key)
    else:
        kind = next((k for k in SOURCE_KINDS if k in request.GET or request.POST.get("kind") == k),
                    OutgoingMail.Kind.NEW)
        source = _source(request, kind, request.GET.get(kind) or request.POST.get("source"))
    if source is not None and not _readable(request).filter(pk=source.pk).exists():  # a draft's, since hidden
        raise Http404
    mailboxes = sending.sendable_mailboxes(request.user)
    if not mailboxes.exists():
        return render(request, "mail/compose.html", {"no_mailbox": True}, status=200)
    existing = list(draft.attachments.all()) if draft else []
    forwarded = list(source.attachments.filter(inline=False, oversized=False)) \
        if source is not None and kind == OutgoingMail.Kind.FORWARD else []
    sending_now = request.method == "POST" and "send" in request.POST
    if request.method == "POST":
        form = ComposeForm(request.POST, request.FILES, user=request.user, sending=sending_now,
                           existing_size=sum(a.size for a in [*existing, *forwarded]))
        if form.is_valid():
            _schedule(form, source)
        if form.is_valid():
            try:
                with transaction.atomic():
                    outgoing = _save(request, form, draft, kind, source, compose_key=compose_key)
                    if sending_now:
                        sending.submit(outgoing, sender_name=_sender_name(request, outgoing.mailbox))
            except sending.ComposeError as exc:
                form.add_error(None, str(exc))
            else:
                if sending_now:
                    messages.success(request, _sent_message(outgoing))
                    return redirect("mail:outbox")
                messages.success(request, _("Draft saved."))
                return redirect(f"{reverse('mail:compose')}?draft={outgoing.pk}")
    else:
        initial = _from_draft(draft) if draft else sending.defaults_for(kind, source, request.user)
        if "to" in request.GET and not draft:
            initial["to"] = request.GET["to"]
        if source is not None and not draft and kind in (OutgoingMail.Kind.REPLY, OutgoingMail.Kind.REPLY_ALL):
            employee = _employee(request)
            pending = employee is not None and source.followed_up_at is None and Delivery.objects.filter(
                mail=source, employee=employee, state=Delivery.State.PENDING).exists()
            initial.update(follow_up_source=pending, follow_up_days=_default_days(source) if pending else None)
        form = ComposeForm(initial=initial, user=request.user)
    return render(request, "mail/compose.html", {
        "compose_key": compose_key,
        "templates": MailTemplate.objects.usable_by(request.user).only("name", "subject", "body"),
        "phrases": CommonPhrase.objects.filter(owner=request.user).only("title", "content"),
        "reviewer": sending.reviewer_for(request.user),
        "form": form, "kind": kind, "kind_label": OutgoingMail.Kind(kind).label, "source": source, "draft": draft,
        "attachments": existing, "forwarded": forwarded})


def _schedule(form: ComposeForm, source: Mail | None) -> None:
    """SEND-08: the time typed is the user's, or the customer's when asked; it must lie ahead."""
    when = form.cleaned_data.get("send_at")
    form.cleaned_data["send_at_zone"] = ""
    if when is None:
        return
    if form.cleaned_data.get("customer_time"):
        zone = sending.customer_zone(form.cleaned_data["to"], source)
        if zone is None:
            form.add_error("customer_time", _("None of the recipients is a customer whose region has a time zone."))
            return
        when = timezone.make_aware(timezone.make_naive(when), zone)
        form.cleaned_data["send_at_zone"] = zone.key
    if when <= timezone.now():
        form.add_error("send_at", _("Choose a moment in the future, or leave it empty to send at once."))
        return
    form.cleaned_data["send_at"] = when


def _sent_message(outgoing: OutgoingMail) -> str:
    if outgoing.state == OutgoingMail.State.AWAITING:
        return _("Your mail waits for the approval of %(reviewer)s.") % {
            "reviewer": outgoing.reviewer.display_name}
    if outgoing.send_at:
        return _("Your mail leaves at %(when)s.") % {
            "when": timezone.localtime(outgoing.send_at).strftime("%Y-%m-%d %H:%M")}
    return _("Your mail is in the outbox and leaves in a moment.")


@reader_required
@require_POST
def compose_autosave(request):
    """SEND-15: drafts save themselves; the text fields only (attachments are saved with [Save draft] or [Send])."""
    compose_key = request.POST.get("compose_key", "")[:36]
    draft = OutgoingMail.objects.filter(author=request.user, compose_key=compose_key).first() \
        if _is_key(compose_key) else None
    if draft is None and str(request.POST.get("draft") or "").isdecimal():
        draft = OutgoingMail.objects.filter(author=request.user, pk=request.POST["draft"]).first()
    if (draft is not None and draft.state != OutgoingMail.State.DRAFT) or (
            draft is None and str(request.POST.get("draft") or "").isdecimal()):  # sent or submitted meanwhile
            return render(request, "mail/_autosave.html", {"autosave_error": _("Not saved: this mail has left the drafts.")})
    kind = request.POST.get("kind") if request.POST.get("kind") in SOURCE_KINDS else OutgoingMail.Kind.NEW
    source = draft.source if draft else _source(request, kind, request.POST.get("source"))
    form = ComposeForm(request.POST, user=request.user, sending=False)
    if not form.is_valid():
        return render(request, "mail/_autosave.html", {"autosave_error": _("Not saved yet: check the fields marked in red when you send.")})
    form.cleaned_data["files"] = []
    try:
        with transaction.atomic():
            saved = _save(request, form, draft, draft.kind if draft else kind, source, compose_key=compose_key)
    except sending.ComposeError:
        return render(request, "mail/_autosave.html", {"autosave_error": _("Not saved: this mail has left the drafts.")})
    return render(request, "mail/_autosave.html", {"saved_at": timezone.localtime(saved.updated_at),
                                                   "saved_draft": saved})


@transaction.atomic
def _save(request, form: ComposeForm, draft: OutgoingMail | None, kind: str, source: Mail | None, *,
          compose_key: str = "") -> OutgoingMail:
    data = form.cleaned_data
    if draft is not None and not OutgoingMail.objects.select_for_update().filter(
            pk=draft.pk, state=OutgoingMail.State.DRAFT).exists():
        raise sending.ComposeError(_("This mail has left the drafts meanwhile."))
    outgoing = draft or OutgoingMail(author=request.user, employee=_employee(request), kind=kind, source=source,
                                     compose_key=compose_key)
    outgoing.mailbox = data["mailbox"]
    outgoing.to, outgoing.cc, outgoing.bcc = data["to"], data["cc"], data["bcc"]
    outgoing.subject, outgoing.body = data["subject"], data["body"]
    outgoing.read_receipt = data["read_receipt"]
    outgoing.follow_up_source = bool(data["follow_up_source"] and source is not None)
    outgoing.follow_up_days = data["follow_up_days"]
    outgoing.send_at, outgoing.send_at_zone = data.get("send_at"), data.get("send_at_zone", "")
    outgoing.purpose, outgoing.next_contact, outgoing.remarks = data["purpose"], data["next_contact"], data["remarks"]
    outgoing.updated_at = timezone.now()
    outgoing.save()
    for upload in data["files"]:
        sending.store_attachment(outgoing, upload)
    return outgoing


STATE_FILTERS = {
    "": None, "drafts": [OutgoingMail.State.DRAFT],
    "waiting": [OutgoingMail.State.AWAITING, OutgoingMail.State.QUEUED, OutgoingMail.State.SENDING],
    "failed": [OutgoingMail.State.FAILED], "sent": [OutgoingMail.State.SENT],
}


@reader_required
def outbox(request):
    """DAILY-05, SEND-15, SEND-17: the user's drafts, waiting, failed and sent mail, newest first."""
    state = request.GET.get("state", "")
    if state not in STATE_FILTERS:
        raise Http404
    rows = OutgoingMail.objects.filter(author=request.user).select_related(
        "mailbox", "mail", "reviewer__employee_record", "reviewed_by__employee_record")
    if STATE_FILTERS[state]:
        rows = rows.filter(state__in=STATE_FILTERS[state])
    page = Paginator(rows.order_by("-id"), 50).get_page(request.GET.get("page"))
    labels = {"": _("All"), "drafts": _("Drafts"), "waiting": _("Waiting"), "failed": _("Failed"),
              "sent": _("Sent")}
    # Polls while something leaves soon; scheduled and awaiting rows do not change by themselves.
    soon = timezone.now() + timezone.timedelta(minutes=2)
    waiting = any(row.state == OutgoingMail.State.SENDING or (
        row.state == OutgoingMail.State.QUEUED and row.next_attempt_at and row.next_attempt_at <= soon) for row in page)
    return render(request, "mail/outbox.html", {"page": page, "listing": {"page": page}, "state": state,
                                                "filters": labels.items(), "waiting": waiting})


@reader_required
@require_POST
def outbox_action(request, pk, action):
    outgoing = get_object_or_404(OutgoingMail, pk=pk, author=request.user)
    if action == "retry":
        done = sending.retry(outgoing)
        text = _("The mail is back in the outbox.") if done else _("Only a failed mail can be retried.")
    elif action == "cancel":
        done = sending.cancel(outgoing)
        text = _("Sending cancelled; the mail is in your drafts.") if done else _("This mail has already left.")
    elif action == "delete":
        done = bool(OutgoingMail.objects.filter(pk=outgoing.pk, state=OutgoingMail.State.DRAFT).delete()[0])
        text = _("Draft deleted.") if done else _("Only a draft can be deleted.")
    elif action == "remove-attachment":
        done = bool(OutgoingAttachment.objects.filter(
            outgoing=outgoing, outgoing__state=OutgoingMail.State.DRAFT,
            pk=as_id(request.POST.get("attachment")) or 0).delete()[0])
        if done:
            return redirect(f"{reverse('mail:compose')}?draft={outgoing.pk}")
        text = _("Only a draft can be changed.")
    else:
        raise Http404
    (messages.success if done else messages.error)(request, text)
    return redirect("mail:outbox")


# Approval (SEND-10..12) -----------------------------------------------------------------------

@login_required
def approval_list(request):
    """SEND-11: the mail waiting for this reviewer, oldest first, each readable before deciding."""
    rows = OutgoingMail.objects.filter(reviewer=request.user, state=OutgoingMail.State.AWAITING).select_related(
        "author__employee_record", "mailbox", "source").prefetch_related("attachments", "source__attachments").order_by("id")
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    mailings = MassMailing.objects.filter(reviewer=request.user, state=MassMailing.State.AWAITING).select_related(
        "author__employee_record", "mailbox").order_by("id")
    return render(request, "mail/approval_list.html", {"page": page, "listing": {"page": page},
                                                       "mailings": mailings, "reject_form": ReviewForm()})


STALE = object()


def _version(request):
    """The change time of the item the reviewer read, as the approval list's forms carry it, so that a
    mail changed since is not approved unseen; None when a request sends none (no check)."""
    from django.utils.dateparse import parse_datetime

    if "version" not in request.POST:
        return None
    try:
        return parse_datetime(request.POST["version"]) or STALE
    except ValueError:
        return STALE


def _review(request, item, action: str, approve, reject):
    """SEND-11, MASS-07: approve, or return with a comment, the version the reviewer read."""
    if action not in ("approve", "reject"):
        raise Http404
    version = _version(request)
    if version is STALE:
        messages.error(request, _("This mail has changed since you opened the list: read it again."))
        return redirect("mail:approval_list")
    if action == "approve":
        done = approve(item, reviewer=request.user, version=version)
        text = _("Approved: “%(subject)s” leaves now or at its time.")
    else:
        form = ReviewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Say why the mail goes back, so that its author can fix it."))
            return redirect("mail:approval_list")
        done = reject(item, reviewer=request.user, comment=form.cleaned_data["comment"], version=version)
        text = _("Returned to its author: “%(subject)s”.")
    if done:
        messages.success(request, text % {"subject": item.subject})
    else:
        messages.error(request, _("This mail is no longer waiting for you, or has changed since you read it."))
    return redirect("mail:approval_list")


@login_required
@require_POST
def approval_action(request, pk, action):
    outgoing = get_object_or_404(OutgoingMail, pk=pk, reviewer=request.user)
    return _review(request, outgoing, action, sending.approve, sending.reject)


@login_required
@require_POST
def mass_review(request, pk, action):
    """MASS-07: a mass mailing is approved or returned as one item."""
    from tradeport.mail import mass

    mailing = get_object_or_404(MassMailing, pk=pk, reviewer=request.user)
    return _review(request, mailing, action, mass.approve, mass.reject)


@function_required("fn_mail_reviewer_setup")
def reviewer_setup(request):
    """SEND-12: every account with its current reviewer; [Modify] sets or clears it."""
    accounts = Account.objects.company().filter(is_active=True).with_names().select_related("mail_reviewer__reviewer")
    listing = list_page(request, accounts, search_fields=("username", "employee_name", "employee_record__name", "employee_code"),
                        sort_fields={"username": "username", "name": "sort_name"}, default_sort="username")
    return render(request, "mail/reviewer_setup.html", {"listing": listing})


@function_required("fn_mail_reviewer_setup")
def reviewer_modify(request, pk):
    account = get_object_or_404(Account.objects.company(), pk=pk)
    current = ReviewerAssignment.objects.filter(account=account).first()
    form = ReviewerForm(request.POST or None, account=account,
                        initial={"reviewer": current.reviewer.username if current else ""})
    if request.method == "POST" and form.is_valid():
        reviewer = form.cleaned_data["reviewer"]
        with transaction.atomic():
            if reviewer is None:
                ReviewerAssignment.objects.filter(account=account).delete()
                text = _("%(account)s sends without approval.")
            else:
                ReviewerAssignment.objects.update_or_create(account=account, defaults={
                    "reviewer": reviewer, "assigned_by": request.user, "assigned_at": timezone.now()})
                text = _("%(reviewer)s now approves the mail of %(account)s.")
            sending.reassign_waiting(account, reviewer)
        record_operation(module="mail", action="update", instance=account,
                         changes={"mail_reviewer": reviewer.username if reviewer else ""})
        messages.success(request, text % {"account": account.username,
                                          "reviewer": reviewer.username if reviewer else ""})
        return redirect("mail:reviewer_setup")
    return render(request, "mail/reviewer_form.html", {"form": form, "account": account})
