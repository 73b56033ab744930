from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

import tradeport
from tradeport.accounts.models import Account, OnlineSession
from tradeport.accounts.permissions import admin_required
from tradeport.system import options
from tradeport.system.models import Heartbeat, SystemOption


@require_GET
@never_cache
def healthz(request):
    """Liveness for load balancers and operators."""
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = True
    except Exception:
        database = False
    beats = {}
    if database:
        beats = {b.name: b.last_seen_at.isoformat() for b in Heartbeat.objects.all()}
    return JsonResponse({
        "version": tradeport.__version__,
        "database": database,
        "worker_last_seen": beats.get("worker"),
        "scheduler_last_seen": beats.get("scheduler"),
    }, status=200 if database else 503)


@login_required
def workbench(request):
    """GEN-02: the landing page, with the user's queues and their counters."""
    if request.user.is_administrator:
        return redirect("console:home")
    from tradeport.mail import queues

    tiles = []
    if request.user.has_perm("accounts.fn_followup_management"):
        counts = queues.counters(request.user, request.user.employee)
        tiles = [(queues.BY_KEY[key], counts[key]) for key in queues.COUNTED if key in counts]
    from tradeport.mail.models import MassMailing, OutgoingMail, ReviewerAssignment

    # SEND-11, MASS-07: reviewers see what waits for them.
    awaiting = OutgoingMail.objects.filter(reviewer=request.user, state=OutgoingMail.State.AWAITING).count() + \
        MassMailing.objects.filter(reviewer=request.user, state=MassMailing.State.AWAITING).count()
    if not awaiting and not ReviewerAssignment.objects.filter(reviewer=request.user).exists():
        awaiting = None  # not a reviewer: no tile
    return render(request, "system/workbench.html", {"tiles": tiles, "awaiting": awaiting})


@admin_required
def console_home(request):
    idle = options.get("idle_timeout_minutes")
    return render(request, "console/home.html", {
        "accounts": Account.objects.company().filter(is_active=True).count(),
        "online": OnlineSession.objects.active(idle_minutes=idle).count(),
        "seated": OnlineSession.objects.seated(idle_minutes=idle).count(),
        "seats": settings.TRADEPORT_SEATS,
    })


@admin_required
def option_list(request):
    values = options.get_all()
    rows = [{"option": o, "value": o.display(values[o.key]), "is_default": values[o.key] == o.default}
            for o in options.OPTIONS]
    return render(request, "system/option_list.html", {"rows": rows, "seats": settings.TRADEPORT_SEATS})


@admin_required
@require_http_methods(["GET", "POST"])
def option_update(request, key):
    option = options.BY_KEY.get(key)
    if option is None:
        raise Http404
    current = options.get(key)
    error = ""
    text = option.as_text(current)
    if request.method == "POST":
        text = request.POST.get("value", "")
        try:
            value = option.clean(text)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            row = SystemOption.objects.filter(key=key).first() or SystemOption(key=key)
            row.value = value
            row.updated_by = request.user
            row.save()
            messages.success(request, _("%(option)s saved.") % {"option": option.label})
            return redirect("console:option_list")
    return render(request, "system/option_form.html", {
        "option": option, "text": text, "error": error, "default": option.display(option.default),
    }, status=400 if error else 200)


def csrf_failure(request, reason=""):
    """A readable page instead of Django's developer-facing CSRF error."""
    return render(request, "403_csrf.html", status=403)
