"""Settings for polyglot-dtp, read from the environment in this one place.

Every variable has an embedded default so that `make run` works on a fresh
machine with nothing configured: SQLite under ``var/``, in-process events.
`.env.example` documents each variable; a test keeps the two in step.
"""

from __future__ import annotations

import os
import secrets
import warnings
from pathlib import Path

import environ
from django.utils.functional import lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's `.env` beside manage.py is honoured, but the process
# environment always wins (compose and Kubernetes set variables directly).
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DATA_DIR = Path(env("DTP_DATA_DIR", default=str(BASE_DIR / "var")))


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else a random key kept in DATA_DIR.

    There is no fixed key in the code: a laptop run gets its own key, stable
    across restarts so sessions survive them.
    """
    key = env("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key


# Read (and on a first start written) only when something signs: a read-only command writes nothing.
SECRET_KEY = lazy(_secret_key, str)()
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tenancy",
    "registry",
    "portal",
    "dataplane",
    "alarms",
    "alarms.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "polyglot_dtp.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "polyglot_dtp.urls"
ASGI_APPLICATION = "polyglot_dtp.asgi.application"
WSGI_APPLICATION = "polyglot_dtp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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


def _databases() -> dict:
    """SQLite in DATA_DIR unless DATABASE_URL points elsewhere (PostgreSQL)."""
    default_sqlite = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"
    db = env.db_url("DATABASE_URL", default=default_sqlite)
    if db["ENGINE"] == "django.db.backends.sqlite3":
        # Django's backend, making the database's folder on the first connection rather than here.
        db["ENGINE"] = "polyglot_dtp.db.sqlite3"
        db.setdefault("OPTIONS", {}).update(
            {
                # The web server, the watcher and the ingest service are
                # separate processes writing one file: take the write lock at
                # BEGIN so concurrent reconciles queue instead of failing, and
                # let readers go on while a write is under way (WAL).
                "transaction_mode": "IMMEDIATE",
                "timeout": env.int("DTP_SQLITE_TIMEOUT", default=20),
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            }
        )
    else:
        # Under ASGI every request may run in a thread of its own, and a persistent connection
        # per thread exhausts the server (Django's advice: no persistent connections under ASGI,
        # use the backend's pool). So: psycopg's pool, shared by the process's threads.
        pool_size = env.int("DTP_DB_POOL_SIZE", default=10)
        if pool_size > 0:
            db.setdefault("OPTIONS", {})["pool"] = {"min_size": 1, "max_size": pool_size, "timeout": 30}
            db["CONN_MAX_AGE"] = 0
        else:
            db.setdefault("CONN_MAX_AGE", env.int("DTP_DB_CONN_MAX_AGE", default=0))
            db.setdefault("CONN_HEALTH_CHECKS", True)
    return {"default": db}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("DTP_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "login"

STATIC_URL = "static/"
STATIC_ROOT = Path(env("DTP_STATIC_ROOT", default=str(DATA_DIR / "static")))
# Where `make run` serves the portal.
DTP_HOST = env("DTP_HOST", default="127.0.0.1")
DTP_PORT = env.int("DTP_PORT", default=8000)
# The app serves its own static files (whitenoise, with caching headers) unless a proxy does it.
DTP_SERVE_STATIC = env.bool("DTP_SERVE_STATIC", default=True)
if DTP_SERVE_STATIC:
    MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                      "whitenoise.middleware.WhiteNoiseMiddleware")
# Straight from the apps' static folders, so `make run` needs no collectstatic; files collected into
# STATIC_ROOT by `manage.py collectstatic` are served as well.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# An absent STATIC_ROOT is the normal case (no collectstatic ran): not worth a warning per process.
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)  # whitenoise

# --- Twin registry -----------------------------------------------------------
# Folders scanned for twin.yaml / twin.yml, separated by os.pathsep (":").
DTP_TWINS_ROOTS = [
    str((BASE_DIR / p) if not os.path.isabs(p) else Path(p))
    for p in env("DTP_TWINS_ROOTS", default="twins").split(os.pathsep)
    if p.strip()
]
# Folders scanned for DTDL model files (*.json), separated by os.pathsep; reconciled with the twins.
DTP_MODELS_ROOTS = [
    str((BASE_DIR / p) if not os.path.isabs(p) else Path(p))
    for p in env("DTP_MODELS_ROOTS", default="models").split(os.pathsep)
    if p.strip()
]
# A twin.yaml larger than this is refused before it is parsed.
DTP_SPEC_MAX_BYTES = env.int("DTP_SPEC_MAX_BYTES", default=256 * 1024)
# The ASGI web process reconciles the twin roots once when it starts.
DTP_SCAN_ON_START = env.bool("DTP_SCAN_ON_START", default=True)

# --- Access and headers (tenancy.ratelimit, polyglot_dtp.security) ---------------
# Failed sign-ins allowed per minute per client address and per user name (a browser that signed in
# to the account before is held back only by its own failures), and failed API token checks per address.
DTP_AUTH_FAILURES_PER_MINUTE = env.int("DTP_AUTH_FAILURES_PER_MINUTE", default=10)
AUTHENTICATION_BACKENDS = ["tenancy.backends.RateLimitedModelBackend"]
# Proxies whose X-Forwarded-For / X-Forwarded-Proto the web server believes (uvicorn --forwarded-allow-ips:
# addresses or networks, comma-separated). Empty: none, so the peer's own address is the client's.
DTP_TRUSTED_PROXIES = env.list("DTP_TRUSTED_PROXIES", default=[])
# Served over HTTPS (behind a TLS-terminating proxy): HSTS, cookies only over HTTPS, and the scheme
# taken from X-Forwarded-Proto, which that proxy must set on every request (overwriting a client's).
DTP_HTTPS = env.bool("DTP_HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = DTP_HTTPS
if DTP_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DTP_HSTS_SECONDS", default=365 * 24 * 3600)
# The pages' Content-Security-Policy: no inline script, no other origin's script or style.
DTP_CONTENT_SECURITY_POLICY = env(
    "DTP_CONTENT_SECURITY_POLICY",
    default="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# Per-user API request throttling (DRF rates such as "600/min"; empty: no limit, as in `make run`).
# Token and session users are counted per user, anonymous callers per address.
DTP_API_THROTTLE_USER = env("DTP_API_THROTTLE_USER", default="")
DTP_API_THROTTLE_ANON = env("DTP_API_THROTTLE_ANON", default="")
# Seconds a web process remembers a good API token's user and grants (tenancy/authcache.py); 0: never.
# A revoke counts at once in the process that made it, and within this many seconds in the others.
DTP_AUTH_CACHE_SECONDS = env.float("DTP_AUTH_CACHE_SECONDS", default=5.0)

# --- REST API ------------------------------------------------------------------
# Anonymous visitors may read everything (never write): for demos on a closed network only.
DTP_DEMO_MODE = env.bool("DTP_DEMO_MODE", default=False)
# Largest JSON body the API reads; a larger one is answered 413.
DTP_API_MAX_BODY_BYTES = env.int("DTP_API_MAX_BODY_BYTES", default=1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenancy.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": ["registry.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer",
                                 "rest_framework.renderers.BrowsableAPIRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "registry.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # REMOTE_ADDR is already the client (uvicorn trusts only DTP_TRUSTED_PROXIES): never X-Forwarded-For again.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_CLASSES": [cls for cls, rate in (
        ("rest_framework.throttling.UserRateThrottle", DTP_API_THROTTLE_USER),
        ("rest_framework.throttling.AnonRateThrottle", DTP_API_THROTTLE_ANON)) if rate],
    "DEFAULT_THROTTLE_RATES": {"user": DTP_API_THROTTLE_USER or None, "anon": DTP_API_THROTTLE_ANON or None},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "polyglot-dtp registry API",
    "DESCRIPTION": "Register twins and services, read the registry, patch runtime status. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two choice sets share the field name `status`: name each, so the schema has no generated names.
    "ENUM_NAME_OVERRIDES": {"TwinStatusEnum": "registry.spec.STATUSES",
                            "ModelStatusEnum": "registry.models.DtdlModel.Status",
                            "AlarmStatusEnum": "alarms.types.Status", "IncidentStatusEnum": "alarms.types.IncidentStatus"},
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "registry.api.schema.add_error_responses"],
}
# --- Portal stream (django-eventstream) ---------------------------------------
# PortalEvent is the stream's storage: an SSE id is a PortalEvent id, so a
# client resuming with Last-Event-ID reads the missed rows from that table.
EVENTSTREAM_STORAGE_CLASS = "portal.eventstream.PortalEventStorage"
EVENTSTREAM_CHANNELMANAGER_CLASS = "portal.eventstream.PortalChannelManager"
# Days PortalEvents are kept (`manage.py prune_events`); an older Last-Event-ID gets a reset.
DTP_EVENT_RETENTION_DAYS = env.int("DTP_EVENT_RETENTION_DAYS", default=7)
# Days raw observations are kept, and (longer) days the 1-minute and 1-hour rollups are kept
# (`manage.py prune_data`, run by cron or the dtp-prune CronJob; docs/rollups.md).
DTP_RAW_RETENTION_DAYS = env.int("DTP_RAW_RETENTION_DAYS", default=30)
DTP_ROLLUP_RETENTION_DAYS = env.int("DTP_ROLLUP_RETENTION_DAYS", default=400)
# Prefix of the stream channel names, so deployments (or test runs) sharing one Redis stay apart.
DTP_EVENT_CHANNEL_PREFIX = env("DTP_EVENT_CHANNEL_PREFIX", default="")
# The watcher (scan_twins --watch) reconciles only the folders its file events named; every this
# many seconds it rescans the whole tree anyway, for what notifications missed (0: only at start).
DTP_WATCH_FULL_SCAN_SECONDS = env.float("DTP_WATCH_FULL_SCAN_SECONDS", default=300.0)
# Without Redis the web process tails the PortalEvent table this often (seconds) for
# events other processes (the watcher, the ingest) wrote; only a fallback, as their commits
# wake it (PostgreSQL NOTIFY, SQLite wake sockets: polyglot_dtp/wake.py).
DTP_EVENT_POLL_SECONDS = env.float("DTP_EVENT_POLL_SECONDS", default=0.5)
# Redis for cross-process fan-out (several web workers). Unset: the embedded default above.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    from urllib.parse import urlsplit as _urlsplit

    _redis = _urlsplit(REDIS_URL)
    EVENTSTREAM_REDIS = {
        "host": _redis.hostname or "127.0.0.1",
        "port": _redis.port or 6379,
        "db": int((_redis.path or "/0").strip("/") or 0),
        "password": _redis.password,
    }
# Shared state of the web workers (sign-in rate limits): Redis when configured, else in-process memory.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
          if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Header badges: seconds between health checks in the web process, and per check timeout.
DTP_HEALTH_INTERVAL = env.float("DTP_HEALTH_INTERVAL", default=15.0)
DTP_HEALTH_TIMEOUT = env.float("DTP_HEALTH_TIMEOUT", default=1.0)

# --- Data plane (MQTT ingest and the stores) -------------------------------------
# The broker the ingest subscribes to. Unset: `make run` starts an embedded broker
# (amqtt) on DTP_MQTT_EMBEDDED_PORT and the ingest uses it.
MQTT_URL = env("MQTT_URL", default="")
DTP_MQTT_EMBEDDED_PORT = env.int("DTP_MQTT_EMBEDDED_PORT", default=1883)
# Topic filter(s) the ingest subscribes to, comma-separated.
DTP_INGEST_TOPICS = [t.strip() for t in env("DTP_INGEST_TOPICS", default="dtp/#").split(",") if t.strip()]
# Several ingest workers share the load through an MQTT 5 shared subscription of this group
# ($share/<group>/<filter>). Empty: a plain subscription (one worker).
DTP_INGEST_SHARED_GROUP = env("DTP_INGEST_SHARED_GROUP", default="")
# Observations written per batch, and the longest a batch waits to fill (seconds).
DTP_INGEST_BATCH_SIZE = env.int("DTP_INGEST_BATCH_SIZE", default=500)
DTP_INGEST_FLUSH_SECONDS = env.float("DTP_INGEST_FLUSH_SECONDS", default=0.5)
# The ingest's MQTT client id. The broker keeps a persistent session (and queues QoS 1 messages)
# per client id, so it must survive restarts: empty means dtp-ingest-<host name>, which in
# Kubernetes is the StatefulSet pod's name. Two workers must never share one.
DTP_INGEST_CLIENT_ID = env("DTP_INGEST_CLIENT_ID", default="")
# MQTT 5 (shared subscriptions): how long the broker keeps a disconnected worker's session and queue.
DTP_INGEST_SESSION_EXPIRY_SECONDS = env.int("DTP_INGEST_SESSION_EXPIRY_SECONDS", default=7 * 86400)
# Messages are acknowledged once spooled; the ingest spools when this many wait for their
# acknowledgement (keep it below the broker's in-flight limit: Mosquitto's max_inflight_messages, 20).
DTP_INGEST_MAX_UNACKED = env.int("DTP_INGEST_MAX_UNACKED", default=10)
# Timestamps further ahead of / behind the ingest's clock are rejected (ts_future / ts_past).
DTP_INGEST_MAX_FUTURE_SECONDS = env.float("DTP_INGEST_MAX_FUTURE_SECONDS", default=86400.0)
DTP_INGEST_MAX_PAST_DAYS = env.float("DTP_INGEST_MAX_PAST_DAYS", default=3650.0)
# Where a store's batches wait while it is down, and the most bytes each store's spool may hold.
# Records a store refuses for their content wait in <DTP_SPOOL_DIR>/deadletter (manage.py deadletter).
DTP_SPOOL_DIR = Path(env("DTP_SPOOL_DIR", default=str(DATA_DIR / "spool")))
DTP_SPOOL_MAX_BYTES = env.int("DTP_SPOOL_MAX_BYTES", default=256 * 1024 * 1024)
# InfluxDB 2 (signals). Unset INFLUX_URL: not configured.
INFLUX_URL = env("INFLUX_URL", default="")
INFLUX_ORG = env("INFLUX_ORG", default="dtp")
INFLUX_BUCKET = env("INFLUX_BUCKET", default="signals")
INFLUX_TOKEN = env("INFLUX_TOKEN", default="")
# The twin graph: bolt://, neo4j:// (Neo4j) or falkordb://host:port (FalkorDB). Unset: not configured.
NEO4J_URL = env("NEO4J_URL", default="")
NEO4J_USER = env("NEO4J_USER", default="neo4j")
NEO4J_PASSWORD = env("NEO4J_PASSWORD", default="")
# MinIO / S3 blobs: host:port or a URL (https means TLS). Unset MINIO_ENDPOINT: not configured.
MINIO_ENDPOINT = env("MINIO_ENDPOINT", default="")
MINIO_ACCESS_KEY = env("MINIO_ACCESS_KEY", default="")
MINIO_SECRET_KEY = env("MINIO_SECRET_KEY", default="")
MINIO_BUCKET = env("MINIO_BUCKET", default="dtp")

# Alarms (docs/alarms.md). The evaluator runs as a thread of every `manage.py ingest` worker;
# on PostgreSQL the workers share the twins by session advisory locks on DTP_ALARM_SLOTS slots.
DTP_ALARM_EVALUATOR = env.bool("DTP_ALARM_EVALUATOR", default=True)
DTP_ALARM_TICK = env.float("DTP_ALARM_TICK", default=1.0)  # seconds between timer / journal passes
DTP_ALARM_SLOTS = env.int("DTP_ALARM_SLOTS", default=64)
DTP_ALARM_BATCH = env.int("DTP_ALARM_BATCH", default=2000)  # journal rows per pass
DTP_ALARM_CORRELATION_WINDOW = env.float("DTP_ALARM_CORRELATION_WINDOW", default=300.0)
DTP_ALARM_CORRELATION_DEPTH = env.int("DTP_ALARM_CORRELATION_DEPTH", default=3)

# --- Alarm webhooks (alarms.webhooks; worker: manage.py webhooks) ----------------------------
# Delays after the 1st, 2nd, ... failed attempt; then one try every DTP_WEBHOOK_RETRY_EVERY until
# DTP_WEBHOOK_GIVE_UP_AFTER after the event (or the last redeliver). Each delay varies by +-JITTER.
DTP_WEBHOOK_RETRY_SCHEDULE = env.list("DTP_WEBHOOK_RETRY_SCHEDULE", default=["10s", "30s", "1m", "5m", "10m",
                                                                              "30m", "1h"])
DTP_WEBHOOK_RETRY_EVERY = env("DTP_WEBHOOK_RETRY_EVERY", default="1h")
DTP_WEBHOOK_GIVE_UP_AFTER = env("DTP_WEBHOOK_GIVE_UP_AFTER", default="24h")
DTP_WEBHOOK_RETRY_JITTER = env.float("DTP_WEBHOOK_RETRY_JITTER", default=0.2)
# Seconds one POST may take, how often the worker looks for work, and how many POSTs it runs at once.
DTP_WEBHOOK_TIMEOUT_SECONDS = env.float("DTP_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
DTP_WEBHOOK_POLL_SECONDS = env.float("DTP_WEBHOOK_POLL_SECONDS", default=1.0)
DTP_WEBHOOK_CONCURRENCY = env.int("DTP_WEBHOOK_CONCURRENCY", default=4)
# Networks webhooks may call although they are loopback or private (CIDRs, comma-separated); empty: none.
DTP_WEBHOOK_ALLOWED_NETWORKS = env.list("DTP_WEBHOOK_ALLOWED_NETWORKS", default=[])
# A missing event id younger than this may still commit (PostgreSQL ids precede commits): the outbox waits.
DTP_WEBHOOK_GAP_SECONDS = env.float("DTP_WEBHOOK_GAP_SECONDS", default=30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DTP_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # one INFO line per connecting browser is noise
                "django_eventstream": {"level": "WARNING"}},
}
