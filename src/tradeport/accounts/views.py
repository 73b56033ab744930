from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tradeport.accounts import services
from tradeport.accounts.forms import (
    AccountForm,
    ForcedPasswordChangeForm,
    IpBindingForm,
    LoginForm,
    PreferencesForm,
)
from tradeport.accounts.functions import (
    EMPLOYEE_TEMPLATE,
    MANAGEMENT_CATEGORIES,
    MANAGEMENT_PERMISSIONS,
    MANAGER_TEMPLATE,
    MODULES,
)
from tradeport.accounts.models import Account, DeviceBinding, IpBinding, OnlineSession
from tradeport.accounts.permissions import admin_required, function_required
from tradeport.audit.models import SystemLogEntry
from tradeport.system import options
from tradeport.system.lists import list_page
from tradeport.system.params import next_url


def _landing(account: Account) -> str:
    return "console:home" if account.is_administrator else "workbench"


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_landing(request.user))
    form = LoginForm(request.POST or None)
    error = ""
    device_token = None
    if request.method == "POST" and form.is_valid():
        try:
            result = services.login_attempt(
                request, username=form.cleaned_data["username"], password=form.cleaned_data["password"],
            )
        except services.LoginRefused as refused:
            error, device_token = refused.message, refused.device_token
        else:
            response = redirect(next_url(request, _landing(result.account)))
            services.remember_device(response, request, result.account.username)
            return response
    response = render(request, "accounts/login.html", {
        "form": form, "error": error, "next": request.GET.get("next", ""),
        "seats": options_seats(),
    }, status=403 if error else 200)
    if device_token:
        response.set_signed_cookie(services.DEVICE_COOKIE, device_token, salt=services.DEVICE_COOKIE_SALT,
                                   max_age=10 * 365 * 24 * 3600, httponly=True, samesite="Lax")
    return response


def options_seats() -> int:
    from django.conf import settings

    return settings.TRADEPORT_SEATS


@require_POST
def logout_view(request):
    services.logout_account(request)
    messages.info(request, _("You have logged out."))
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    """PERS-04 / ADM-16; also the forced change at first login (ACC-01, ACC-06)."""
    if not (request.user.is_administrator or request.user.must_change_password
            or request.user.has_perm("accounts.fn_change_password")):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    form = ForcedPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            account = form.save()
            account.must_change_password = False
            account.save(update_fields=["must_change_password"])
            # Other logins of this account end (PERS-04); this one keeps its seat.
            update_session_auth_hash(request, account)
            OnlineSession.objects.filter(account=account).update(session_key=request.session.session_key)
        messages.success(request, _("Your password has been changed."))
        return redirect(_landing(account))
    template = "console/base.html" if request.user.is_administrator else "base.html"
    return render(request, "accounts/password_change.html", {"form": form, "layout": template})


@function_required("fn_personalization")
@require_http_methods(["GET", "POST"])
def preferences(request):
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        account = form.save()
        response = redirect("accounts:preferences")
        messages.success(request, _("Your preferences have been saved."))
        if account.language:
            from django.conf import settings

            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, account.language, max_age=365 * 24 * 3600)
        return response
    return render(request, "accounts/preferences.html", {"form": form})


# Admin console: accounts (ACC-07..12) ----------------------------------------

