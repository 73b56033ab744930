"""View guards for function modules (GEN-01, PERM-01) and the admin console (PERM-14)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from tradeport.accounts.functions import FUNCTIONS, MANAGEMENT


def function_required(codename: str):
    """Refuse with 403 unless the user holds the function (or management) permission."""
    if codename not in FUNCTIONS and codename not in MANAGEMENT:
        raise ValueError(f"unknown function {codename!r}")

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(f"accounts.{codename}"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_function = codename
        return wrapped

    return decorator


def admin_required(view):
    """Admin-console views: only the built-in administrator."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_administrator:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped
