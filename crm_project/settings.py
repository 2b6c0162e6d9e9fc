"""Settings for the CRM project, read from the environment.

Everything that differs between a laptop and production comes from an environment variable:
``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``, ``DATABASE_URL``, ``TIME_ZONE`` and the few below.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

# Without it (and without DEBUG) the app refuses to serve: the WSGI and ASGI entry points (so
# gunicorn and runserver) stop with MISSING_SECRET_KEY (crm_project.startup), and
# `check --deploy` fails. Commands that need no secret, such as makemigrations, still run.
MISSING_SECRET_KEY = "Set SECRET_KEY in the environment (or DEBUG=true for local use)."
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "import_export",
    "simple_history",
    "axes",
    "django_celery_beat",
    "django_celery_results",
    "crm",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Text no database can store (NUL, lone surrogates), ids no record can have and numbers
    # past the columns get a 400 (or a 404), not a 500. Before the session, for its cookie.
    "crm.hostile.HostileInputMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A logged-in user's saved language wins over the cookie and the browser's.
    "crm.middleware.UserLanguageMiddleware",
    # Every page needs a logged-in user unless its view says otherwise (login, static files).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Records who made each change in the records' history.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into its page.
    "axes.middleware.AxesMiddleware",
]

# Repeated failed logins from one client for one username lock that pair out for a while.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_PROXY_COUNT", "0"))

# A strict content security policy: every script is a file the app serves; no inline script,
# no eval. Styles allow inline attributes, which Bootstrap's and Chart.js's scripts set.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# History: who changed what, when; derived search columns are not history.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

ROOT_URLCONF = "crm_project.urls"

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
            ],
        },
    },
]

# Widgets render through the project's templates, so templates/ can hold widget templates too.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "crm_project.wsgi.application"
ASGI_APPLICATION = "crm_project.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a competing writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Languages: Arabic and English, both first-class.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_TZ = True
# Dates and numbers per language: crm_project/formats/<language>/formats.py, over Django's own.
FORMAT_MODULE_PATH = ["crm_project.formats"]
# Numbers are grouped where the templates ask for it (the money, percent and intcomma filters),
# never implicitly: with this on, every {{ record.pk }} over 999 would print as "1,234" and
# break the links and data attributes built from it.
USE_THOUSAND_SEPARATOR = False

# The currency amounts are shown in; amounts themselves are plain decimals.
CRM_CURRENCY = os.environ.get("CRM_CURRENCY", "SAR")
# Phones typed without a country code are read as numbers of this region (ISO 3166 code).
CRM_PHONE_REGION = os.environ.get("CRM_PHONE_REGION", "SA").strip().upper() or "SA"
# How long the dashboard keeps its team-wide figures (they aggregate every lead and deal); 0
# recomputes them on every request. The page shows their time.
CRM_DASHBOARD_CACHE_SECONDS = int(os.environ.get("CRM_DASHBOARD_CACHE_SECONDS", "60"))

# Notifications by email: "at once" ones wait this many seconds and go only if still unread;
# digests go every day at this hour (TIME_ZONE). Links in emails start with CRM_SITE_URL.
CRM_NOTIFICATION_EMAIL_DELAY = int(os.environ.get("CRM_NOTIFICATION_EMAIL_DELAY", "300"))
CRM_DIGEST_HOUR = int(os.environ.get("CRM_DIGEST_HOUR", "7"))
# When a task with a due date and no due time is due, for its reminder ("HH:MM", local time).
CRM_WORKDAY_START = os.environ.get("CRM_WORKDAY_START", "09:00")
# A reminder whose task has been due longer than this (minutes: a worker that was down) is
# dropped; the next morning's overdue notice tells of the task instead.
CRM_REMINDER_LATEST = int(os.environ.get("CRM_REMINDER_LATEST", "60"))
CRM_SITE_URL = os.environ.get("CRM_SITE_URL", "http://127.0.0.1:8000")

# Email goes through SMTP when EMAIL_HOST is set; otherwise it is printed (development).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CRM <crm@localhost>")

# Redis, when set, is the cache every app server and worker shares (the dashboard's figures
# among others) and Celery's broker. Without it the cache is each process's own memory and
# jobs run in the process that asks for them, so the demo needs nothing installed.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "crm"),
        }
    }
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A job's message is acknowledged once it has run, so a worker killed in the middle of one
# leaves it to be run again (the jobs are idempotent); one job fetched at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged job to another worker after this long.
# A job taken by a worker that died is given to another after this long (seconds).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(60 * 60)))
}
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_RESULT_EXPIRES = datetime.timedelta(days=7)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "crm")
# Schedules live in the database (managers can change them in the admin); these are written
# there when beat starts.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "notification emails": {
        "task": "crm.send_notification_emails",
        "schedule": datetime.timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # (Named when it recounted the board's totals alone; kept, so that beat updates the
    # schedule saved under this name rather than adding a second one.)
    "board totals recount": {
        "task": "crm.rebuild_kept_totals",
        "schedule": crontab(hour=3, minute=30),
    },
    "task reminders": {
        "task": "crm.send_task_reminders",
        "schedule": datetime.timedelta(minutes=1),
        "options": {"expires": 60},
    },
    # From the workday's start, hourly: the first run of the day tells, the others find it done
    # (and catch up when a worker was down at the start).
    "overdue task notices": {
        "task": "crm.send_overdue_notices",
        "schedule": crontab(minute=5, hour=f"{int(CRM_WORKDAY_START.split(':')[0])}-23"),
    },
    "scheduled automation rules": {
        "task": "crm.run_scheduled_rules",
        "schedule": crontab(minute=15),
    },
    "notification digests": {
        "task": "crm.send_notification_digests",
        "schedule": crontab(hour=CRM_DIGEST_HOUR, minute=0),
    },
}
# (Without REDIS_URL each process keeps its own cache: the pages refresh their own figures.)
if CRM_DASHBOARD_CACHE_SECONDS > 0 and REDIS_URL:
    CELERY_BEAT_SCHEDULE["dashboard team figures"] = {
        "task": "crm.refresh_team_figures",
        "schedule": datetime.timedelta(seconds=CRM_DASHBOARD_CACHE_SECONDS),
        "options": {"expires": CRM_DASHBOARD_CACHE_SECONDS},
    }

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Third-party front-end files come from npm (package.json); never copied into the repo.
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", BASE_DIR / "node_modules" / "bootstrap-icons" / "font"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("vendor/sortablejs", BASE_DIR / "node_modules" / "sortablejs"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# An empty filter reads "Any" rather than "---------".
FILTERS_EMPTY_CHOICE_LABEL = _("Any")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Imports run in one transaction: a bad row rolls back the whole file.
IMPORT_EXPORT_USE_TRANSACTIONS = True
# django-import-export's own formula escaping deletes the "="; crm.resources escapes instead.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = False
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(60 * 60 * 12)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# HTTPS hardening: on unless DEBUG, and each can be turned off behind a proxy that handles it.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env_bool("BEHIND_HTTPS_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
