"""Fax through a pluggable gateway (SHORT-02, FUP-09, FUP-10).

A gateway is a class named by TRADEPORT_FAX_GATEWAY (a dotted path) with
`send(number: str, subject: str, body: str, attachments: list[tuple[str, bytes]]) -> str`,
returning the gateway's reference, or raising FaxError with a message the user can act on.
Without one, a fax is recorded as a contact only, and the form and the record say so.
"""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class FaxError(Exception):
    pass


class Gateway(Protocol):
    def send(self, number: str, subject: str, body: str, attachments: list[tuple[str, bytes]]) -> str: ...


@cache
def _gateway_class(path: str):
    return import_string(path)


def gateway() -> Gateway | None:
    path = getattr(settings, "TRADEPORT_FAX_GATEWAY", "")
    return _gateway_class(path)() if path else None
