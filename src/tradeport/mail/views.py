from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tradeport.accounts.permissions import admin_required, function_required
from tradeport.mail import services, tasks
from tradeport.mail.forms import (
    AddressRuleForm,
    BlockedAddressForm,
    MailboxForm,
    MailImportForm,
)
from tradeport.mail.models import (
    AddressRule,
    BlockedAddress,
    FetchLedger,
    FolderState,
    ImportJob,
    Mail,
    Mailbox,
    Quarantine,
)
from tradeport.mail.protocols import MailServerError
from tradeport.system.lists import list_page
from tradeport.system.params import next_url


def _manageable(request):
    """System mailboxes for holders of the function; a user's own personal mailbox for its owner."""
    user = request.user
    condition = Q(kind=Mailbox.Kind.PERSONAL, owner=user)
    if user.is_administrator or user.has_perm("accounts.fn_system_mailbox"):
        condition |= Q(kind=Mailbox.Kind.SYSTEM)
    return Mailbox.objects.filter(condition)


def _mailbox(request, pk) -> Mailbox:
    return get_object_or_404(_manageable(request), pk=pk)


def _may_use(user) -> bool:
    return user.is_administrator or user.has_perm("accounts.fn_system_mailbox") or user.has_perm(
        "accounts.fn_personal_mailbox")


@function_required("fn_system_mailbox")
def mailbox_list(request):
    """SYS-02 and the mailbox health page: state, counts on the server against stored, errors."""
    return _render_list(request)


def _render_list(request):
    mailboxes = list(_manageable(request))
    ids = [m.pk for m in mailboxes]
    # Grouped counts, one query each: a join of mail and quarantine rows would multiply them.
    stored = dict(Mail.objects.filter(mailbox_id__in=ids).values("mailbox_id").annotate(n=Count("id"))
                  .values_list("mailbox_id", "n"))
    quarantined = dict(Quarantine.objects.filter(mailbox_id__in=ids, resolved_at__isnull=True)
                       .values("mailbox_id").annotate(n=Count("id")).values_list("mailbox_id", "n"))
    fetched = {(m, f, v): n for m, f, v, n in FetchLedger.objects.filter(mailbox_id__in=ids)
               .values("mailbox_id", "folder", "uidvalidity").annotate(n=Count("id"))
               .values_list("mailbox_id", "folder", "uidvalidity", "n")}
    latest = {}  # the newest state of each folder: its UIDVALIDITY is the one the server uses now
    for state in FolderState.objects.filter(mailbox_id__in=ids).order_by("mailbox", "folder", "-updated_at", "-id"):
        latest.setdefault((state.mailbox_id, state.folder), state)
    rows = []
    for mailbox in mailboxes:
        states = [s for (m, _f), s in latest.items() if m == mailbox.pk]
        on_server = sum(s.server_count for s in states)
        taken = sum(fetched.get((mailbox.pk, s.folder, s.uidvalidity), 0) for s in states)
        rows.append({"mailbox": mailbox, "on_server": on_server, "fetched": taken, "behind": max(on_server - taken, 0),
                     "percent": min(taken * 100 // on_server, 100) if on_server else 0,
                     "stored": stored.get(mailbox.pk, 0), "quarantined": quarantined.get(mailbox.pk, 0)})
    template = "mail/mailbox_list.html#table" if request.htmx else "mail/mailbox_list.html"
    return render(request, template, {"rows": rows})


@function_required("fn_personal_mailbox")
@require_http_methods(["GET", "POST"])
def personal_mailbox(request):
    """PERS-03: the user's own mailbox."""
    mailbox = Mailbox.objects.filter(kind=Mailbox.Kind.PERSONAL, owner=request.user).first()
    return _form(request, mailbox or Mailbox(kind=Mailbox.Kind.PERSONAL, owner=request.user,
                                             address=request.user.notify_email or ""))


@function_required("fn_system_mailbox")
@require_http_methods(["GET", "POST"])
def mailbox_create(request):
    return _form(request, Mailbox(kind=Mailbox.Kind.SYSTEM))


@login_required
@require_http_methods(["GET", "POST"])
def mailbox_update(request, pk):
    if not _may_use(request.user):
        raise PermissionDenied
    return _form(request, _mailbox(request, pk))


def _form(request, mailbox):
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Mailbox %(address)s saved.") % {"address": saved.address})
        if saved.kind == Mailbox.Kind.PERSONAL:
            return redirect("mail:personal_mailbox")
        return redirect("mail:mailbox_list")
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox})


