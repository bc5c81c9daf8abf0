"""Care365's one settings module. Every value comes from the environment (docs/settings.md)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import dj_database_url

from config.env import (
    ImproperlyConfiguredError,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Demo mode: synthetic data, the demo logins' shared password and well-known keys. Never in
# production: with DEMO off, the demo keys are refused below.
DEMO = env_bool("CARE365_DEMO", default=False)
DEBUG = env_bool("CARE365_DEBUG", default=False)

DEMO_SECRET_KEY = "care365-demo-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
# Fernet keys (urlsafe base64 of 32 bytes) used only in demo mode.
DEMO_FIELD_KEY = "Y2FyZTM2NS1kZW1vLWZpZWxkLWtleS1OT1QtUFJPRCE="
DEMO_HASH_KEY = "care365-demo-hash-key-not-for-production"
DEMO_AUDIT_KEY = "care365-demo-audit-key-not-for-production-0123456789"

SECRET_KEY = env_secret("CARE365_SECRET_KEY", DEMO_SECRET_KEY if DEMO else None)
# Encryption of ID numbers, phones and addresses at rest. The first key encrypts; all decrypt,
# so a new key can be put first and old rows re-encrypted later.
FIELD_ENCRYPTION_KEYS = [
    key.strip()
    for key in env_secret("CARE365_FIELD_KEYS", DEMO_FIELD_KEY if DEMO else None).split(",")
    if key.strip()
]
# Keyed hash (HMAC-SHA256) for looking up ID numbers without decrypting them.
LOOKUP_HASH_KEY = env_secret("CARE365_HASH_KEY", DEMO_HASH_KEY if DEMO else None)
# MAC keys (HMAC-SHA256) of the audit trail's and the access log's chains and of their daily
# checkpoints (core/chain.py), apart from every other key. The first MACs new entries; the others
# are retired keys that still verify the entries they MACed, so a key is rotated by putting a new
# one first and keeping the old ones after it (docs/operations.md).
AUDIT_KEYS = [
    key.strip()
    for key in env_secret("CARE365_AUDIT_KEYS", DEMO_AUDIT_KEY if DEMO else None).split(",")
    if key.strip()
]

if not DEMO and (
    SECRET_KEY == DEMO_SECRET_KEY
    or DEMO_FIELD_KEY in FIELD_ENCRYPTION_KEYS
    or LOOKUP_HASH_KEY == DEMO_HASH_KEY
    or DEMO_AUDIT_KEY in AUDIT_KEYS
):
    raise ImproperlyConfiguredError(
        "a demo key is set while CARE365_DEMO is off: set real keys (docs/settings.md)"
    )
if not AUDIT_KEYS or any(len(key) < 32 for key in AUDIT_KEYS):
    raise ImproperlyConfiguredError("CARE365_AUDIT_KEYS: each key must be at least 32 characters")
if set(AUDIT_KEYS) & {SECRET_KEY, LOOKUP_HASH_KEY, *FIELD_ENCRYPTION_KEYS}:
    raise ImproperlyConfiguredError(
        "CARE365_AUDIT_KEYS must not reuse the secret, encryption or hash keys: give it its own"
    )
# A production machine says so, and then never starts in demo or debug mode: a CARE365_DEMO=1
# copied from a developer's environment must not open the demo password and demo keys there.
PRODUCTION = env_bool("CARE365_PRODUCTION", default=False)
if PRODUCTION and (DEMO or DEBUG):
    raise ImproperlyConfiguredError(
        "CARE365_PRODUCTION is on together with CARE365_DEMO or CARE365_DEBUG: turn those off"
    )

ALLOWED_HOSTS = env_list(
    "CARE365_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEMO or DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CARE365_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from its own static files: no CDN
    "care365.core",
    "care365.areas",
    "care365.registry",
    "care365.carers",
    "care365.accounts",
    "care365.pairing",
    "care365.protection",
    "care365.care",
    "care365.insights",
    "care365.imports",
    "care365.network",
    "care365.web",
    "care365.seeding",
    "care365.worker",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which reads the form: an oversized body answers 413.
    "care365.web.security.RequestSizeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "care365.web.security.SecurityHeadersMiddleware",
    "care365.web.security.SessionSecurityMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "care365.web.context_processors.care365",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default (one command, no other service); PostgreSQL for scale.
DATA_DIR = Path(env_str("CARE365_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'care365.sqlite3'}")
# The audit chains' daily signed checkpoints, one JSON line each, appended and never rewritten:
# keep it off the database's machine or back it up apart from the database (docs/operations.md).
AUDIT_CHECKPOINT_FILE = Path(
    env_str("CARE365_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl"))
)
_database = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CARE365_DB_CONN_MAX_AGE", 60))
if _database["ENGINE"] == "django.db.backends.sqlite3":
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _database["CONN_MAX_AGE"] = 0
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
    _database.setdefault("TEST", {})["NAME"] = env_str(
        "CARE365_TEST_SQLITE", str(DATA_DIR / "test.sqlite3")
    )
else:
    _database["CONN_HEALTH_CHECKS"] = True
    if env_bool("CARE365_DB_POOL", default=True):
        # Django's connection pool (psycopg_pool): under uvicorn every request would otherwise
        # open a new connection (several ms each). Pooling replaces persistent connections.
        _database["CONN_MAX_AGE"] = 0
        _database["CONN_HEALTH_CHECKS"] = False
        _database["OPTIONS"] = {
            **_database.get("OPTIONS", {}),
            "pool": {"min_size": 1, "max_size": env_int("CARE365_DB_POOL_SIZE", 10), "timeout": 10},
        }
    if env_str("CARE365_TEST_PG", ""):  # a test database of its own, for side-by-side runs
        _database.setdefault("TEST", {})["NAME"] = env_str("CARE365_TEST_PG", "")
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["care365.accounts.backends.Care365Backend"]
# Argon2id for new and changed passwords; the others still verify older hashes, which are
# re-hashed with Argon2 at the user's next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# Demo logins' shared password; the backend accepts it only while DEMO is on.
DEMO_PASSWORD = "demo"  # noqa: S105

# API bearer tokens: lifetime in hours.
API_TOKEN_HOURS = env_int("CARE365_API_TOKEN_HOURS", 12)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "care365" / "locale"]
TIME_ZONE = env_str("CARE365_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Demo and development serve static files straight from the apps (no collectstatic step);
# production serves the collected, hashed and compressed copies in STATIC_ROOT.
WHITENOISE_USE_FINDERS = DEBUG or DEMO
WHITENOISE_AUTOREFRESH = DEBUG or DEMO

# Sign-in and the web (docs/settings.md "Sign-in and HTTPS"). -----------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("CARE365_SECURE_COOKIES", default=not (DEMO or DEBUG))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A session ends SESSION_COOKIE_AGE after sign-in whatever happens, and earlier after
# SESSION_IDLE_SECONDS without a request (care365.web.security.SessionSecurityMiddleware).
SESSION_COOKIE_AGE = env_int("CARE365_SESSION_SECONDS", 8 * 3600)
SESSION_IDLE_SECONDS = env_int("CARE365_SESSION_IDLE_SECONDS", 30 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HTTPS. Behind a TLS-terminating proxy uvicorn takes the scheme and the client's address from
# X-Forwarded-Proto/-For sent by the proxies it trusts (docs/operations.md).
SECURE_SSL_REDIRECT = env_bool("CARE365_SSL_REDIRECT", default=not (DEMO or DEBUG))
SECURE_REDIRECT_EXEMPT: list[str] = []  # no plain-HTTP health endpoint exists
SECURE_HSTS_SECONDS = env_int("CARE365_HSTS_SECONDS", 0 if DEMO or DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CARE365_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("CARE365_HSTS_PRELOAD", default=False)
# Preloading is decided for a whole registrable domain (a county's gov.cn domain), not by one
# application on a host name of it; the check that asks for it is silenced while it is off.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Sign-in throttling: after LOGIN_FAILURES failed sign-ins for one username (or
# LOGIN_FAILURES_PER_IP from one address, which a whole office may share) within
# LOGIN_WINDOW_SECONDS, further attempts are refused for LOGIN_LOCKOUT_SECONDS. Counted in the
# database, so every app process sees the same count.
LOGIN_FAILURES = env_int("CARE365_LOGIN_FAILURES", 5)
LOGIN_FAILURES_PER_IP = env_int("CARE365_LOGIN_FAILURES_PER_IP", 20)
LOGIN_WINDOW_SECONDS = env_int("CARE365_LOGIN_WINDOW_SECONDS", 15 * 60)
LOGIN_LOCKOUT_SECONDS = env_int("CARE365_LOGIN_LOCKOUT_SECONDS", 15 * 60)
# Two-step sign-in (RFC 6238 codes from an authenticator app): optional for everyone, mandatory
# for the roles listed here (e.g. "county_admin,supervisor").
REQUIRE_TOTP_FOR = env_list("CARE365_REQUIRE_TOTP_FOR", [])

# The county this installation serves, and its programme settings.
COUNTY_CODE = env_str("CARE365_COUNTY_CODE", "331127")
PAGE_SIZE = env_int("CARE365_PAGE_SIZE", 25)
# Privacy (docs/privacy.md): how long a break-the-glass access lasts, and how many children one
# user may open within an hour before the county administrators are told.
BREAK_GLASS_MINUTES = env_int("CARE365_BREAK_GLASS_MINUTES", 60)
UNUSUAL_ACCESS_PER_HOUR = env_int("CARE365_UNUSUAL_ACCESS_PER_HOUR", 50)
# Look-ups by a full ID number (a search or a confirm-id) one user may make within an hour.
ID_LOOKUPS_PER_HOUR = env_int("CARE365_ID_LOOKUPS_PER_HOUR", 20)

# Reports (docs/insights.md): the TrueType font with Chinese glyphs the PDF embeds (Debian's
# fonts-wqy-microhei, which scripts/ensure-report-tools installs), and how long a worker holds a
# report it builds before another may take it over.
REPORT_FONT = env_str("CARE365_REPORT_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
REPORT_LEASE_SECONDS = env_int("CARE365_REPORT_LEASE_SECONDS", 600)
# Imports (docs/imports.md): the largest file a page takes, rows per chunk (one transaction
# each), and how long a new user's link to set a password works.
IMPORT_MAX_BYTES = env_int("CARE365_IMPORT_MAX_MB", 50) * 1024 * 1024
IMPORT_CHUNK_ROWS = env_int("CARE365_IMPORT_CHUNK_ROWS", 2000)
# On PostgreSQL, apply the next chunk while the one before it commits (a second connection).
IMPORT_OVERLAP = env_bool("CARE365_IMPORT_OVERLAP", default=True)
PASSWORD_RESET_TIMEOUT = env_int("CARE365_SET_PASSWORD_LINK_HOURS", 72) * 3600

# Instant protection (docs/protection.md): how often a worker sweeps for due escalation steps,
# the address links in alert messages start with, email over SMTP and the SMS gateway.
SWEEP_INTERVAL_SECONDS = env_int("CARE365_SWEEP_INTERVAL_MS", 1000) / 1000
PUBLIC_URL = env_str("CARE365_PUBLIC_URL", "").rstrip("/")
EMAIL_HOST = env_str("CARE365_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CARE365_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("CARE365_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_secret("CARE365_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CARE365_EMAIL_TLS", default=False)
EMAIL_TIMEOUT = env_int("CARE365_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("CARE365_EMAIL_FROM", "care365@localhost")
SMS_PROVIDER = env_str("CARE365_SMS_PROVIDER", "generic")
SMS_GATEWAY_URL = env_str("CARE365_SMS_GATEWAY_URL", "")
SMS_GATEWAY_SECRET = env_secret("CARE365_SMS_GATEWAY_SECRET", "")
SMS_WEBHOOK_SECRET = env_secret("CARE365_SMS_WEBHOOK_SECRET", "")
# Alerts for SMS from unknown numbers per county and hour; beyond, further unknown numbers are
# folded into one "many unknown senders" alert (docs/protection.md).
SMS_UNKNOWN_SENDERS_PER_HOUR = env_int("CARE365_SMS_UNKNOWN_SENDERS_PER_HOUR", 5)
# The public mandatory-report page (docs/network.md): reports accepted per hour from one
# address and for one reporter's phone, and status look-ups per hour from one address. Counted
# in the database, so every app process shares the count.
REPORTS_PER_HOUR_PER_IP = env_int("CARE365_REPORTS_PER_HOUR_PER_IP", 5)
REPORTS_PER_HOUR_PER_PHONE = env_int("CARE365_REPORTS_PER_HOUR_PER_PHONE", 5)
REPORT_LOOKUPS_PER_HOUR_PER_IP = env_int("CARE365_REPORT_LOOKUPS_PER_HOUR_PER_IP", 30)
# Days the village director has to find and register a reported child the registry lacks.
REGISTRATION_TASK_DAYS = env_int("CARE365_REGISTRATION_TASK_DAYS", 7)
# Days an organisation has to act on a referral (转介) before it shows as overdue.
REFERRAL_DAYS = env_int("CARE365_REFERRAL_DAYS", 14)

LOG_LEVEL = env_str("CARE365_LOG_LEVEL", "INFO").upper()
# WhiteNoise (static files when no proxy serves them) hands uvicorn a file iterator that Django
# reads in a thread, and Django warns about it on every file: expected, and harmless.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    module="django.core.handlers.asgi",
)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Secrets in URLs (a family's help link) are blanked in every record before any handler
    # writes it: Django's request and CSRF warnings, uvicorn's access log, ours.
    "filters": {"secrets": {"()": "care365.core.logs.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["secrets"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Request logs carry URLs only; no child's name, ID, phone or address is ever in a URL.
        "django.db.backends": {"level": "INFO"},
        # A refusal (403), a form with errors (400) or a missing page (404) is an answer, not a
        # fault: Django logs each as a warning, with a traceback for a 403, shown only at DEBUG.
        # Server errors (5xx) are always logged.
        "django.request": {"level": "DEBUG" if LOG_LEVEL == "DEBUG" else "ERROR"},
        # Django's own handlers (its console in DEBUG, mail to ADMINS, runserver's request log)
        # would write unfiltered: its records go through ours instead.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": ["console"], "propagate": False},
        # uvicorn's own loggers write through the filtered handler too (their levels stay as
        # uvicorn's --log-level set them).
        "uvicorn": {"handlers": ["console"], "propagate": False},
        "uvicorn.error": {"handlers": [], "propagate": True},
        "uvicorn.access": {"handlers": ["console"], "propagate": False},
    },
}
