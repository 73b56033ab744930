"""Settings for the test suite: Tradeport's own, plus a fast hasher and a scoped demo app."""

from tradeport.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "scopetest"]  # noqa: F405
# Argon2 is deliberately slow; tests that check the real hasher override this.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
ROOT_URLCONF = "scopetest.urls"
