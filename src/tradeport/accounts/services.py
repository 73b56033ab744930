"""Writes for accounts: login and seats, logout, accounts, permission grants."""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tradeport.accounts.functions import FUNCTIONS, MANAGEMENT, template_codenames
from tradeport.accounts.models import Account, DeviceBinding, OnlineSession, SeatGuard
from tradeport.accounts.network import client_ip, in_networks
from tradeport.audit.models import OperationLogEntry, SystemLogEntry
from tradeport.audit.services import record_operation, record_system_event
from tradeport.system import options

FAILURE_WINDOW = timezone.timedelta(minutes=15)
DEVICE_COOKIE = "tp_device"
DEVICE_COOKIE_SALT = "tradeport.device"
KNOWN_DEVICE_COOKIE = "tp_known"
KNOWN_DEVICE_SALT = "tradeport.known-device"
KNOWN_DEVICE_AGE = 90 * 24 * 3600


class LoginRefused(Exception):
    """A login that must not go through; `message` is shown to the user."""

    def __init__(self, message: str, *, event: str = SystemLogEntry.Event.REFUSED,
                 reason: str = "", device_token: str | None = None):
        super().__init__(message)
        self.message = message
        self.event = event
        self.reason = reason or message
        self.device_token = device_token


@dataclass
class LoginResult:
    account: Account
    device_token: str | None = None


def _user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:300]


ACCOUNT_DELAY_START = timezone.timedelta(minutes=1)
ACCOUNT_DELAY_CAP = timezone.timedelta(minutes=30)
KNOWN_DEVICE = " (known device)"  # marks failures made from a browser this account logged in from before