@admin_required
def account_list(request):
    accounts = Account.objects.with_names().prefetch_related("groups").select_related("online_session")
    listing = list_page(
        request, accounts,
        search_fields=("username", "employee_name", "employee_record__name", "employee_code", "mobile"),
        sort_fields={"username": "username", "name": "sort_name", "code": "employee_code",
                     "active": "is_active", "last_login": "last_login"},
        default_sort="username",
    )
    context = {"listing": listing}
    if request.htmx:
        return render(request, "accounts/account_list.html#table", context)
    return render(request, "accounts/account_list.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def account_create(request):
    return _account_form(request, Account())


@admin_required
@require_http_methods(["GET", "POST"])
def account_update(request, pk):
    return _account_form(request, get_object_or_404(Account, pk=pk))


def _account_form(request, account):
    form = AccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            if not saved.is_administrator:
                services.account_set_template(account=saved, template=form.cleaned_data["template"] or None)
            if not saved.is_active or form.cleaned_data.get("password1"):
                # A disabled account or a reset password ends the current login and frees its seat.
                for online in OnlineSession.objects.filter(account=saved).exclude(account=request.user):
                    services.online_session_end(online=online, event=SystemLogEntry.Event.FORCED_LOGOUT,
                                                reason="disabled" if not saved.is_active else "password reset")
        messages.success(request, _("Account %(name)s saved.") % {"name": saved.username})
        if saved.employee_code and saved.employee is None:
            messages.warning(request, _(
                "No employee has the code %(code)s yet. The account will be linked to that employee "
                "as soon as it is created."
            ) % {"code": saved.employee_code})
        return redirect("console:account_list")
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@admin_required
@require_http_methods(["GET", "POST"])
def account_delete(request, pk):
    account = get_object_or_404(Account, pk=pk)
    if account.is_administrator:
        messages.error(request, _("The administrator account cannot be deleted."))
        return redirect("console:account_list")
    if request.method == "POST":
        outcome = services.account_delete(account=account)
        if outcome == "disabled":
            messages.warning(request, _(
                "Account %(name)s has history, so it was disabled instead of deleted. "
                "Its logs, customers and mail are kept."
            ) % {"name": account.username})
        else:
            messages.success(request, _("Account %(name)s deleted.") % {"name": account.username})
        return redirect("console:account_list")
    return render(request, "accounts/account_confirm_delete.html", {"account": account})


# Admin console: permissions (PERM-02, PERM-07) --------------------------------

@admin_required
@require_http_methods(["GET", "POST"])
def account_permissions(request, pk):
    """The function and management permission tree of one account."""
    account = get_object_or_404(Account.objects.company(), pk=pk)
    from_template = set(
        Group.objects.filter(user=account).values_list("permissions__codename", flat=True)
    )
    own = set(account.user_permissions.filter(content_type__app_label="accounts")
              .values_list("codename", flat=True))
    if request.method == "POST":
        chosen = set(request.POST.getlist("perm"))
        with transaction.atomic():
            services.account_set_template(account=account, template=request.POST.get("template") or None)
            function_codes = {f.codename for m in MODULES for f in m.functions}
            services.account_set_permissions(account=account, codenames=chosen & function_codes, kinds="functions")
            services.account_set_permissions(
                account=account, codenames=chosen & {p.codename for p in MANAGEMENT_PERMISSIONS},
                kinds="management",
            )
        messages.success(request, _("Permissions of %(name)s saved.") % {"name": account.username})
        return redirect("console:account_permissions", pk=account.pk)
    return render(request, "accounts/permission_editor.html", {
        "account": account, "modules": MODULES, "categories": _categories(),
        "own": own, "from_template": from_template,
        "template": account.groups.values_list("name", flat=True).first() or "",
        "templates": [("", _("None")), (MANAGER_TEMPLATE, _("Manager template")),
                      (EMPLOYEE_TEMPLATE, _("Employee template"))],
    })


def _categories():
    return [
        {"key": key, "label": label, "permissions": [p for p in MANAGEMENT_PERMISSIONS if p.category == key]}
        for key, label in MANAGEMENT_CATEGORIES
    ]


@admin_required
@require_http_methods(["GET", "POST"])
def template_permissions(request, template):
    """Edit a role template (the manager and employee groups)."""
    if template not in (MANAGER_TEMPLATE, EMPLOYEE_TEMPLATE):
        from django.http import Http404

        raise Http404
    group = services.template_reset(template)
    if request.method == "POST":
        services.template_set_permissions(template=template, codenames=set(request.POST.getlist("perm")))
        messages.success(request, _("Template saved. Every account using it has the new permissions."))
        return redirect("console:template_permissions", template=template)
    return render(request, "accounts/template_editor.html", {
        "template": template, "modules": MODULES, "categories": _categories(),
        "granted": set(group.permissions.values_list("codename", flat=True)),
        "members": group.user_set.order_by("username"),
    })


@admin_required
@require_http_methods(["GET", "POST"])
def management_matrix(request):
    """Grid of accounts by management permissions (PERM-07 web note)."""
    accounts = list(Account.objects.company().filter(is_active=True).with_names()
                    .prefetch_related("user_permissions", "groups__permissions"))
    if request.method == "POST":
        with transaction.atomic():
            for account in accounts:
                chosen = {p.codename for p in MANAGEMENT_PERMISSIONS
                          if f"{account.pk}:{p.codename}" in request.POST.getlist("grant")}
                services.account_set_permissions(account=account, codenames=chosen, kinds="management")
        messages.success(request, _("Management permissions saved."))
        return redirect("console:management_matrix")
    rows = []
    for account in accounts:
        own = {p.codename for p in account.user_permissions.all()}
        inherited = {p.codename for g in account.groups.all() for p in g.permissions.all()}
        rows.append({"account": account, "own": own, "inherited": inherited})
    return render(request, "accounts/management_matrix.html", {
        "rows": rows, "permissions": MANAGEMENT_PERMISSIONS,
    })


# Admin console: online users (ACC-05) -------------------------------------------

@admin_required
def online_list(request):
    idle = options.get("idle_timeout_minutes")
    sessions = OnlineSession.objects.active(idle_minutes=idle).select_related("account__employee_record")
    listing = list_page(
        request, sessions,
        search_fields=("account__username", "account__employee_name", "account__employee_record__name", "ip_address"),
        sort_fields={"account": "account__username", "login": "logged_in_at", "seen": "last_seen_at"},
        default_sort="-login",
    )
    from django.conf import settings

    seated = OnlineSession.objects.seated(idle_minutes=idle).count()
    return render(request, "accounts/online_list.html", {
        "listing": listing, "seats": settings.TRADEPORT_SEATS, "seated": seated, "idle": idle,
    })


@admin_required
@require_POST
def online_force_logout(request, pk):
    online = get_object_or_404(OnlineSession.objects.select_related("account"), pk=pk)
    if online.account_id == request.user.pk:
        messages.error(request, _("Use [Secure logout] to end your own login."))
    else:
        services.online_session_end(online=online, event=SystemLogEntry.Event.FORCED_LOGOUT,
                                    reason=f"by {request.user.username}")
        messages.success(request, _("%(name)s has been logged out.") % {"name": online.account.username})
    return redirect("console:online_list")


# Client binding (SYS-07) ---------------------------------------------------------

@function_required("fn_client_binding")
@require_http_methods(["GET", "POST"])
def binding_list(request):
    form = IpBindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        binding = form.save(commit=False)
        binding.approved_by = request.user
        binding.save()
        messages.success(request, _("IP binding added."))
        return redirect("accounts:binding_list")
    return render(request, "accounts/binding_list.html", {
        "form": form,
        "ip_bindings": IpBinding.objects.select_related("account", "approved_by"),
        "devices": DeviceBinding.objects.select_related("account", "approved_by"),
        "mode": options.BY_KEY["client_binding_mode"].display(options.get("client_binding_mode")),
        "layout": "console/base.html" if request.user.is_administrator else "base.html",
    })


@function_required("fn_client_binding")
@require_POST
def device_decide(request, pk):
    device = get_object_or_404(DeviceBinding, pk=pk)
    decision = request.POST.get("decision")
    if decision == "approve":
        device.status = DeviceBinding.Status.APPROVED
        device.approved_by = request.user
        device.approved_at = timezone.now()
        messages.success(request, _("Device approved."))
    elif decision == "revoke":
        device.status = DeviceBinding.Status.REVOKED
        messages.success(request, _("Device revoked."))
    else:
        messages.error(request, _("Choose Approve or Revoke."))
        return redirect("accounts:binding_list")
    device.save()
    return redirect("accounts:binding_list")


@function_required("fn_client_binding")
@require_POST
def ip_binding_delete(request, pk):
    get_object_or_404(IpBinding, pk=pk).delete()
    messages.success(request, _("IP binding removed."))
    return redirect("accounts:binding_list")


@require_POST
def language_switch(request):
    """Switch the interface language; a logged-in account keeps the choice (PERS-05)."""
    from django.conf import settings
    from django.views.i18n import set_language

    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    return set_language(request)


@login_required
@require_POST
def menu_state(request):
    """GEN-01: the left menu folded or open, kept for the account, so every browser it signs in from opens it so.

    Answers 204 to the page's script; a plain form post (no script) goes back to `next`.
    """
    collapsed = request.POST.get("collapsed") == "1"
    # A layout preference, like last_login not an operation for the log: written without the audit hooks.
    Account.objects.filter(pk=request.user.pk).update(menu_collapsed=collapsed)
    if not request.POST.get("next"):
        return HttpResponse(status=204)
    return redirect(next_url(request, "/"))
