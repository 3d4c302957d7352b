"""Django settings for WinterAction, read from the environment (see README: Configuration)."""

import datetime
import sys
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from . import config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

try:
    DEBUG = config.env_bool("DEBUG", False)
    SECRET_KEY = config.secret_key(VAR_DIR, debug=DEBUG)
    ALLOWED_HOSTS = config.env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
    CSRF_TRUSTED_ORIGINS = config.env_list("CSRF_TRUSTED_ORIGINS", "")
    DATABASES = {"default": config.database(VAR_DIR)}
    REDIS_URL = config.redis_url()
    # The throttles' cache: a Redis that is down or hangs costs at most CACHE_TIMEOUT_MS, once per
    # THROTTLE_BREAKER_SECONDS per process; meanwhile the API is not throttled (winteraction/api/throttling.py).
    CACHE_TIMEOUT_MS = config.env_int("CACHE_TIMEOUT_MS", 250, minimum=10, maximum=10000)
    THROTTLE_BREAKER_SECONDS = config.env_int("THROTTLE_BREAKER_SECONDS", 30, minimum=1, maximum=3600)
    # Web pages on other origins allowed to call the API (/api/ only) from a browser; none by default.
    CORS_ALLOWED_ORIGINS = config.cors_origins("CORS_ALLOWED_ORIGINS")
    EMAIL_HOST = config.env_str("EMAIL_HOST")
    EMAIL_PORT = config.env_int("EMAIL_PORT", 25, minimum=1, maximum=65535)
    EMAIL_HOST_USER = config.env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = config.env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = config.env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = config.env_bool("EMAIL_USE_SSL", False)
    DEFAULT_FROM_EMAIL = config.env_str("DEFAULT_FROM_EMAIL", "winteraction@localhost")
    EMAIL_TIMEOUT = config.env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=120)
    # Domain thresholds (see docs/domain-model.md): due soon within N days, behind by more than N points.
    WINTERACTION_DUE_SOON_DAYS = config.env_int("DUE_SOON_DAYS", 7, minimum=1, maximum=90)
    WINTERACTION_BEHIND_POINTS = config.env_int("BEHIND_POINTS", 20, minimum=0, maximum=100)
    WINTERACTION_CARD_OVERDUE_DAYS = config.env_int("CARD_OVERDUE_DAYS", 7, minimum=0, maximum=90)
    WINTERACTION_CARD_YELLOW_ITEMS = config.env_int("CARD_YELLOW_ITEMS", 2, minimum=1, maximum=100)
    WINTERACTION_CARD_RED_AFTER_DAYS = config.env_int("CARD_RED_AFTER_DAYS", 14, minimum=1, maximum=365)
    # The ranking's formula is per campaign: supervision.models.RankingPolicy (supervision/ranking.py).
    # Proxies in front of gunicorn whose X-Forwarded-For to trust (nginx: 1), for throttling and
    # lockouts. With 0 the client's own header is ignored, so it cannot buy itself a fresh budget.
    NUM_PROXIES = config.env_int("NUM_PROXIES", 0, minimum=0, maximum=5)
    SESSION_IDLE_MINUTES = config.env_int("SESSION_IDLE_MINUTES", 120, minimum=1, maximum=7 * 24 * 60)
    AXES_FAILURE_LIMIT = config.env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
    AXES_COOLOFF_MINUTES = config.env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)
    if EMAIL_USE_TLS and EMAIL_USE_SSL:
        raise config.ConfigError("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
    # Reminders and the outbox (docs/reminders.md).
    SITE_URL = config.env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
    REMINDER_SEND_TIME = config.clock_time("REMINDER_SEND_TIME", "08:30")
    WEBHOOK_ALLOWED_HOSTS = config.env_list("WEBHOOK_ALLOWED_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com")
    WEBHOOK_TIMEOUT_SECONDS = config.env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1, maximum=120)
    CELERY_VISIBILITY_TIMEOUT = config.env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=5, maximum=86400)
    OUTBOX_BATCH_SIZE = config.env_int("OUTBOX_BATCH_SIZE", 100, minimum=1, maximum=10000)
    OUTBOX_MAX_ATTEMPTS = config.env_int("OUTBOX_MAX_ATTEMPTS", 6, minimum=1, maximum=50)
    OUTBOX_BACKOFF_SECONDS = config.env_int("OUTBOX_BACKOFF_SECONDS", 60, minimum=1, maximum=86400)
    OUTBOX_BACKOFF_MAX_SECONDS = config.env_int("OUTBOX_BACKOFF_MAX_SECONDS", 1800, minimum=1, maximum=86400)
    OUTBOX_SWEEP_SECONDS = config.env_int("OUTBOX_SWEEP_SECONDS", 300, minimum=1, maximum=86400)
    OUTBOX_STALE_SECONDS = config.env_int("OUTBOX_STALE_SECONDS", 600, minimum=1, maximum=86400)
    BROKER_PUBLISH_TIMEOUT_SECONDS = config.env_int(
        "BROKER_PUBLISH_TIMEOUT_SECONDS", 2, minimum=1, maximum=60
    )
    if OUTBOX_BACKOFF_MAX_SECONDS >= CELERY_VISIBILITY_TIMEOUT:
        raise config.ConfigError(
            "OUTBOX_BACKOFF_MAX_SECONDS must be below CELERY_VISIBILITY_TIMEOUT "
            "(a job waiting longer than the visibility timeout would be delivered twice)"
        )
    # The embedded default (make run without Redis): a worker with embedded beat on kombu's filesystem
    # transport under var/. Without it and without Redis, jobs run in the process that enqueues them.
    CELERY_EMBEDDED = config.env_bool("CELERY_EMBEDDED", False)
    # Behind TLS (README: Production): cookies only over HTTPS, HSTS, redirect plain HTTP, and trust
    # the proxy's X-Forwarded-Proto. All off by default: `make run` serves plain HTTP on 127.0.0.1.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = config.env_bool("SECURE_COOKIES", False)
    SECURE_HSTS_SECONDS = config.env_int("SECURE_HSTS_SECONDS", 0, minimum=0, maximum=2 * 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = config.env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = config.env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_SSL_REDIRECT = config.env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = (
        ("HTTP_X_FORWARDED_PROTO", "https") if config.env_bool("TRUST_X_FORWARDED_PROTO", False) else None
    )
    if SECURE_HSTS_PRELOAD and (SECURE_HSTS_SECONDS < 31536000 or not SECURE_HSTS_INCLUDE_SUBDOMAINS):
        raise config.ConfigError(
            "SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS of at least 31536000 and SECURE_HSTS_INCLUDE_SUBDOMAINS"
        )
except config.ConfigError as exc:
    # One clear line, whichever entry point imported us (manage.py, gunicorn, celery).
    sys.exit(f"WinterAction configuration error: {exc}")

EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "corsheaders",
    "tasks",
    "supervision",
]

