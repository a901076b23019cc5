"""Tramontane settings, read from the environment. docs/operations.md explains every variable."""

from __future__ import annotations

import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent  # the checkout: manage.py lives here
DATA_DIR = Path(env_str("TRAMONTANE_DATA_DIR", str(BASE_DIR / "var"))).resolve()


def _secret_key() -> str:
    from_env = env_str("SECRET_KEY")
    if from_env:
        return from_env
    # Single-node installs (the quick start) get a key generated once and kept in the data folder;
    # multi-host deployments must set SECRET_KEY so every host signs sessions alike.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(64))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()


def _audit_signing_key_file() -> str:
    # Audit checkpoints and receipts are signed with Ed25519 (docs/audit.md). AUDIT_SIGNING_KEY (the key itself)
    # wins; else AUDIT_SIGNING_KEY_FILE; the quick start gets a 32-byte seed generated once in the data folder.
    configured = env_str("AUDIT_SIGNING_KEY_FILE")
    if configured or env_str("AUDIT_SIGNING_KEY"):
        return configured
    key_file = DATA_DIR / "audit_signing_key"
    if not key_file.exists():
        import base64

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(base64.b64encode(secrets.token_bytes(32)).decode())
        key_file.chmod(0o600)
    return str(key_file)


AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY")
AUDIT_SIGNING_KEY_FILE = _audit_signing_key_file()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / Redoc served from our static files: /api/docs/ works offline
    "tenants",
    "accounts",
    "api",
    "audit",
    "routing",
    "documents",
    "jobs",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tenants.middleware.AgencyScopeMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "web.context_processors.workspace",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tramontane.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the quick start's web server and worker share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Persistent connections are checked before reuse, so a PostgreSQL restart costs no failed request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions expire after inactivity; the browser session ends with the browser.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Served over HTTPS (behind a TLS-terminating proxy): secure cookies, HSTS, redirect.
HTTPS = env_bool("TRAMONTANE_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en")
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Paris")
USE_TZ = True

