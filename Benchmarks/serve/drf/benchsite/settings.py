"""Settings of the benchmark's Django REST framework server, the original stack that `sluice serve`
is compared with: read from the environment, production-like (DEBUG off, persistent database
connections, JSON only), and nothing the API does not use (no sessions, admin, templates or
static files).

    DATABASE_URL        postgresql://user[:password]@host[:port]/database[?sslmode=…] (required)
    DJANGO_CONN_MAX_AGE seconds a worker keeps its database connection (default 600; 0 = one per request)
    DJANGO_SECRET_KEY   (default: a fixed benchmark value; nothing here is signed with it)
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def database_from_url(url: str) -> dict:
    """DATABASES["default"] from a libpq-style URL (what `sluice db start` prints)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgresql:// URL, not {url!r}")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured(f"DATABASE_URL names no database: {url!r}")
    options = dict(parse_qsl(parts.query))  # libpq's own parameters: sslmode, a socket `host` …
    return {
        "ENGINE": "django.db.backends.postgresql",  # psycopg 3
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or options.pop("host", ""),
        "PORT": str(parts.port or options.pop("port", "")),
        "OPTIONS": options,
        # A worker keeps its connection between requests, as a production deployment would;
        # Django's default (0) would open a PostgreSQL connection for every request.
        "CONN_MAX_AGE": int(os.environ.get("DJANGO_CONN_MAX_AGE", "600")),
        "CONN_HEALTH_CHECKS": True,
    }


if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("set DATABASE_URL to the PostgreSQL database that holds the customers table")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "sluice-serve-benchmark-nothing-is-signed")
DEBUG = False
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "customers",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "customers.pagination.CustomerCursorPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "customers.filters.TotalOrderingFilter",
    ],
    # RFC 3339 in UTC with the microseconds PostgreSQL keeps: 2024-01-01T10:30:00.000000Z
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%S.%fZ",
    "DATE_FORMAT": "iso-8601",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}
