"""Translation of mail bodies (READ-06) through a pluggable provider.

A provider is a class named by TRADEPORT_TRANSLATION_PROVIDER (a dotted path)
with one method, `translate(text: str, target_language: str) -> str`. It is
called in the request, so a provider should answer within a few seconds and
raise TranslationError with a message the reader can act on when it cannot.
Tradeport ships none: which service a company may send its customers' mail to
is the company's decision.
"""

from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

MAX_CHARACTERS = 20_000


class TranslationError(Exception):
    pass


class Provider(Protocol):
    def translate(self, text: str, target_language: str) -> str: ...


@cache
def _provider_class(path: str):
    return import_string(path)


def provider() -> Provider | None:
    path = getattr(settings, "TRADEPORT_TRANSLATION_PROVIDER", "")
    return _provider_class(path)() if path else None


def translate(text: str, target_language: str) -> str:
    chosen = provider()
    if chosen is None:
        raise TranslationError("no provider")
    return chosen.translate(text[:MAX_CHARACTERS], target_language)
