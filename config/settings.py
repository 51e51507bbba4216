"""Switchboard settings: one file, read from the environment, safe development defaults.

Production checklist: docs/operations.md. Every variable is listed there.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SWITCHBOARD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when SWITCHBOARD_ENV=production")
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


# "production" turns on every transport-security setting; anything else is development.
PRODUCTION = os.environ.get("SWITCHBOARD_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = _secret_key()

SWITCHBOARD_BASE_URL = os.environ.get("SWITCHBOARD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SWITCHBOARD_BASE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "switchboard.core",
    "switchboard.accounts",
    "switchboard.tickets",
    "switchboard.sla",
    "switchboard.oncall",
    "switchboard.notify",
    "switchboard.csat",
    "switchboard.calls",
    "switchboard.crm",
    "ninja",
    "switchboard.api",
    "switchboard.web",
    # Sign-in throttling (per account and per client address): see "Sign-in" below.
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Prepared statements for the API's requests (SWITCHBOARD_PG_PREPARED=api).
    "switchboard.core.prepared.Middleware",
    # /api/v2/: credentials, per-client rate limits and their headers (before sessions/CSRF).
    "switchboard.api.zendesk.middleware.ZendeskApiMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a locked-out sign-in into the lockout page (last, so it sees the view's outcome).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL is the production database.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'switchboard.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "SWITCHBOARD_PG_JIT", default=False
):
    # PostgreSQL's JIT compiles any query its planner thinks is costly (the view counts, the
    # dashboard) and on these short OLTP queries compiling costs more than it saves: the agent
    # home's count query went from 48 ms to 25 ms with it off (bench/RESULTS.md, Web UI).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
# Prepared statements on PostgreSQL (switchboard/core/prepared.py): "api" (default) prepares the
# API's and the worker's repeated statements (half of PostgreSQL's CPU per ticket creation) and
# keeps a plan per execution for the pages, whose view counts a generic plan made slower; "all";
# "off". 1/0 are read as all/off. Behind a pooler in transaction mode, see docs/operations.md.
_prepared = os.environ.get("SWITCHBOARD_PG_PREPARED", "api").strip().lower()
SWITCHBOARD_PG_PREPARED = {"1": "all", "true": "all", "0": "off", "false": "off"}.get(
    _prepared, _prepared
)
if SWITCHBOARD_PG_PREPARED not in ("api", "all", "off"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SWITCHBOARD_PG_PREPARED must be api, all or off.")
SWITCHBOARD_PG_PREPARED_PATHS = ["/api/"]
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and SWITCHBOARD_PG_PREPARED != "off"
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=5 if SWITCHBOARD_PG_PREPARED == "all" else None,
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server read while the worker writes; IMMEDIATE takes the write lock at
        # the start of each transaction so two writers queue instead of failing mid-transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests that start the app or a worker as a separate process need a file, not :memory:;
    # one per test run, so concurrent runs on one machine don't share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Background work ------------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "events", "notify", "oncall", "calls"],
    }
}
SWITCHBOARD_SWEEP_INTERVAL = float(os.environ.get("SWITCHBOARD_SWEEP_INTERVAL", "5"))
# Queues whose jobs run before the others and between a sweep's batches (ticket events).
SWITCHBOARD_WORKER_URGENT_QUEUES = ["events"]
# Added to the worker process's niceness (0-19) when it starts, to favour the web processes on a
# shared host under a CPU burst. Off by default: on the 2-CPU API bench, 10 changed POST
# throughput within noise and doubled the time the events took to catch up (bench/RESULTS.md).
SWITCHBOARD_WORKER_NICE = int(os.environ.get("SWITCHBOARD_WORKER_NICE", "0"))
SWITCHBOARD_WORKER_HEARTBEAT = float(os.environ.get("SWITCHBOARD_WORKER_HEARTBEAT", "10"))
# A worker silent for this long is dead: its running jobs go back to the queue.
SWITCHBOARD_WORKER_DEAD_AFTER = float(os.environ.get("SWITCHBOARD_WORKER_DEAD_AFTER", "60"))
SWITCHBOARD_JOB_MAX_ATTEMPTS = int(os.environ.get("SWITCHBOARD_JOB_MAX_ATTEMPTS", "8"))
# Each worker prunes old finished jobs and stale rate-limit rows this often (seconds).
SWITCHBOARD_HOUSEKEEPING_EVERY = float(os.environ.get("SWITCHBOARD_HOUSEKEEPING_EVERY", "3600"))
SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS = float(
    os.environ.get("SWITCHBOARD_KEEP_SUCCEEDED_JOBS_DAYS", "7")
)
SWITCHBOARD_KEEP_FAILED_JOBS_DAYS = float(os.environ.get("SWITCHBOARD_KEEP_FAILED_JOBS_DAYS", "30"))
# Run the worker half of each ticket event (triggers, time rules, search, CSAT, calls, CRM, on-call
# paging; tickets/events.py) at once inside the request instead of in the worker. Off in
# production; on in the tests (conftest.py), where a test reads the effects right after an action.
SWITCHBOARD_TICKET_EVENTS_INLINE = env_bool("SWITCHBOARD_TICKET_EVENTS_INLINE", default=False)
# Extra modules imported at start-up (plugins registering jobs, sweeps or timer handlers).
SWITCHBOARD_PLUGINS = env_list("SWITCHBOARD_PLUGINS")

# --- Tickets --------------------------------------------------------------------------------
SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS = float(
    os.environ.get("SWITCHBOARD_CLOSE_SOLVED_AFTER_DAYS", "4")
)
# An agent's public reply in the workspace on an unassigned ticket assigns it to them (Zendesk's
# default); set to false to leave such tickets unassigned (docs/web.md).
SWITCHBOARD_ASSIGN_ON_PUBLIC_REPLY = env_bool("SWITCHBOARD_ASSIGN_ON_PUBLIC_REPLY", True)
SWITCHBOARD_MAILING_LIST_ADDRESSES = env_list(
    "SWITCHBOARD_MAILING_LIST_ADDRESSES", "announce@switchboard.test"
)
SWITCHBOARD_ATTACHMENT_MAX_BYTES = int(
    os.environ.get("SWITCHBOARD_ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024))
)

# --- CSAT (docs/csat.md) ---------------------------------------------------------------------
# The survey goes out this many hours after solved (handbook: 24).
SWITCHBOARD_CSAT_DELAY_HOURS = float(os.environ.get("SWITCHBOARD_CSAT_DELAY_HOURS", "24"))
# The survey link rates (and changes the rating) for this many days after it was sent.
SWITCHBOARD_CSAT_CHANGE_DAYS = float(os.environ.get("SWITCHBOARD_CSAT_CHANGE_DAYS", "14"))
# A bad rating's follow-up task is due this many hours after the rating.
SWITCHBOARD_CSAT_REVIEW_DUE_HOURS = float(os.environ.get("SWITCHBOARD_CSAT_REVIEW_DUE_HOURS", "72"))
# The on-call schedule whose current person reviews bad ratings.
SWITCHBOARD_CSAT_REVIEW_SCHEDULE = os.environ.get(
    "SWITCHBOARD_CSAT_REVIEW_SCHEDULE", "SSAT Reviewing Manager"
)
# Where "the product doesn't meet my needs" goes: an email address and/or a notify endpoint name.
SWITCHBOARD_CSAT_PRODUCT_TEAM_EMAIL = os.environ.get("SWITCHBOARD_CSAT_PRODUCT_TEAM_EMAIL", "")
SWITCHBOARD_CSAT_PRODUCT_TEAM_ENDPOINT = os.environ.get(
    "SWITCHBOARD_CSAT_PRODUCT_TEAM_ENDPOINT", ""
)
SWITCHBOARD_CSAT_TARGET = float(os.environ.get("SWITCHBOARD_CSAT_TARGET", "0.95"))

# --- On-call ------------------------------------------------------------------------------
# Lifetime of the signed acknowledge/resolve links in notifications (seconds).
SWITCHBOARD_ONCALL_LINK_MAX_AGE = int(os.environ.get("SWITCHBOARD_ONCALL_LINK_MAX_AGE", "86400"))
# An incident opened by an urgent ticket is acknowledged when the ticket gets a public agent reply
# or is solved (someone is on it: stop paging). Off: it pages until someone acknowledges it.
SWITCHBOARD_ONCALL_ACK_ON_TICKET_RESPONSE = env_bool(
    "SWITCHBOARD_ONCALL_ACK_ON_TICKET_RESPONSE", default=True
)
# The service the chat command `/pd-support-manager` opens an incident on (by name).
SWITCHBOARD_ONCALL_SUPPORT_MANAGER_SERVICE = os.environ.get(
    "SWITCHBOARD_ONCALL_SUPPORT_MANAGER_SERVICE", "Support Managers"
)

# --- REST API (Zendesk v2 compatible, /api/v2/) ---------------------------------------------
# Requests per minute per user (per client address before authentication); 0 turns it off.
SWITCHBOARD_API_RATE_LIMIT = int(os.environ.get("SWITCHBOARD_API_RATE_LIMIT", "700"))
# Basic email:password for agents (off: API tokens only).
SWITCHBOARD_API_PASSWORD_AUTH = env_bool("SWITCHBOARD_API_PASSWORD_AUTH", default=False)

# --- Client addresses and sign-in -----------------------------------------------------------
# Reverse proxies in front of the app (addresses or CIDR networks, comma-separated). Rate limits
# and sign-in throttling key on the right-most X-Forwarded-For hop that is not one of these; with
# none configured they key on REMOTE_ADDR and X-Forwarded-For is ignored (switchboard/core/
# client_ip.py). Set it whenever a proxy forwards to the app, or every client shares one bucket.
SWITCHBOARD_TRUSTED_PROXIES = env_list("SWITCHBOARD_TRUSTED_PROXIES")

# Sign-in throttling with django-axes: after AXES_FAILURE_LIMIT failed sign-ins for one account
# (from anywhere) or from one client address (for any account), further attempts are refused
# for AXES_COOLOFF_TIME. Covers the agent/portal sign-in page, the admin's, and the API's Basic
# email:password. A correct password does not get through a lockout; a success before it
# resets that account's and address's count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = int(os.environ.get("SWITCHBOARD_SIGNIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(
    minutes=int(os.environ.get("SWITCHBOARD_SIGNIN_LOCKOUT_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "switchboard.core.client_ip.client_ip_for_axes"
AXES_USERNAME_CALLABLE = "switchboard.accounts.signin.username_for_throttling"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
# Attempts are counted in the database (shared by every process); the access log is not kept.
AXES_DISABLE_ACCESS_LOG = True

# --- Webhooks -------------------------------------------------------------------------------
# After an endpoint's signing secret is rotated, the old one keeps signing (a second
# webhook-signature) for this many hours, so receivers can switch without losing requests.
SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS = float(
    os.environ.get("SWITCHBOARD_WEBHOOK_SECRET_OVERLAP_HOURS", "24")
)

# --- Customer portal ------------------------------------------------------------------------
# Registration / password-reset attempts per client address per ten minutes; 0 turns it off.
SWITCHBOARD_PORTAL_RATE_LIMIT = int(os.environ.get("SWITCHBOARD_PORTAL_RATE_LIMIT", "10"))

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console:")
_email = dj_email_url.parse(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT") or 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Switchboard <support@switchboard.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Deliveries (email, webhooks, chat) are retried with backoff for this long, then dead.
SWITCHBOARD_DELIVERY_RETRY_HOURS = float(os.environ.get("SWITCHBOARD_DELIVERY_RETRY_HOURS", "24"))
# A delivery claimed by a worker that never reports back is taken back after this (seconds).
SWITCHBOARD_DELIVERY_LEASE = float(os.environ.get("SWITCHBOARD_DELIVERY_LEASE", "120"))
# Domain of the Message-IDs Switchboard writes (default: DEFAULT_FROM_EMAIL's domain).
SWITCHBOARD_EMAIL_DOMAIN = os.environ.get("SWITCHBOARD_EMAIL_DOMAIN", "")
# The address customers write to and reply to (Reply-To of every ticket email).
SWITCHBOARD_SUPPORT_ADDRESS = os.environ.get(
    "SWITCHBOARD_SUPPORT_ADDRESS", "support@switchboard.test"
)
# IMAP polling of a mailbox (imaps://user:password@host:993/INBOX); empty = off.
SWITCHBOARD_IMAP_URL = os.environ.get("SWITCHBOARD_IMAP_URL", "")
SWITCHBOARD_IMAP_POLL_SECONDS = float(os.environ.get("SWITCHBOARD_IMAP_POLL_SECONDS", "30"))
# Largest inbound message accepted (bytes); bigger ones are refused by the listener.
SWITCHBOARD_INBOUND_MAX_BYTES = int(
    os.environ.get("SWITCHBOARD_INBOUND_MAX_BYTES", str(30 * 1024 * 1024))
)

# Customer calls (docs/calls.md): generated meeting rooms, link lifetime, call flow.
SWITCHBOARD_CALLS_JITSI_BASE_URL = os.environ.get(
    "SWITCHBOARD_CALLS_JITSI_BASE_URL", "https://meet.jit.si"
).rstrip("/")
SWITCHBOARD_CALLS_WEBEX_ROOM_URL = os.environ.get("SWITCHBOARD_CALLS_WEBEX_ROOM_URL", "")
SWITCHBOARD_CALLS_LINK_DAYS = float(os.environ.get("SWITCHBOARD_CALLS_LINK_DAYS", "14"))
SWITCHBOARD_CALLS_SUMMARY_REMINDER_MINUTES = float(
    os.environ.get("SWITCHBOARD_CALLS_SUMMARY_REMINDER_MINUTES", "60")
)
SWITCHBOARD_CALLS_BUSY_REFRESH_MINUTES = float(
    os.environ.get("SWITCHBOARD_CALLS_BUSY_REFRESH_MINUTES", "15")
)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Chat slash commands (support bot, docs/chat.md): the Slack app's signing secret; empty disables
# POST /chat/commands (404). The bot reads as this user (an agent/admin email), else the first
# active admin.
SWITCHBOARD_CHAT_SIGNING_SECRET = os.environ.get("SWITCHBOARD_CHAT_SIGNING_SECRET", "")

# CRM sync (switchboard/crm, docs/crm.md): a Salesforce connected app with the client-credentials
# flow. Empty SALESFORCE_URL = the connector is off (no scheduled sync, no case push).
SALESFORCE_URL = os.environ.get("SALESFORCE_URL", "").rstrip("/")
SALESFORCE_CLIENT_ID = os.environ.get("SALESFORCE_CLIENT_ID", "")
SALESFORCE_CLIENT_SECRET = os.environ.get("SALESFORCE_CLIENT_SECRET", "")
SALESFORCE_API_VERSION = os.environ.get("SALESFORCE_API_VERSION", "62.0")
# Incremental sync period (seconds) and how far each run reaches back behind its watermark.
SWITCHBOARD_CRM_SYNC_EVERY = float(os.environ.get("SWITCHBOARD_CRM_SYNC_EVERY", "60"))
SWITCHBOARD_CRM_SYNC_OVERLAP = float(os.environ.get("SWITCHBOARD_CRM_SYNC_OVERLAP", "120"))
# Integrity digest: an email address and/or the name of a chat endpoint (notify admin).
SWITCHBOARD_CRM_DIGEST_EMAIL = os.environ.get("SWITCHBOARD_CRM_DIGEST_EMAIL", "")
SWITCHBOARD_CRM_DIGEST_ENDPOINT = os.environ.get("SWITCHBOARD_CRM_DIGEST_ENDPOINT", "")
