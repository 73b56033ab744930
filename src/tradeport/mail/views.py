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
    AddressTransferForm,
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


# A change to these fields is tested before it is saved (MBOX-03): a wrong password is caught at once.
INCOMING_FIELDS = {"protocol", "host", "port", "security", "username", "password", "folders_text"}
SMTP_FIELDS = {"smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password"}


def _failure_text(request, error) -> str:
    """The administrator may be told server settings; everyone else is told whom to ask."""
    return error.admin_message if request.user.is_administrator else error.message


def _check_texts(request, checks) -> tuple[list[str], list[str]]:
    """(what works, what failed), each line naming the part and, on failure, the server's words."""
    works, failed = [], []
    for check in checks:
        if check.error is None:
            works.append((_("Connection works. %(result)s") if check.part == "incoming"
                          else _("Sending works. %(result)s")) % {"result": check.result})
        else:
            failed.append((_("Connection test failed (%(kind)s): %(message)s") if check.part == "incoming"
                           else _("Sending test failed (%(kind)s): %(message)s")) % {
                "kind": check.error.kind, "message": _failure_text(request, check.error)})
    return works, failed


def _form(request, mailbox):
    form = MailboxForm(request.POST or None, instance=mailbox)
    failed = []
    if request.method == "POST" and form.is_valid():
        new = mailbox.pk is None
        candidate = form.save(commit=False)
        changed = set(form.changed_data)
        checks = services.connection_checks(candidate, incoming=new or bool(changed & INCOMING_FIELDS),
                                            smtp=new or bool(changed & SMTP_FIELDS))
        works, failed = _check_texts(request, checks)
        if not failed or request.POST.get("save_anyway"):
            candidate.save()
            # One alert: what was saved and that it works.
            messages.success(request, " ".join([_("Mailbox %(address)s saved.") % {"address": candidate.address},
                                                *works]))
            for text in failed:
                messages.warning(request, text)
            if candidate.kind == Mailbox.Kind.PERSONAL:
                return redirect("mail:personal_mailbox")
            return redirect("mail:mailbox_list")
        form.keep_typed_passwords()
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox, "failed_checks": failed})


@login_required
@require_POST
def mailbox_test(request, pk):
    """MBOX-03: log in to the incoming and the sending server now; each failure is named in the server's words."""
    if not _may_use(request.user):
        raise PermissionDenied
    mailbox = _mailbox(request, pk)
    works, failed = _check_texts(request, services.connection_checks(mailbox))
    for text in works:
        messages.success(request, text)
    for text in failed:
        messages.error(request, text)
    if not works and not failed:
        messages.info(request, _("Nothing to test: this mailbox has neither an incoming nor an SMTP server."))
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


# Address distribution transfer (MAIL-14, MAIL-15), in Customer management

def _may_transfer(user) -> bool:
    """The function opens the screen; routing other people's mail also takes PERM-08 (MAIL-02 to MAIL-15)."""
    return user.is_administrator or user.has_perm("accounts.system_mail")


@function_required("fn_address_rule_transfer")
@require_http_methods(["GET", "POST"])
def address_transfer(request):
    """MAIL-14: give an address to a salesperson, or remove its rule; the address's future mail follows."""
    if not _may_transfer(request.user):
        raise PermissionDenied
    form = AddressTransferForm(request.POST or None, initial={"address": request.GET.get("address", "")})
    confirm = None
    if request.method == "POST" and form.is_valid():
        address, target = form.cleaned_data["address"], form.cleaned_data["employee"]
        rule = AddressRule.objects.select_related("employee").filter(address=address).first()
        if target is None and rule is None:
            form.add_error("address", _("%(address)s has no distribution rule: its mail already goes to the "
                                        "undistributed queue.") % {"address": address})
        elif target is None and not request.POST.get("confirmed"):
            confirm = rule  # removing is the default choice: ask before doing it
        else:
            previous = services.address_rule_transfer(address=address, employee=target, actor=request.user)
            _transfer_done(request, address, target, previous)
            return redirect("mail:address_transfer")
    listing = list_page(request, AddressRule.objects.select_related("employee", "created_by__employee_record"),
                        search_fields=("address", "employee__name", "employee__code"),
                        sort_fields={"address": "address", "employee": "employee__code", "created": "created_at"},
                        default_sort="address")
    return render(request, "mail/address_transfer.html", {"form": form, "listing": listing, "confirm": confirm})


def _transfer_done(request, address: str, target, previous) -> None:
    if target is None:
        messages.success(request, _("Automatic distribution of %(address)s is removed: its future mail goes to "
                                    "the undistributed queue.") % {"address": address})
    elif previous is None:
        messages.success(request, _("Mail from %(address)s will go to %(name)s.") % {
            "address": address, "name": target.name})
    elif previous.pk == target.pk:
        messages.info(request, _("Mail from %(address)s already goes to %(name)s.") % {
            "address": address, "name": target.name})
    else:
        messages.success(request, _("Mail from %(address)s now goes to %(name)s instead of %(previous)s.") % {
            "address": address, "name": target.name, "previous": previous.name})
    # Routing asks these before any rule (MAIL-01): say so, or the rule seems not to work.
    if target is not None:
        from tradeport.customers.models import EmailAddress

        entry = EmailAddress.objects.filter(address=address, customer__deleted_at__isnull=True).select_related(
            "customer").first()
        if BlockedAddress.objects.filter(address=address).exists():
            messages.warning(request, _("%(address)s is blocked: its mail is refused before any rule applies.")
                             % {"address": address})
        elif entry is not None:
            messages.warning(request, _("%(address)s belongs to the customer %(code)s %(name)s: its mail goes to "
                                        "the customer's owners; the rule applies only if the address leaves the "
                                        "record.") % {"address": address, "code": entry.customer.code,
                                                      "name": entry.customer.name})


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