MIDDLEWARE = [
    "winteraction.middleware.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",  # before CommonMiddleware, as django-cors-headers asks
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "winteraction.middleware.SessionIdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "winteraction.api.throttling.RateLimitHeadersMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out sign-in before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "winteraction.urls"
WSGI_APPLICATION = "winteraction.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tasks.context_processors.navigation",
                "supervision.context_processors.inbox",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tasks.Person"
# The models the API plumbing (winteraction/api/) works with, named here so that it imports no app.
API_TOKEN_MODEL = "tasks.ApiToken"
API_IDEMPOTENCY_MODEL = "tasks.IdempotencyKey"
# A session ends after SESSION_IDLE_MINUTES without a request (winteraction.middleware renews it).
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60

# django-axes: after LOGIN_FAILURE_LIMIT failures a username is locked, from that address, for a
# while (by the pair, so a stranger elsewhere cannot lock an official out of their own account).
AXES_COOLOFF_TIME = datetime.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_IPWARE_PROXY_COUNT = NUM_PROXIES
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django tells it of every password change, and it revokes the person's API tokens.
    {"NAME": "tasks.passwords.RevokeApiTokensOnPasswordChange"},
]

# ---- Language and place -------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# ---- Static and uploaded files -------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(config.env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
if DEBUG:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing one
MEDIA_URL = "media/"
MEDIA_ROOT = Path(config.env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# A photo with more pixels is refused before it is decoded (tasks/evidence.py): a few hundred KB of
# PNG can otherwise ask for gigabytes. 40 MP (an 8000×5000 photo) is far below Pillow's own 89 MP.
EVIDENCE_MAX_PIXELS = config.env_int("EVIDENCE_MAX_PIXELS", 40_000_000, minimum=1_000_000, maximum=89_000_000)

# ---- REST framework -----------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "winteraction.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tasks.api.permissions.ApiAccess"],
    "DEFAULT_FILTER_BACKENDS": ["winteraction.api.filtering.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "winteraction.api.pagination.PageNumberPagination",
    "DEFAULT_THROTTLE_CLASSES": [
        "winteraction.api.throttling.TokenRateThrottle",
        "winteraction.api.throttling.UserRateThrottle",
        "winteraction.api.throttling.AnonRateThrottle",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON bodies; multipart only where files come (progress reports, attachments), so an
    # empty form field is never quietly taken for "not given".
    "DEFAULT_PARSER_CLASSES": ["winteraction.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "winteraction.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "winteraction.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
try:
    API_RATES = {
        "token": config.env_str("API_RATE_TOKEN", "6000/hour"),
        "user": config.env_str("API_RATE_USER", "6000/hour"),
        "anon": config.env_str("API_RATE_ANON", "120/hour"),
        "login": config.env_str("API_RATE_LOGIN", "10/minute"),
    }
    for _scope, _rate in API_RATES.items():
        config.check_rate(f"API_RATE_{_scope.upper()}", _rate)
    # A token created without an expiry gets one this many days ahead (0: it never expires).
    API_TOKEN_DEFAULT_DAYS = config.env_int("API_TOKEN_DEFAULT_DAYS", 0, minimum=0, maximum=3650)
    API_SYNC_SETTLE_SECONDS = config.env_int("API_SYNC_SETTLE_SECONDS", 2, minimum=0, maximum=300)
    REST_FRAMEWORK["NUM_PROXIES"] = NUM_PROXIES
except config.ConfigError as exc:
    sys.exit(f"WinterAction configuration error: {exc}")

SPECTACULAR_SETTINGS = {
    "TITLE": "WinterAction 冬季行动督办 API",
    "DESCRIPTION": (
        "REST API v1. Authenticate with `Authorization: Token <token>` (or `Bearer`); create a token at "
        "`/api/v1/tokens/` or `POST /api/v1/auth/token/`. Errors always have the shape "
        '`{"code", "detail", "fields"}`, in the language of `Accept-Language`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: intranets have no internet
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: it would fetch from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None, "persistAuthorization": True},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operationIds from the path after /api/v1/: `tasks`, `tasks_close` (winteraction/api/schema.py).
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Docstrings are about our code ("For viewsets whose …"); descriptions come from extend_schema.
    "DISABLE_DOCSTRING_DESCRIPTIONS": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "winteraction.api.schema.describe_format_parameter",
        "winteraction.api.schema.for_generators",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.TaskStatus",
        "RoleEnum": "tasks.models.Role",
        "UnitKindEnum": "tasks.models.UnitKind",
        "TaskEventKindEnum": "tasks.models.EventKind",
        "OrderStatusEnum": "supervision.models.OrderStatus",
        "InspectionKindEnum": "supervision.models.InspectionKind",
        "OrderEventKindEnum": "supervision.models.OrderEventKind",
        "CardKindEnum": "supervision.models.CardKind",
        "CardStatusEnum": "supervision.models.CardStatus",
        "BulletinKindEnum": "supervision.models.BulletinKind",
        "BulletinStatusEnum": "supervision.models.BulletinStatus",
        "BulletinEventKindEnum": "supervision.models.BulletinEventKind",
        "ReminderRuleEnum": "supervision.models.ReminderRule",
        "ChannelEnum": "supervision.models.Channel",
        "ImportStatusEnum": "tasks.models.ImportStatus",
        "IndicatorKindEnum": "tasks.models.IndicatorKind",
        "FigureKindEnum": "tasks.models.FigureKind",
    },
}

# ---- Content-Security-Policy (django-csp) --------------------------------------------
# Scripts, styles, fonts and images come from our static files only; no inline script, no eval.
# A name typed into the app can never run as script even if a page forgot to escape it.
# Style attributes stay allowed (progress bars' widths, ECharts' tooltip markers): they can neither run
# script nor select anything; <style> elements cannot be injected. The API docs widen the policy for
# themselves (winteraction/urls.py: Swagger UI and ReDoc add <style> elements).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Throttle counters: shared through Redis when there is one. Without Redis each process counts for
# itself (README: Configuration); nothing else on the request path reads the cache (sessions and
# django-axes use the database, compiled statements are per process).
CACHES = config.caches(REDIS_URL, timeout_ms=CACHE_TIMEOUT_MS)

# ---- CORS (django-cors-headers): the API only, for CORS_ALLOWED_ORIGINS -----------------------------
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOW_HEADERS = (
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-request-id",
)
CORS_EXPOSE_HEADERS = [
    "ETag",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Request-ID",
]

# ---- Celery (winteraction/celery.py reads the CELERY_* names) -----------------------
# Publishing is best effort with short timeouts (supervision/outbox.py): a broker that is down
# delays messages, never fails a request. The outbox sweeper re-publishes what was not picked up.
_PUBLISH_TIMEOUTS = {
    "socket_timeout": BROKER_PUBLISH_TIMEOUT_SECONDS,
    "socket_connect_timeout": BROKER_PUBLISH_TIMEOUT_SECONDS,
}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # max_retries 0: a publish to a Redis that is down fails at once instead of retrying for seconds
    # (a worker still reconnects by itself: it uses its own retry settings).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "max_retries": 0,
        **_PUBLISH_TIMEOUTS,
    }
elif CELERY_EMBEDDED:
    _BROKER_DIR = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        "control_folder": str(_BROKER_DIR / "control"),  # kombu's default is ./control
        "store_processed": False,
    }
else:
    # No broker at all (tests and commands without Redis): jobs run in the process that enqueues them.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_PUBLISH_TIMEOUT_SECONDS
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # The day's reminders at REMINDER_SEND_TIME, Asia/Shanghai (the scan skips non-working days).
    "scan-reminders": {
        "task": "winteraction.scan_reminders",
        "schedule": crontab(hour=REMINDER_SEND_TIME.hour, minute=REMINDER_SEND_TIME.minute),
    },
    # Re-publish deliveries nobody picked up (broker down, worker killed).
    "sweep-outbox": {"task": "winteraction.sweep_outbox", "schedule": float(OUTBOX_SWEEP_SECONDS)},
    "propose-cards": {"task": "winteraction.propose_cards", "schedule": crontab(hour=7, minute=0)},
    "snapshot-rankings": {
        "task": "winteraction.snapshot_rankings",
        "schedule": crontab(hour=6, minute=0, day_of_week="mon"),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line carries the id of the request it belongs to ("-" outside one): the id a 500 page shows.
    "filters": {"request_id": {"()": "winteraction.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "plain"}
    },
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
