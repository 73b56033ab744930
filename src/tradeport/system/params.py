"""Ids and return addresses from query strings and form fields, checked before they are used."""

from django.utils.http import url_has_allowed_host_and_scheme

ID_LIMIT = 2**63 - 1  # the largest primary key SQLite and PostgreSQL's bigint hold


def as_id(value) -> int | None:
    """A positive id, or None for anything else: letters, "²", "", or a number no key can have."""
    text = str(value or "")
    if not (text.isascii() and text.isdecimal()):
        return None
    number = int(text)
    return number if 0 < number <= ID_LIMIT else None


def as_ids(values) -> list[int]:
    return [number for number in map(as_id, values) if number is not None]


def next_url(request, default: str) -> str:
    """The `next` a form posted (or a link carried), when it stays on this site; else `default`.
    Followed blindly, `next` would send a user who clicked a crafted form to another host."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default
