"""Tradeport settings, all read from TRADEPORT_* environment variables.

Each variable is documented in docs/configuration.md.
"""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from tradeport.conf import (
    data_dir,
    env_bool,
    env_int,
    env_list,
    env_str,
    secret_key,
)

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCE_ROOT = PACKAGE_DIR.parent.parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("TRADEPORT_DEBUG", False)
ALLOWED_HOSTS = env_list("TRADEPORT_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("TRADEPORT_CSRF_TRUSTED_ORIGINS", [])

# Licensed concurrent online users (ACC-03). 0 means unlimited.
TRADEPORT_SEATS = env_int("TRADEPORT_SEATS", 0, minimum=0)
# How many reverse proxies sit in front of the web server; their
# X-Forwarded-For entries are trusted for the client address.
TRADEPORT_PROXY_COUNT = env_int("TRADEPORT_PROXY_COUNT", 0, minimum=0)
# READ-06: dotted path of a translation provider class (see tradeport/mail/translation.py); empty: none.
TRADEPORT_TRANSLATION_PROVIDER = env_str("TRADEPORT_TRANSLATION_PROVIDER", "")
# SHORT-02, FUP-09: dotted path of a fax gateway class (see tradeport/followup/fax.py); empty: record only.
TRADEPORT_FAX_GATEWAY = env_str("TRADEPORT_FAX_GATEWAY", "")
# Which mailboxes may reach servers on private or loopback addresses: "system", "all" or "none".
TRADEPORT_MAIL_PRIVATE_HOSTS = env_str("TRADEPORT_MAIL_PRIVATE_HOSTS", "system")
if TRADEPORT_MAIL_PRIVATE_HOSTS not in ("system", "all", "none"):
    raise ImproperlyConfigured("TRADEPORT_MAIL_PRIVATE_HOSTS must be system, all or none")
TRADEPORT_ASSETS_DIR = Path(env_str("TRADEPORT_ASSETS_DIR", str(SOURCE_ROOT / "node_modules")))

INSTALLED_APPS = [
    "tradeport.accounts",
    "tradeport.audit",
    "tradeport.system",
    "tradeport.org",
    "tradeport.codes",
    "tradeport.customers",
    "tradeport.mail",
    "tradeport.followup",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tradeport.system.security.SecureCookiesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tradeport.audit.middleware.AuditContextMiddleware",
    "tradeport.accounts.middleware.AccessGuardMiddleware",
]

ROOT_URLCONF = "tradeport.urls"
CSRF_FAILURE_VIEW = "tradeport.system.views.csrf_failure"
WSGI_APPLICATION = "tradeport.wsgi.application"
AUTH_USER_MODEL = "accounts.Account"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tradeport.accounts.context_processors.navigation",
            ],
        },
    },
]

_database_url = env_str("TRADEPORT_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("TRADEPORT_DATABASE_URL must be a postgres:// URL")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Form drop-downs iterate querysets; a server-side cursor costs three round trips
    # each, and breaks behind a transaction-pooling proxy.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": Path(env_str("TRADEPORT_SQLITE_PATH", str(DATA_DIR / "tradeport.sqlite3"))),
            "OPTIONS": {
                # IMMEDIATE: writers queue on the busy timeout instead of failing
                # with "database is locked" when a read turns into a write.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
            # A connection per request (and its schema parse and pragmas) left the web server on one core:
            # eight clients got half the throughput of one (docs/benchmarks.md, concurrent clients).
            "CONN_MAX_AGE": 60,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": env_str("TRADEPORT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("TRADEPORT_PASSWORD_MIN_LENGTH", 8, minimum=6)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tradeport.accounts.validators.MixedCharactersValidator"},
]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Cookies set over HTTPS are Secure anyway (system.security); this forces it for plain HTTP too.
SESSION_COOKIE_SECURE = env_bool("TRADEPORT_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind the declared proxies, their X-Forwarded-Proto tells whether the client used HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRADEPORT_PROXY_COUNT else None
# HSTS is sent on HTTPS answers only; 0 turns it off (e.g. while a certificate is being replaced).
SECURE_HSTS_SECONDS = env_int("TRADEPORT_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
SESSION_COOKIE_AGE = 60 * 60 * 12
X_FRAME_OPTIONS = "DENY"
# Every page: scripts, styles, fonts and frames from Tradeport itself only, no inline script, no plugins.
# Inline style attributes stay allowed: they cannot run code, and progress bars and widths are data.
# The mail body frame sends its own, stricter policy (mail/reading.py), which this one does not replace.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TRADEPORT_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/bootstrap", TRADEPORT_ASSETS_DIR / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", TRADEPORT_ASSETS_DIR / "bootstrap-icons" / "font"),
    ("vendor/echarts", TRADEPORT_ASSETS_DIR / "echarts" / "dist"),
]
# Serve straight from the finders: no collectstatic step to forget on upgrade.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = DATA_DIR / "files"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MESSAGE_TAGS = {40: "danger"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("TRADEPORT_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