@login_required
@require_POST
def mailbox_test(request, pk):
    """MBOX-03: log in and open the folders now; the failure is named."""
    if not _may_use(request.user):
        raise PermissionDenied
    mailbox = _mailbox(request, pk)
    try:
        result = services.mailbox_test(mailbox)
    except MailServerError as exc:
        messages.error(request, _("Connection test failed (%(kind)s): %(message)s") % {
            "kind": exc.kind, "message": exc.message})
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Connection works. %(result)s") % {"result": result})
    return redirect(next_url(request, reverse("mail:mailbox_list")))


@login_required
@require_POST
def mailbox_receive(request, pk):
    """ADM-13, SHORT-05: fetch now, in the background; the list shows the progress."""
    if not _may_use(request.user):
        raise PermissionDenied
    mailbox = _mailbox(request, pk)
    tasks.fetch_mailbox.enqueue(mailbox_id=mailbox.pk)
    messages.info(request, _("Receiving %(address)s has started; the counts below update as mail arrives.")
                  % {"address": mailbox.address})
    return redirect(next_url(request, reverse("mail:mailbox_list")))


@function_required("fn_system_mailbox")
def quarantine_list(request, pk):
    """Messages that could not be taken in, with the reason; each can be processed again."""
    mailbox = _mailbox(request, pk)
    return render(request, "mail/quarantine_list.html", {
        "mailbox": mailbox, "items": mailbox.quarantined.filter(resolved_at__isnull=True).select_related("raw")[:200]})


@function_required("fn_system_mailbox")
@require_POST
def quarantine_retry(request, pk):
    from django.core.files.storage import default_storage
    from django.utils import timezone

    item = get_object_or_404(Quarantine.objects.filter(mailbox__in=_manageable(request)), pk=pk)
    with default_storage.open(item.raw.path, "rb") as handle:
        raw = handle.read()
    result = services.message_ingest(mailbox=item.mailbox, raw=raw)
    if result.outcome == "quarantined":
        Quarantine.objects.filter(mailbox=item.mailbox, raw=item.raw).exclude(pk=item.pk).delete()
        messages.error(request, _("The message still cannot be read."))
    else:
        item.resolved_at = timezone.now()
        item.save(update_fields=["resolved_at"])
        messages.success(request, _("The message was taken in (%(outcome)s).") % {"outcome": result.outcome})
    return redirect("mail:quarantine_list", pk=item.mailbox_id)


# Blocked addresses (SYS-05, MAIL-13) and address rules (SYS-06, MAIL-14), for mail administrators (PERM-08)

@function_required("system_mail")
@require_http_methods(["GET", "POST"])
def blocked_list(request):
    form = BlockedAddressForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        blocked = form.save(commit=False)
        blocked.blocked_by = request.user
        blocked.save()
        messages.success(request, _("Mail from %(address)s will be refused.") % {"address": blocked.address})
        return redirect("mail:blocked_list")
    listing = list_page(request, BlockedAddress.objects.select_related("blocked_by"), search_fields=("address", "reason"),
                        sort_fields={"address": "address", "created": "created_at", "count": "blocked_count"},
                        default_sort="-created")
    return render(request, "mail/blocked_list.html", {"form": form, "listing": listing})


@function_required("system_mail")
@require_POST
def blocked_delete(request, pk):
    blocked = get_object_or_404(BlockedAddress, pk=pk)
    blocked.delete()
    messages.success(request, _("%(address)s is no longer blocked.") % {"address": blocked.address})
    return redirect("mail:blocked_list")


@function_required("system_mail")
@require_http_methods(["GET", "POST"])
def rule_list(request):
    form = AddressRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        rule.created_by = request.user
        rule.save()
        messages.success(request, _("Mail from %(address)s will go to %(name)s.") % {
            "address": rule.address, "name": rule.employee.name})
        return redirect("mail:rule_list")
    listing = list_page(request, AddressRule.objects.select_related("employee", "created_by"),
                        search_fields=("address", "employee__name", "employee__code"),
                        sort_fields={"address": "address", "employee": "employee__code", "created": "created_at"},
                        default_sort="address")
    return render(request, "mail/rule_list.html", {"form": form, "listing": listing})


@function_required("system_mail")
@require_POST
def rule_delete(request, pk):
    rule = get_object_or_404(AddressRule, pk=pk)
    rule.delete()
    messages.success(request, _("The rule for %(address)s is removed.") % {"address": rule.address})
    return redirect("mail:rule_list")


@function_required("fn_system_mailbox")
@require_POST
def receive_all(request):
    """ADM-13: fetch every enabled system mailbox now, in the background."""
    count = 0
    for mailbox_id in Mailbox.objects.filter(kind=Mailbox.Kind.SYSTEM, enabled=True).exclude(
            protocol=Mailbox.Protocol.NONE).values_list("pk", flat=True):
        tasks.fetch_mailbox.enqueue(mailbox_id=mailbox_id)
        count += 1
    messages.info(request, _("Receiving started for %(n)s system mailboxes; the counts update as mail arrives.")
                  % {"n": count})
    return redirect("mail:mailbox_list")


