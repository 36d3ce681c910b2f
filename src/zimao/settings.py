"""Django settings for zimao, read from the environment.

Everything a deployment changes comes from an environment variable; the defaults make a
developer's machine work with nothing set (SQLite in WAL mode under ``var/``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("ZIMAO_DATA_DIR", Path.cwd() / "var")).resolve()
# Everything zimao writes (the SQLite database and its WAL, uploads, backups, keys) is for its
# own user alone: owner-only from creation, not chmod-ed after a window of exposure.
os.umask(0o077)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _local_secret(name: str, env: str) -> str:
    """A secret from the environment, or (for a developer's machine) one generated once into var/.

    Secrets are never in the repository; production sets the environment variable.
    """
    value = os.environ.get(env)
    if value:
        return value
    path = DATA_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = _env_bool("ZIMAO_DEBUG", False)
SECRET_KEY = _local_secret("secret_key", "ZIMAO_SECRET_KEY")
# Key for personal data at rest (identity numbers, phone numbers): see zimao.core.protected.
FIELD_ENCRYPTION_KEY = _local_secret("field_key", "ZIMAO_FIELD_KEY")
# Retired field keys (after a rotation), comma-separated: they still decrypt, never encrypt.
FIELD_ENCRYPTION_OLD_KEYS = [k.strip() for k in os.environ.get("ZIMAO_FIELD_KEY_OLD", "").split(",") if k.strip()]
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ZIMAO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("ZIMAO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# This node's identity in the alliance of zones (云端自贸审批互助联盟) and the zone it serves.
ZONE_CODE = os.environ.get("ZIMAO_ZONE_CODE", "LY")
ZONE_DIVISION = os.environ.get("ZIMAO_ZONE_DIVISION", "410300")
# Links made outside a request (e.g. in a notification the worker sends): the configured public
# address, else the address `zimao serve` listens on (it tells its children), else the default.
SITE_URL = os.environ.get("ZIMAO_SITE_URL") or os.environ.get("ZIMAO_SERVED_AT") or "http://127.0.0.1:8000"
# The configured public address, only when the deployment sets one: printed QR codes and verify
# links otherwise follow the address each request came to (zimao.core.sitebase).
PUBLIC_URL = os.environ.get("ZIMAO_SITE_URL", "")
# The packaged zone profile (catalog/data/zones/KEY.json) used until an administrator stores one
# (admin page or `zimao zone import FILE`); `zimao demo` stores it.
ZIMAO_ZONE_PROFILE = os.environ.get("ZIMAO_ZONE_PROFILE", "henan-ftz-410300")
# Reference data (service items, process versions, departments, the zone profile) kept in each
# process this many seconds: another process's change is seen within it; 0 turns it off.
# zimao.core.refcache (a signing key's status is always read afresh).
REFERENCE_CACHE_SECONDS = float(os.environ.get("ZIMAO_REFERENCE_CACHE_SECONDS", "5"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs from local static files: no CDN, no inline script (CSP)
    "django_tasks",
    "django_tasks_db",
    "zimao.core",
    "zimao.catalog",
    "zimao.cases",
    "zimao.registry",
    "zimao.licences",
    "zimao.permits",
    "zimao.trade",
    "zimao.bonded",
    "zimao.monitor",
    "zimao.notify",
    "zimao.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "zimao.core.middleware.SecurityHeadersMiddleware",
    "zimao.core.middleware.RejectNulMiddleware",
    "zimao.core.sitebase.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "zimao.urls"
# The benchmark's bare write endpoint (POST /bench/write, zimao.core.bench): routed only when on;
# bench/ turns it on for the server it starts. Never on in a deployment.
BENCH_ENDPOINTS = _env_bool("ZIMAO_BENCH_ENDPOINTS", False)
WSGI_APPLICATION = "zimao.wsgi.application"

TEMPLATES = [
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
                "zimao.web.context.zone",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'zimao.sqlite3'}"
# Persistent connections (a new one per request cost more than a cached verification answer):
# kept for CONN_MAX_AGE seconds, checked before reuse (CONN_HEALTH_CHECKS) so a connection that a
# database restart or a failover closed is replaced instead of failing the request.
CONN_MAX_AGE = int(os.environ.get("ZIMAO_CONN_MAX_AGE", "60"))
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's SQLite back end, with writers queued on a lock that wakes the next one at once
    # instead of SQLite's sleeping busy handler (zimao.core.db.sqlite3).
    DATABASES["default"]["ENGINE"] = "zimao.core.db.sqlite3"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so
        # two writers queue instead of failing half-way ("database is locked").
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("ZIMAO_TEST_SQLITE") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Log-in throttling: 5 failures per username+address in 15 minutes → refused (zimao.core.throttle).
AUTHENTICATION_BACKENDS = ["zimao.core.throttle.ThrottledModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from the finders; an empty root keeps it quiet
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    # Uploads sealed with the field key, files 0600 in folders 0700 (zimao.core.storage).
    "default": {"BACKEND": "zimao.core.storage.SealedFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Materials (申请材料): accepted types are checked by content, not by name.
UPLOAD_MAX_BYTES = int(os.environ.get("ZIMAO_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# Uploaded but not (yet) attached to a case: at most this many bytes per user, kept this long.
UNATTACHED_UPLOAD_QUOTA_BYTES = int(os.environ.get("ZIMAO_UNATTACHED_QUOTA_BYTES", 30 * 1024 * 1024))
UNATTACHED_UPLOAD_RETENTION_HOURS = int(os.environ.get("ZIMAO_UNATTACHED_RETENTION_HOURS", 72))
# Counter intakes (前台综合受理) never confirmed are deleted, with their scans, after this many hours.
INTAKE_RETENTION_HOURS = int(os.environ.get("ZIMAO_INTAKE_RETENTION_HOURS", 24))
# A saved draft (暂存) not saved again for this many days is deleted by ``zimao sweep``, with the
# uploads it held.
DRAFT_RETENTION_DAYS = int(os.environ.get("ZIMAO_DRAFT_RETENTION_DAYS", 30))
# Longest request target (path + query) Django answers; longer gets a bilingual 414. gunicorn's
# own limit (``zimao serve``: --limit-request-line) is above it; beyond that gunicorn answers 414.
MAX_REQUEST_TARGET = 4096
GUNICORN_LIMIT_REQUEST_LINE = 8190

TASKS = {
    "default": {
        "BACKEND": os.environ.get("ZIMAO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Run a case's engine in the web process right after its submitting transaction commits, taking
# the queued task over (the worker still runs it if this process dies first). See cases.tasks.
ADVANCE_INLINE = _env_bool("ZIMAO_ADVANCE_INLINE", True)
# PostgreSQL: take each counter (case number, USCC, licence serial) in its own short transaction
# on a connection of its own, so no transaction holds a zone-wide counter row until it commits; a
# value whose transaction then rolls back is a gap, never a duplicate. See core.sequences.
COUNTERS_OWN_CONNECTION = _env_bool("ZIMAO_COUNTERS_OWN_CONNECTION", True)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if _env_bool("ZIMAO_HTTPS", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZIMAO_LOG_LEVEL", "WARNING")},
}

# Text messages (短信): the gateway behind zimao.core.sms.send_sms. The sandbox keeps messages in
# the database instead of sending them; a zone names its operator's gateway class here.
SMS_BACKEND = os.environ.get("ZIMAO_SMS_BACKEND", "zimao.core.sms.SandboxGateway")

# E-mail (zimao.notify): Django's e-mail backend. With ZIMAO_EMAIL_HOST set, messages go to that
# SMTP server; without it they are written to the console (development). The tests use Django's
# in-memory backend (and a real SMTP server in the notification tests).
EMAIL_HOST = os.environ.get("ZIMAO_EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "ZIMAO_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("ZIMAO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ZIMAO_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ZIMAO_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("ZIMAO_EMAIL_TLS", False)
EMAIL_USE_SSL = _env_bool("ZIMAO_EMAIL_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("ZIMAO_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("ZIMAO_EMAIL_FROM", "zimao <noreply@localhost>")