def _wait_text(wait: timezone.timedelta) -> str:
    minutes = max(1, -(-int(wait.total_seconds()) // 60))  # rounded up: never promise too early
    return ngettext("%(n)s minute", "%(n)s minutes", minutes) % {"n": minutes}


def _account_wait(username: str, *, limit: int, known_device: bool) -> timezone.timedelta | None:
    """ACC-02: how long this account must wait before the next try, or None.

    From the limit on, each further failure doubles the pause (1, 2, 4 … 30 minutes), counted since the
    account's last successful login. Failures made from a known device count apart from the others, so
    that whoever guesses passwords elsewhere cannot keep the real user out of their own browser."""
    now = timezone.now()
    logged = SystemLogEntry.objects.filter(username=username)
    last_login = logged.filter(event=SystemLogEntry.Event.LOGIN).order_by("-created_at").values_list(
        "created_at", flat=True).first()
    since = max(filter(None, (last_login, now - timezone.timedelta(days=1))))
    failures = logged.filter(event=SystemLogEntry.Event.FAILED, created_at__gt=since)
    failures = failures.filter(reason__endswith=KNOWN_DEVICE) if known_device else failures.exclude(
        reason__endswith=KNOWN_DEVICE)
    stamps = list(failures.order_by("-created_at").values_list("created_at", flat=True)[:64])
    if len(stamps) < limit:
        return None
    pause = min(ACCOUNT_DELAY_START * 2 ** (len(stamps) - limit), ACCOUNT_DELAY_CAP)
    wait = stamps[0] + pause - now
    return wait if wait > timezone.timedelta(0) else None


def _check_throttle(*, username: str, ip: str | None, limit: int, known_device: bool) -> None:
    """ACC-02: a growing pause per account, and a 15-minute lock of an address that failed 4 x limit
    times. A browser this account logged in from before passes the address lock and the others' pause."""
    if wait := _account_wait(username, limit=limit, known_device=known_device):
        raise LoginRefused(
            _("Too many failed logins for this account. Try again in %(wait)s, or from a browser you "
              "have logged in from before.") % {"wait": _wait_text(wait)},
            reason="throttled: account",
        )
    if known_device or not ip:
        return
    failures = SystemLogEntry.objects.filter(event=SystemLogEntry.Event.FAILED, ip_address=ip,
                                             created_at__gte=timezone.now() - FAILURE_WINDOW)
    if failures.count() >= limit * 4:
        raise LoginRefused(
            _("Too many failed logins from your address. Wait 15 minutes and try again."),
            reason="throttled: address",
        )


def known_device_names(request) -> list[str]:
    """The accounts that logged in from this browser before (a signed cookie, ACC-02)."""
    value = request.get_signed_cookie(KNOWN_DEVICE_COOKIE, default="", salt=KNOWN_DEVICE_SALT,
                                      max_age=KNOWN_DEVICE_AGE)
    return [name for name in value.split("\n") if name]


def remember_device(response, request, username: str) -> None:
    """After a successful login: this browser is known for the account (the latest five accounts)."""
    names = [username, *(n for n in known_device_names(request) if n != username)][:5]
    response.set_signed_cookie(KNOWN_DEVICE_COOKIE, "\n".join(names), salt=KNOWN_DEVICE_SALT,
                               max_age=KNOWN_DEVICE_AGE, httponly=True, samesite="Lax")


def network_refusal(account: Account, ip: str | None, opts: dict) -> str | None:
    """Why this account may not work from this address (PERM-09, SYS-07 IP binding), or None."""
    if account.is_administrator:
        return None
    if not account.has_perm("accounts.external_access") and not in_networks(ip, opts["trusted_networks"]):
        return _("Your account may be used only from the company network. Ask the administrator for external network access.")
    if opts["client_binding_mode"] in ("ip", "both"):
        bindings = list(account.ip_bindings.values_list("network", flat=True))
        if bindings and not in_networks(ip, bindings):
            return _("Your account is bound to other IP addresses. Ask the administrator to add this address.")
    return None


def device_token_from(request) -> str | None:
    return request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_COOKIE_SALT)


def device_refusal(account: Account, token: str | None, opts: dict) -> str | None:
    """Why this browser may not be used by this account (SYS-07 device binding), or None."""
    if account.is_administrator or opts["client_binding_mode"] not in ("device", "both"):
        return None
    if token and account.devices.filter(
        token_hash=DeviceBinding.hash_token(token), status=DeviceBinding.Status.APPROVED,
    ).exists():
        return None
    return _("This browser is not an approved device for your account. It has been registered; ask the administrator to approve it, then log in again.")


def _register_device(account: Account, token: str | None, request) -> str:
    token = token or secrets.token_urlsafe(32)
    DeviceBinding.objects.get_or_create(
        account=account, token_hash=DeviceBinding.hash_token(token),
        defaults={"name": _user_agent(request)[:200] or "?", "requested_ip": client_ip(request)},
    )
    return token


def login_attempt(request, *, username: str, password: str) -> LoginResult:
    """Authenticate and log in, applying every check of ACC-02 in order.

    Raises LoginRefused with a message for the user; every outcome is logged.
    """
    ip = client_ip(request)
    agent = _user_agent(request)
    opts = options.get_all()
    username = username.strip()
    known_device = username in known_device_names(request)
    try:
        _check_throttle(username=username, ip=ip, limit=opts["login_failure_limit"], known_device=known_device)
        account = authenticate(request, username=username, password=password)
        if account is None:
            # ModelBackend answers None for disabled accounts too; say so when the password is right.
            disabled = Account.objects.filter(username=username, is_active=False).first()
            if disabled is not None and disabled.check_password(password):
                raise LoginRefused(_("This account is disabled. Ask the administrator."), reason="disabled")
            raise LoginRefused(_("Wrong username or password."), event=SystemLogEntry.Event.FAILED,
                               reason="wrong username or password" + (KNOWN_DEVICE if known_device else ""))
        employee = account.employee
        if employee is not None and employee.has_left:
            raise LoginRefused(_("The employee linked to this account has left the company."),
                               reason="employee left")
        token = device_token_from(request)
        if refusal := device_refusal(account, token, opts):
            token = _register_device(account, token, request)
            raise LoginRefused(refusal, reason="device not approved", device_token=token)
        if refusal := network_refusal(account, ip, opts):
            raise LoginRefused(refusal, reason=f"network: {ip}")
        _take_seat_and_login(request, account, opts)
    except LoginRefused as refused:
        known = Account.objects.filter(username=username).first()
        record_system_event(event=refused.event, username=username or "?", account=known,
                            reason=refused.reason, ip_address=ip, user_agent=agent)
        raise
    record_system_event(event=SystemLogEntry.Event.LOGIN, username=account.username,
                        account=account, ip_address=ip, user_agent=agent)
    return LoginResult(account=account, device_token=token)


@transaction.atomic
def _take_seat_and_login(request, account: Account, opts: dict) -> None:
    """Claim a seat (ACC-04) and log in, serialised on the SeatGuard row."""
    SeatGuard.objects.get_or_create(pk=1)
    SeatGuard.objects.select_for_update().get(pk=1)
    seats = settings.TRADEPORT_SEATS
    takes_seat = not account.is_administrator
    idle = opts["idle_timeout_minutes"]
    if takes_seat and seats:
        others = OnlineSession.objects.seated(idle_minutes=idle).exclude(account=account).count()
        if others >= seats:
            raise LoginRefused(
                _("The maximum number of concurrent online users (%(n)s) has been reached.") % {"n": seats},
                reason=f"seats full ({seats})",
            )
    previous = OnlineSession.objects.filter(account=account).first()
    login(request, account)
    # The earlier browser's session is left alone: its next request no longer
    # matches OnlineSession, so the guard logs it out and tells the user why.
    if previous is not None and previous.session_key != request.session.session_key:
        record_system_event(event=SystemLogEntry.Event.REPLACED, username=account.username,
                            account=account, ip_address=previous.ip_address,
                            user_agent=previous.user_agent)
    now = timezone.now()
    OnlineSession.objects.update_or_create(
        account=account,
        defaults={
            "session_key": request.session.session_key, "takes_seat": takes_seat,
            "ip_address": client_ip(request), "user_agent": _user_agent(request),
            "logged_in_at": now, "last_seen_at": now,
        },
    )


def logout_account(request, *, event: str = SystemLogEntry.Event.LOGOUT, reason: str = "") -> None:
    """End the login, free the seat at once and log it (ACC-13)."""
    user = request.user
    if user.is_authenticated:
        OnlineSession.objects.filter(account=user, session_key=request.session.session_key).delete()
        record_system_event(event=event, username=user.username, account=user, reason=reason,
                            ip_address=client_ip(request), user_agent=_user_agent(request))
    logout(request)


@transaction.atomic
def online_session_end(*, online: OnlineSession, event: str, reason: str = "") -> None:
    """End someone's login from outside their browser: forced logout or idle timeout.

    Their seat is free at once; their browser is logged out, with the reason, on its next request.
    """
    OnlineSession.objects.filter(pk=online.pk).delete()
    record_system_event(event=event, username=online.account.username, account=online.account,
                        reason=reason, ip_address=online.ip_address, user_agent=online.user_agent)


def expire_idle_logins() -> int:
    """Free the seats of logins idle past the timeout; returns how many ended."""
    idle = options.get("idle_timeout_minutes")
    cutoff = timezone.now() - timezone.timedelta(minutes=idle)
    ended = 0
    for online in OnlineSession.objects.filter(last_seen_at__lt=cutoff).select_related("account"):
        online_session_end(online=online, event=SystemLogEntry.Event.TIMEOUT,
                           reason=f"idle for {idle} minutes")
        ended += 1
    return ended


# Accounts ------------------------------------------------------------------

def _log_membership(account: Account, action: str, what: str, codes: list[str]) -> None:
    if codes:
        record_operation(module="accounts", action=action, instance=account,
                         changes={what: sorted(codes)})


@transaction.atomic
def account_set_template(*, account: Account, template: str | None) -> None:
    """Put the account in one role template group, or none."""
    before = set(account.groups.values_list("name", flat=True))
    after = {template} if template else set()
    account.groups.set([template_reset(name) for name in after])
    _log_membership(account, OperationLogEntry.Action.GRANT, "template", list(after - before))
    _log_membership(account, OperationLogEntry.Action.REVOKE, "template", list(before - after))


@transaction.atomic
def account_set_permissions(*, account: Account, codenames: set[str], kinds: str) -> None:
    """Replace the account's own grants of one kind ("functions" or "management")."""
    catalogue = FUNCTIONS if kinds == "functions" else MANAGEMENT
    unknown = codenames - set(catalogue)
    if unknown:
        raise ValueError(f"unknown permissions: {sorted(unknown)}")
    current = set(account.user_permissions.filter(
        content_type__app_label="accounts", codename__in=list(catalogue),
    ).values_list("codename", flat=True))
    added, removed = codenames - current, current - codenames
    if added:
        account.user_permissions.add(*_permissions(added))
    if removed:
        account.user_permissions.remove(*_permissions(removed))
    _log_membership(account, OperationLogEntry.Action.GRANT, kinds, list(added))
    _log_membership(account, OperationLogEntry.Action.REVOKE, kinds, list(removed))


@transaction.atomic
def template_set_permissions(*, template: str, codenames: set[str]) -> None:
    """Edit what a role template grants (PERM-02 / PERM-07 on a group)."""
    group = Group.objects.get(name=template)
    current = set(group.permissions.values_list("codename", flat=True))
    added, removed = codenames - current, current - codenames
    group.permissions.add(*_permissions(added))
    group.permissions.remove(*_permissions(removed))
    for action, codes in ((OperationLogEntry.Action.GRANT, added), (OperationLogEntry.Action.REVOKE, removed)):
        if codes:
            record_operation(module="accounts", action=action, object_type="auth.group",
                             object_id=str(group.pk), object_repr=f"template {template}",
                             changes={"permissions": sorted(codes)})


def _permissions(codenames) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="accounts", codename__in=list(codenames)))


def template_reset(template: str) -> Group:
    """Create the role template group with its documented permissions if missing."""
    group, created = Group.objects.get_or_create(name=template)
    if created:
        group.permissions.set(_permissions(template_codenames(template)))
    return group


@transaction.atomic
def account_delete(*, account: Account) -> str:
    """Delete an account, or disable it when it has history (ACC-11). Returns "deleted" or "disabled"."""
    if account.is_administrator:
        raise ValueError("the administrator account cannot be deleted")
    has_history = (
        account.last_login is not None
        or SystemLogEntry.objects.filter(account=account).exists()
        or OperationLogEntry.objects.filter(account=account).exists()
    )
    OnlineSession.objects.filter(account=account).delete()
    if has_history:
        account.is_active = False
        account.save()
        return "disabled"
    account.delete()
    return "deleted"
