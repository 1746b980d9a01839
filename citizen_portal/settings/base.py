"""Settings shared by every environment, read once from the environment with django-environ.

Django's own settings and the portal's wiring are here; each integration's are in a module of
``components/`` (NHS login, linkage, IM1 pairing, the simulator, the demo app, security
headers, logging, staff sign-in), composed here. Defaults are the safe ones: DEBUG off, no
secret key, no allowed hosts. ``local`` relaxes them for a laptop; ``production`` refuses to
start without what it needs. Every variable is documented in ``.env.example``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.demo import *  # noqa: F403
from citizen_portal.settings.components.im1 import *  # noqa: F403
from citizen_portal.settings.components.linkage import *  # noqa: F403
from citizen_portal.settings.components.logging import *  # noqa: F403
from citizen_portal.settings.components.nhs_login import *  # noqa: F403
from citizen_portal.settings.components.portal import *  # noqa: F403
from citizen_portal.settings.components.portal import BASE_DIR, DATA_DIR, env, env_bool
from citizen_portal.settings.components.provisioning import *  # noqa: F403
from citizen_portal.settings.components.security_headers import *  # noqa: F403
from citizen_portal.settings.components.simulator import *  # noqa: F403
from citizen_portal.settings.components.simulator import (
    NHS_LOGIN_SIMULATOR_ENABLED,
    simulator_install,
)
from citizen_portal.settings.components.staff_sign_in import *  # noqa: F403

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, on the portal's own admin site: staff sign in with two factors
    # (accounts/admin_site.py, docs/adr/0011).
    "accounts.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles, so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Before accounts, whose admin replaces the TOTP device admin these register.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "core",
    "accounts",
    "linkage",
    "im1",
    "provisioning",
]

MIDDLEWARE = [
    # First: an API call (under API_PATH_PREFIXES) goes through API_MIDDLEWARE below instead of
    # the rest of this list, which is for browsers (core/api_middleware.py, docs/adr/0028).
    "core.api_middleware.ApiMiddlewareChainMiddleware",
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Chooses the URLs by host when the admin has a host of its own (ADMIN_HOST), before
    # anything resolves a URL.
    "core.admin_host.AdminHostMiddleware",
    # django-csp's, with NHS login's origins in form-action as configured now.
    "accounts.content_security_policy.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Signed-in pages are never stored by the browser or a cache on the way.
    "core.middleware.SignedInPagesNotStoredMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A bare 405 to a browser becomes a page saying what to do (core/form_posts.py).
    "core.form_posts.MethodNotAllowedPageMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's, but a signed-in patient can still be served from their session when the
    # database is briefly unreachable (accounts/session_user.py).
    "accounts.session_user.SessionPatientAuthenticationMiddleware",
    # request.user.is_verified(): whether a staff member's session has passed their second
    # factor (django-otp). Lazy: nothing is read until the user is.
    "django_otp.middleware.OTPMiddleware",
    # Signs patients out after inactivity or 12 hours, before any view runs.
    "accounts.middleware.SessionTimeoutMiddleware",
    # Every view needs a signed-in user unless it is marked @login_not_required.
    "core.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a locked-out admin sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The JSON APIs on bearer tokens: the linkage API (/api/v1/, /api/oauth2/token) and the IM1
# API (/api/im1/v1/). A call there that is not a browser's navigation is served by the chain
# below; a browser asking for a page there is served by MIDDLEWARE as any page is.
API_PATH_PREFIXES = ["/api/"]
# What an API call needs of the middleware, in MIDDLEWARE's order; why each of the others is
# not needed is in docs/adr/0028.
API_MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.admin_host.AdminHostMiddleware",
    # A fixed, strict policy for JSON (API_CONTENT_SECURITY_POLICY) instead of the pages'.
    "core.api_middleware.ApiContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # The Host header checked against ALLOWED_HOSTS, and Content-Length on every answer.
    "django.middleware.common.CommonMiddleware",
    # The API's views are exempt; any view here that is not stays protected.
    "django.middleware.csrf.CsrfViewMiddleware",
    # The API's views are public (they authenticate the call themselves); any view here that
    # is not fails closed, as no user is read in this chain.
    "core.middleware.LoginRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Uploaded files (the practice register import) are capped before anything is written to disk:
# core/uploads.py. 20 MB is a register of some 250,000 patients, larger than any practice's.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20_000_000)
FILE_UPLOAD_HANDLERS = [
    "core.uploads.UploadSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

ROOT_URLCONF = "citizen_portal.urls"
WSGI_APPLICATION = "citizen_portal.wsgi.application"
ASGI_APPLICATION = "citizen_portal.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        # Our pages: Jinja2 with the nhsuk-frontend-jinja macros (docs/adr/0002).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "core.jinja2.environment",
            "context_processors": [
                "accounts.context_processors.session_timeout",
                "accounts.context_processors.nhs_login_settings",
                "accounts.context_processors.patient_navigation",
                "core.context_processors.service_organisation",
            ],
        },
    },
    {
        # Django admin and its login page only; core/django_templates holds our few overrides.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "core" / "django_templates"],
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

# DATABASE_URL selects the database: postgres://… in production and CI. Environments that
# allow running without it (local, test) set a SQLite default below.
DATABASES: dict[str, Any] = {}
if env.str("DATABASE_URL", default="").strip():
    DATABASES["default"] = env.db_url("DATABASE_URL")
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with a health check that needs no round trip (core/postgresql/).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
        # Fail fast when the server is unreachable, so /health/ready answers within its timeout.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# REDIS_URL is optional. With it, the cache and the sessions live in Redis, so any app server
# can serve any patient; without it, a per-process memory cache and database sessions.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES: dict[str, Any] = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="citizen-portal"),
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
    # Django's cache sessions, a save and a new key one Redis command each (core/cache_sessions.py).
    SESSION_ENGINE = "core.cache_sessions"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Outbound calls and the load balancer in front.
# The largest answer any outbound call may bring back (core/outbound.py): NHS login's are a few
# kilobytes; anything bigger is refused as invalid, not read into memory.
OUTBOUND_MAX_RESPONSE_BYTES = env.int("OUTBOUND_MAX_RESPONSE_BYTES", default=1_000_000)
# The proxies (IP addresses or CIDR networks) whose X-Forwarded-For hop the portal believes:
# the load balancer in front of gunicorn (docs/operations.md, "Behind a load balancer"). Empty
# trusts no header, so REMOTE_ADDR is the client (core/client_address.py).
TRUSTED_PROXIES: list[str] = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:  # refused at start-up, not skipped at each request
    try:
        ipaddress.ip_network(_proxy.strip(), strict=False)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or CIDR network"
        ) from _error

# Patients through NHS login (mozilla-django-oidc, extended in accounts/ for private_key_jwt:
# components/nhs_login.py), practice staff through Django admin (components/staff_sign_in.py).
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses an admin sign-in while its username or address
    # is locked out, before any password is checked. Patients never reach it (AXES_ONLY_ADMIN_SITE).
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.NhsLoginBackend",  # patients
    "django.contrib.auth.backends.ModelBackend",  # practice staff in Django admin
]

# A bare JSON view at /api/bench/baseline for `make bench` to measure the stack's own ceiling,
# on the middleware the API's calls go through (docs/adr/0028).
# Off everywhere but the benchmark; production refuses it.
BENCHMARK_BASELINE_ENABLED = env_bool("BENCHMARK_BASELINE_ENABLED", default=False)

# The simulator (components/simulator.py), when the environment turns it on; local and test
# settings turn it on by default.
if NHS_LOGIN_SIMULATOR_ENABLED:
    simulator_install(globals())

# Signed-out visitors land on the start page, which carries the NHS login button.
LOGIN_URL = "core:start"
LOGIN_REDIRECT_URL = "accounts:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Our own assets and, under static/vendor/, what `make static` copies from nhsuk-frontend.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "staticfiles")))
STORAGES: dict[str, Any] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