STATIC_URL = "static/"
# Containers collect static files into the image (TRAMONTANE_STATIC_ROOT), outside the data volume.
STATIC_ROOT = Path(env_str("TRAMONTANE_STATIC_ROOT", str(DATA_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("TRAMONTANE_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": env_str("TRAMONTANE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tramontane@localhost")
# SMTP (with EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend).
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)

# Upload limits: Django spills to disk past 2.5 MB; the per-agency limit is checked by documents.services.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
TRAMONTANE_DEFAULT_UPLOAD_LIMIT_MB = env_int("TRAMONTANE_DEFAULT_UPLOAD_LIMIT_MB", 50)

# Login throttling: failures per (username, client IP) within the window.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
# Per client IP the limit is higher: many colleagues may share one office NAT address.
LOGIN_FAILURE_IP_LIMIT = env_int("LOGIN_FAILURE_IP_LIMIT", 4 * LOGIN_FAILURE_LIMIT)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Tramontane API",
    "DESCRIPTION": "Per-agency access to Mistral models under data-residency policy. "
    "Authenticate with `Authorization: Bearer tmk_<prefix>_<secret>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery. Redis in production and CI; in the quick start a broker folder on disk that needs no server
# (real asynchronous workers, not eager mode). PostgreSQL stays the source of truth for every job.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport does not create its folders; web and worker must agree on them before first use.
    (_broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1700)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Beat keeps its last-run times in the data folder, not in the current directory.
CELERY_BEAT_SCHEDULE_FILENAME = env_str("CELERY_BEAT_SCHEDULE_FILENAME", str(DATA_DIR / "celerybeat-schedule"))
# Capability packages add their periodic tasks here (reconciler, endpoint probes, audit checkpoints, retention).
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}

# Documents and jobs (docs/operations.md, "Documents and jobs"). Parsing runs in a child process under these limits.
TRAMONTANE_PARSE_MEMORY_MB = env_int("TRAMONTANE_PARSE_MEMORY_MB", 1024)
TRAMONTANE_PARSE_CPU_SECONDS = env_int("TRAMONTANE_PARSE_CPU_SECONDS", 60)
TRAMONTANE_PARSE_WALL_SECONDS = env_int("TRAMONTANE_PARSE_WALL_SECONDS", 120)
# A job (or document being parsed) with no progress for this long is re-dispatched by the reconciler.
TRAMONTANE_JOB_LEASE_SECONDS = env_int("TRAMONTANE_JOB_LEASE_SECONDS", 300)
TRAMONTANE_JOB_MAX_ATTEMPTS = env_int("TRAMONTANE_JOB_MAX_ATTEMPTS", 5)
TRAMONTANE_RECONCILE_SECONDS = env_int("TRAMONTANE_RECONCILE_SECONDS", 30)
TRAMONTANE_WEBHOOK_TIMEOUT_SECONDS = env_int("TRAMONTANE_WEBHOOK_TIMEOUT_SECONDS", 10)
TRAMONTANE_WEBHOOK_MAX_ATTEMPTS = env_int("TRAMONTANE_WEBHOOK_MAX_ATTEMPTS", 8)
# Webhook URLs must be public HTTPS (checked on save and at every delivery, against SSRF). Operators may allow plain
# HTTP, and name hosts (e.g. an internal receiver) that are exempt from the public-address and HTTPS checks.
# CPU-bound parsing and I/O-bound model calls on their own queues, so each scales on its own workers.
CELERY_TASK_ROUTES = {
    "documents.tasks.document_extract_task": {"queue": "parse"},
    "jobs.tasks.job_start_task": {"queue": "llm"},
    "jobs.tasks.chunk_run_task": {"queue": "llm"},
    "jobs.tasks.webhook_deliver_task": {"queue": "default"},
    "jobs.tasks.jobs_reconcile_task": {"queue": "default"},
}
TRAMONTANE_WEBHOOK_ALLOW_HTTP = env_bool("TRAMONTANE_WEBHOOK_ALLOW_HTTP", False)
TRAMONTANE_WEBHOOK_ALLOWED_HOSTS = env_list("TRAMONTANE_WEBHOOK_ALLOWED_HOSTS", [])
CELERY_BEAT_SCHEDULE["jobs-reconcile"] = {
    "task": "jobs.tasks.jobs_reconcile_task",
    "schedule": float(TRAMONTANE_RECONCILE_SECONDS),
    "options": {"queue": "default", "expires": float(TRAMONTANE_RECONCILE_SECONDS)},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Audit: a signed checkpoint per agency (when its chain moved), and the nightly retention purge.
AUDIT_CHECKPOINT_INTERVAL_SECONDS = env_int("AUDIT_CHECKPOINT_INTERVAL_SECONDS", 900)
AUDIT_RETENTION_PURGE_INTERVAL_SECONDS = env_int("AUDIT_RETENTION_PURGE_INTERVAL_SECONDS", 86400)
CELERY_BEAT_SCHEDULE["audit-checkpoints"] = {
    "task": "audit.tasks.checkpoints_write",
    "schedule": AUDIT_CHECKPOINT_INTERVAL_SECONDS,
}
CELERY_BEAT_SCHEDULE["audit-retention-purge"] = {
    "task": "audit.tasks.retention_purge_all",
    "schedule": AUDIT_RETENTION_PURGE_INTERVAL_SECONDS,
}

# Routing (docs/models.md): model-call resilience and the periodic endpoint health probe.
ROUTING_REQUEST_TIMEOUT = float(env_int("ROUTING_REQUEST_TIMEOUT", 120))
ROUTING_MAX_ATTEMPTS = env_int("ROUTING_MAX_ATTEMPTS", 3)
ROUTING_BREAKER_FAILURES = env_int("ROUTING_BREAKER_FAILURES", 3)
ROUTING_BREAKER_OPEN_SECONDS = float(env_int("ROUTING_BREAKER_OPEN_SECONDS", 30))
ROUTING_PROBE_SECONDS = env_int("ROUTING_PROBE_SECONDS", 60)
CELERY_BEAT_SCHEDULE["routing-endpoints-probe"] = {
    "task": "routing.tasks.endpoints_probe",
    "schedule": float(ROUTING_PROBE_SECONDS),
    "options": {"queue": "default", "expires": float(ROUTING_PROBE_SECONDS)},
}