@function_required("fn_system_mailbox")
def quarantine_raw(request, pk):
    """The quarantined bytes exactly as received, shown as plain text (never rendered as HTML)."""
    from django.core.files.storage import default_storage
    from django.http import FileResponse

    item = get_object_or_404(Quarantine.objects.filter(mailbox__in=_manageable(request)).select_related("raw"), pk=pk)
    response = FileResponse(default_storage.open(item.raw.path, "rb"), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{item.raw.sha256}.eml"'
    return response


# External mail import (ADM-11, ADM-12), in the admin console

@admin_required
@require_http_methods(["GET", "POST"])
def import_list(request):
    form = MailImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = _save_upload(request, form)
        tasks.run_import_job.enqueue(job_id=job.pk)
        messages.info(request, _("The import has started; its progress is shown below."))
        return redirect("mail:import_list")
    listing = list_page(request, ImportJob.objects.select_related("mailbox", "uploaded_by"),
                        search_fields=("mailbox__address",),
                        sort_fields={"created": "created_at", "mailbox": "mailbox__address"},
                        default_sort="-created")
    return render(request, "mail/import_list.html", {"form": form, "listing": listing})


def _save_upload(request, form) -> ImportJob:
    import uuid
    from pathlib import Path

    from django.conf import settings

    relative = f"imports/{uuid.uuid4().hex}"
    folder = Path(settings.DATA_DIR) / relative
    folder.mkdir(parents=True)
    names = []
    for number, upload in enumerate(form.cleaned_data["files"]):
        # Numbered names keep two uploads called the same apart; the suffix tells the format.
        name = f"{number:04d}{Path(upload.name).suffix.lower()}"
        with (folder / name).open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        names.append(upload.name)
    return ImportJob.objects.create(
        mailbox=form.cleaned_data["mailbox"], uploaded_by=request.user, folder=relative, filenames=names,
        sent=form.cleaned_data["direction"] == "sent", followed_up=form.cleaned_data["followed_up"])


@admin_required
def import_progress(request, pk):
    """The job's row, polled by htmx while the import runs."""
    job = get_object_or_404(ImportJob.objects.select_related("mailbox", "uploaded_by"), pk=pk)
    return render(request, "mail/import_row.html", {"job": job})


@admin_required
@require_POST
def import_rerun(request, pk):
    """Run a failed or stalled import again; what it already stored counts as duplicates."""
    from pathlib import Path

    from django.conf import settings

    job = get_object_or_404(ImportJob, pk=pk)
    if job.state == ImportJob.State.DONE or job.is_active:
        messages.error(request, _("This import is not failed or stalled."))
    elif not (Path(settings.DATA_DIR) / job.folder).is_dir():
        messages.error(request, _("The uploaded files are gone; upload them again."))
    else:
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED, errors=[])
        tasks.run_import_job.enqueue(job_id=job.pk)
        messages.info(request, _("The import runs again."))
    return redirect("mail:import_list")


# System mail management (SYS-03): every mail with its route and reason

SYSTEM_MAIL_PAGE = 50


@function_required("fn_system_mail_admin")
def system_mail(request):
    """Every mail the user may see, newest first, with filters; pages by id, so 10⁶ rows cost no COUNT."""
    from tradeport.mail.forms import SystemMailFilter

    form = SystemMailFilter(request.GET or None)
    mails = Mail.objects.visible_to(request.user).order_by("-id")
    if form.is_valid():
        data = form.cleaned_data
        if data["mailbox"]:
            mails = mails.filter(mailbox=data["mailbox"])
        if data["route"]:
            mails = mails.filter(route=data["route"])
        if data["direction"]:
            mails = mails.filter(direction=data["direction"])
        if data["q"]:
            mails = mails.filter(Q(subject__icontains=data["q"]) | Q(from_address__icontains=data["q"].lower()))
        if data["before"]:
            mails = mails.filter(id__lt=data["before"])
    page = list(mails.select_related("mailbox", "customer", "suggested_customer")
                .prefetch_related("deliveries__employee")
                .only("id", "subject", "from_address", "from_name", "date", "received_at", "direction", "route",
                      "route_reason", "route_facts", "mailbox__address", "customer__code", "customer__name",
                      "suggested_customer__code", "suggested_customer__name")[:SYSTEM_MAIL_PAGE + 1])
    older = page[SYSTEM_MAIL_PAGE - 1].pk if len(page) > SYSTEM_MAIL_PAGE else None
    params = request.GET.copy()
    params.pop("before", None)
    return render(request, "mail/system_mail.html", {
        "form": form, "mails": page[:SYSTEM_MAIL_PAGE], "older": older, "params": params.urlencode(),
        "is_first_page": not request.GET.get("before"),
    })
