"""Checks made on every request of a logged-in account (ACC-04, PERM-09, SYS-07, ACC-01)."""

from django.contrib import messages
from django.http import HttpResponseForbidden
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tradeport.accounts import services
from tradeport.accounts.models import OnlineSession
from tradeport.accounts.network import client_ip
from tradeport.audit.models import SystemLogEntry
from tradeport.system import options

# Writing last_seen at most this often keeps busy pages from writing on every request.
LAST_SEEN_GRANULARITY = timezone.timedelta(seconds=30)
OPEN_PREFIXES = ("/static/", "/healthz", "/login/", "/i18n/")


class AccessGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        if user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        if (response := self._guard(request, user)) is not None:
            return response
        if user.must_change_password and request.path not in (
            reverse("accounts:password_change"), reverse("accounts:logout"),
        ):
            return redirect("accounts:password_change")
        return self.get_response(request)

    def _guard(self, request, user):
        opts = options.get_all()
        online = OnlineSession.objects.filter(account=user).first()
        now = timezone.now()
        if online is None or online.session_key != request.session.session_key:
            return self._end(request, _("Your session has ended: the administrator closed it, or your account logged in elsewhere. Please log in again."))
        if online.last_seen_at < now - timezone.timedelta(minutes=opts["idle_timeout_minutes"]):
            services.online_session_end(online=online, event=SystemLogEntry.Event.TIMEOUT,
                                        reason=f"idle for {opts['idle_timeout_minutes']} minutes")
            return self._end(request, _("You were logged out after being idle. Please log in again."))
        ip = client_ip(request)
        refusal = services.network_refusal(user, ip, opts) or services.device_refusal(
            user, services.device_token_from(request), opts,
        )
        if refusal:
            services.logout_account(request, event=SystemLogEntry.Event.BLOCKED_REQUEST, reason=refusal)
            return HttpResponseForbidden(render_to_string("403.html", {"reason": refusal}, request=request))
        if now - online.last_seen_at > LAST_SEEN_GRANULARITY:
            OnlineSession.objects.filter(pk=online.pk).update(last_seen_at=now, ip_address=ip)
        return None

    def _end(self, request, message: str):
        from django.contrib.auth import logout

        logout(request)
        messages.warning(request, message)
        if request.htmx:
            response = HttpResponseForbidden()
            response["HX-Redirect"] = reverse("accounts:login")
            return response
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
