"""Settings shared by every environment, read once from the environment with django-environ.

Defaults here are the safe ones: DEBUG off, no secret key, no allowed hosts. ``local`` relaxes
them for a laptop; ``production`` refuses to start without what it needs. Every variable is
documented in ``.env.example``.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable, refusing anything unrecognised.

    django-environ reads any unknown word as False; for switches such as DEBUG a typo should
    stop the start-up, not silently pick a side.
    """
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of {sorted(_TRUE_WORDS | _FALSE_WORDS)}, not {raw!r}."
    )


# Where the portal keeps what it makes at run time: the SQLite database, generated keys,
# collected static files. Never committed (see .gitignore).
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The portal's public address, used to build absolute URLs (the NHS login redirect URI).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

SERVICE_NAME = "Citizen portal"

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
]

MIDDLEWARE = [
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Chooses the URLs by host when the admin has a host of its own (ADMIN_HOST), before
    # anything resolves a URL.
    "core.admin_host.AdminHostMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Signed-in pages are never stored by the browser or a cache on the way.
    "core.middleware.SignedInPagesNotStoredMiddleware",
    "django.middleware.common.CommonMiddleware",
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
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# NHS login, as this portal is registered with it (docs/operations.md). Local settings point
# these at the built-in simulator; elsewhere they come from the NHS login registration.
NHS_LOGIN_ISSUER = env.str("NHS_LOGIN_ISSUER", default="").rstrip("/")
NHS_LOGIN_CLIENT_ID = env.str("NHS_LOGIN_CLIENT_ID", default="")
NHS_LOGIN_PRIVATE_KEY_PATH = env.str("NHS_LOGIN_PRIVATE_KEY_PATH", default="")
# A kid for our client assertions, only if the provider registered a JWK under it (NHS login
# registers a PEM, with no kid: leave it unset).
NHS_LOGIN_KEY_ID = env.str("NHS_LOGIN_KEY_ID", default="")
NHS_LOGIN_SCOPES = env.str(
    "NHS_LOGIN_SCOPES", default="openid profile email phone gp_registration_details"
)
# Vectors of trust asked for at sign-in: P5 and P9, both with two factors. Features that need
# P9 step up with the P9 vectors of this list only.
NHS_LOGIN_VTR: list[str] = env.json(
    "NHS_LOGIN_VTR",
    default=["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"],
)
# Seconds each call to NHS login's back channel (discovery, JWKS, token, userinfo) may take in
# all, from connecting to the last byte of the answer (core/outbound.py). No retries.
NHS_LOGIN_TIMEOUT_SECONDS = env.float("NHS_LOGIN_TIMEOUT_SECONDS", default=10.0)
# Seconds the whole NHS login callback may spend on those calls together: each call gets what
# is left, so a slow provider gives the patient the "NHS login is not working" page before
# gunicorn kills the worker (GUNICORN_TIMEOUT_SECONDS, gunicorn.conf.py) and shows its own.
NHS_LOGIN_CALLBACK_BUDGET_SECONDS = env.float("NHS_LOGIN_CALLBACK_BUDGET_SECONDS", default=20.0)
# gunicorn reads this itself (gunicorn.conf.py); read here only to keep the budget below it,
# with time left to render the page.
GUNICORN_TIMEOUT_SECONDS = env.int("GUNICORN_TIMEOUT_SECONDS", default=30)
CALLBACK_BUDGET_MARGIN_SECONDS = 5
if NHS_LOGIN_CALLBACK_BUDGET_SECONDS > GUNICORN_TIMEOUT_SECONDS - CALLBACK_BUDGET_MARGIN_SECONDS:
    raise ImproperlyConfigured(
        f"NHS_LOGIN_CALLBACK_BUDGET_SECONDS ({NHS_LOGIN_CALLBACK_BUDGET_SECONDS:g}) must be at "
        f"least {CALLBACK_BUDGET_MARGIN_SECONDS} seconds below GUNICORN_TIMEOUT_SECONDS "
        f"({GUNICORN_TIMEOUT_SECONDS})."
    )
# The largest answer any outbound call may bring back (core/outbound.py): NHS login's are a few
# kilobytes; anything bigger is refused as invalid, not read into memory.
OUTBOUND_MAX_RESPONSE_BYTES = env.int("OUTBOUND_MAX_RESPONSE_BYTES", default=1_000_000)
# Seconds discovery and the JWKS are cached; an unknown kid refreshes the JWKS once at once.
NHS_LOGIN_METADATA_CACHE_SECONDS = env.int("NHS_LOGIN_METADATA_CACHE_SECONDS", default=3600)
# Clock skew allowed when checking exp and iat.
NHS_LOGIN_CLOCK_LEEWAY_SECONDS = env.int("NHS_LOGIN_CLOCK_LEEWAY_SECONDS", default=30)
# An ID token issued longer ago than this (plus the leeway) was not issued for the code just
# exchanged, and is refused.
NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS = env.int("NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS", default=300)
# NHS login's access tokens are RS512 JWTs with vot and vtm (Federation specification 4.3), and
# are checked as the ID token is; off only for a provider that issues opaque access tokens.
NHS_LOGIN_ACCESS_TOKEN_SIGNED = env_bool("NHS_LOGIN_ACCESS_TOKEN_SIGNED", default=True)
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
# Sign-ins each client address may start a minute (429 beyond it). Sized for a national
# service's Monday morning: a household behind one NAT or a GP practice's shared address, where
# several patients sign in and some press the button twice, stays well under 60; a script
# hammering the button from one address does not.
SIGN_IN_RATE_LIMIT_PER_MINUTE = env.int("SIGN_IN_RATE_LIMIT_PER_MINUTE", default=60)
# Sign-ins one browser session may have started and not finished (several tabs, a Back
# button); older ones are dropped, so the session store holds a bounded amount per session
# whatever the address (accounts/sign_in_flow.py).
NHS_LOGIN_MAX_PENDING_FLOWS = env.int("NHS_LOGIN_MAX_PENDING_FLOWS", default=10)
# mozilla-django-oidc keeps its own state, nonce and PKCE verifier per sign-in started: the
# same bound.
OIDC_MAX_STATES = NHS_LOGIN_MAX_PENDING_FLOWS
# How long the state of a sign-in the portal started stays usable. Not a limit on the time a
# patient spends at NHS login (proving who they are can take an hour): NHS login's code lives
# 10 minutes from its issue and state and nonce are single-use, so a session's 12 hours cannot
# discard a real answer (accounts/sign_in_flow.py).
NHS_LOGIN_FLOW_MAX_AGE_SECONDS = env.int("NHS_LOGIN_FLOW_MAX_AGE_SECONDS", default=12 * 60 * 60)
# NHS login's account settings page for the environment in use (NHS login's "NHS login user
# settings"), linked from signed-in pages; defaulted from the known issuers, no link otherwise.
NHS_LOGIN_SETTINGS_URLS_BY_ISSUER = {
    "https://auth.sandpit.signin.nhs.uk": "https://settings.sandpit.signin.nhs.uk",
    "https://auth.aos.signin.nhs.uk": "https://settings.aos.signin.nhs.uk",
    "https://auth.login.nhs.uk": "https://settings.login.nhs.uk",
}
NHS_LOGIN_SETTINGS_URL = env.str(
    "NHS_LOGIN_SETTINGS_URL", default=NHS_LOGIN_SETTINGS_URLS_BY_ISSUER.get(NHS_LOGIN_ISSUER, "")
).rstrip("/")

# mozilla-django-oidc, extended in accounts/ for private_key_jwt (docs/adr/0006).
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: refuses an admin sign-in while its username or address
    # is locked out, before any password is checked. Patients never reach it (AXES_ONLY_ADMIN_SITE).
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.NhsLoginBackend",  # patients
    "django.contrib.auth.backends.ModelBackend",  # practice staff in Django admin
]
OIDC_RP_CLIENT_ID = NHS_LOGIN_CLIENT_ID
OIDC_RP_SCOPES = NHS_LOGIN_SCOPES
OIDC_RP_SIGN_ALGO = "RS512"
OIDC_USE_NONCE = True
OIDC_STATE_SIZE = 43
OIDC_NONCE_SIZE = 43
# PKCE (RFC 7636) on every authorization request, with S256, the one method that keeps the
# verifier out of the request (RFC 9700, 2.1.1): mozilla-django-oidc makes a verifier per
# sign-in, keeps it with that sign-in's state and nonce in the session and sends it with the
# code. Not a variable: nothing should turn it off (docs/adr/0012).
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
# 64 characters drawn from 62 (about 380 bits), within RFC 7636 4.1's 43 to 128.
OIDC_PKCE_CODE_VERIFIER_SIZE = 64
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:nhs_login_callback"

# Practice staff sign in to Django admin with a username and password (docs/adr/0011).
# Failed sign-ins are counted in the database by django-axes, per username and, apart, per
# client address (the trusted address of core/client_address.py); at either limit sign-in is
# refused, even with the right password, until ADMIN_LOCKOUT_MINUTES after the last failure.
# A username that does not exist is counted and locked like one that does.
ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT = env.int("ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT", default=5)
# Larger: a GP practice's staff share one address, and a few mistyped passwords each must not
# lock the whole practice out.
ADMIN_LOCKOUT_FAILURES_PER_ADDRESS = env.int("ADMIN_LOCKOUT_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOCKOUT_MINUTES = env.int("ADMIN_LOCKOUT_MINUTES", default=15)
for _name, _value in (
    ("ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT", ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT),
    ("ADMIN_LOCKOUT_FAILURES_PER_ADDRESS", ADMIN_LOCKOUT_FAILURES_PER_ADDRESS),
    ("ADMIN_LOCKOUT_MINUTES", ADMIN_LOCKOUT_MINUTES),
):
    if _value < 1:  # zero would lock every sign-in out, or none
        raise ImproperlyConfigured(f"{_name} must be at least 1, not {_value}")
# Who a locked-out or stuck member of staff should contact besides their practice's
# administrator, as shown on the admin's pages (e.g. "the service desk on 0300 000 0000").
ADMIN_SERVICE_DESK = env.str("ADMIN_SERVICE_DESK", default="your IT supplier's service desk")
# Staff must pass a second factor (a TOTP authenticator app, django-otp) to use the admin;
# those without one set it up at their first sign-in. On unless turned off (local settings).
ADMIN_TWO_FACTOR_REQUIRED = env_bool("ADMIN_TWO_FACTOR_REQUIRED", default=True)
# A host name of the admin's own (e.g. admin.portal.example.org): /admin/ is then served there
# only, and nothing but the admin and health checks is (core/admin_host.py). Empty: the admin
# is at /admin/ on every host. Must be listed in ALLOWED_HOSTS too.
ADMIN_HOST = env.str("ADMIN_HOST", default="").strip().lower()

# django-axes, as the lines above configure it (accounts/staff_lockout.py).
# No banner on every manage.py command; lockouts themselves are still logged.
AXES_VERBOSE = False
AXES_HANDLER = "accounts.staff_lockout.StaffLockoutHandler"
AXES_LOCK_OUT_AT_FAILURE = True
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# axes compares every parameter with one limit; the handler gives each its own and uses this
# one only where axes itself needs a number.
AXES_FAILURE_LIMIT = max(ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT, ADMIN_LOCKOUT_FAILURES_PER_ADDRESS)
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOCKOUT_MINUTES)
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_lockout_address"
AXES_LOCKOUT_CALLABLE = "accounts.staff_lockout.staff_locked_out_response"
# Only the admin's sign-in: patients sign in through NHS login, whose own controls apply.
AXES_ONLY_ADMIN_SITE = True
AXES_HTTP_RESPONSE_CODE = 429
# Never written to the attempts' stored form data, nor logged.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "csrfmiddlewaretoken"]
# Tries while locked out are refused without being counted, so the time shown on the lockout
# page holds; a success does not wipe the address's count of other accounts' failures.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = False
# The project's own admin for attempts and sign-ins (accounts/admin.py), superusers only.
AXES_ENABLE_ADMIN = False

# django-otp's TOTP devices: the name authenticator apps show, and throttling on (each wrong
# code doubles the wait before the next is checked: 1 s, 2 s, 4 s ...).
OTP_TOTP_ISSUER = f"{SERVICE_NAME} admin"
OTP_TOTP_THROTTLE_FACTOR = 1

# NHS login keeps no session for us (NHS login's "Session management"): after 30 minutes
# without activity and after 12 hours in all the portal ends the session and sends the patient
# straight to NHS login to sign in again (prompt=login); a warning page comes 2 minutes before
# the inactivity limit.
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Linkage keys (docs/linkage-api.md). Keys are encrypted at rest with Fernet; the list lets
# them rotate: the first key encrypts, every key decrypts (docs/adr/0007). Required in
# production; local settings generate one under DATA_DIR.
LINKAGE_ENCRYPTION_KEYS: list[str] = env.list("LINKAGE_ENCRYPTION_KEYS", default=[])
# Patients younger than this cannot have a key created (their birthday counts).
LINKAGE_MINIMUM_AGE = env.int("LINKAGE_MINIMUM_AGE", default=16)
# Linkage API: bearer tokens' lifetime and each client's request budget per minute.
LINKAGE_API_TOKEN_SECONDS = env.int("LINKAGE_API_TOKEN_SECONDS", default=300)
LINKAGE_API_RATE_LIMIT_PER_MINUTE = env.int("LINKAGE_API_RATE_LIMIT_PER_MINUTE", default=300)
# Per client address, checked before a token is looked up or anything is written, so anonymous
# callers are bounded too. A supplier may run several clients from one egress address: four
# clients at their full budget fit in 1,200 a minute. A client needs a token every five
# minutes, so 60 token requests a minute from one address is many clients, or an attack.
LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = env.int(
    "LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default=1200
)
LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = env.int(
    "LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default=60
)

# A bare JSON view at /bench/baseline for `make bench` to measure the stack's own ceiling.
# Off everywhere but the benchmark; production refuses it.
BENCHMARK_BASELINE_ENABLED = env_bool("BENCHMARK_BASELINE_ENABLED", default=False)
# Whether linkage/demo.py may create the demo practice and its synthetic patients: a property of
# the settings module, not of the environment. On for a laptop, the tests and the one-machine
# stack; off in production, which never holds anyone but real patients.
DEMO_SEED_ALLOWED = False

# The built-in NHS login simulator (docs/adr/0005): an OpenID Provider for offline development
# and tests. Installed and mounted at /nhs-login-simulator/ only when enabled; production
# refuses to start with it on.
NHS_LOGIN_SIMULATOR_ENABLED = env_bool("NHS_LOGIN_SIMULATOR_ENABLED", default=False)
# Where it is mounted (citizen_portal/urls.py). The portal's middleware (session limits, CSP)
# leaves the paths in PORTAL_MIDDLEWARE_EXEMPT_PREFIXES alone: they stand in for NHS login.
NHS_LOGIN_SIMULATOR_PATH_PREFIX = "/nhs-login-simulator/"
PORTAL_MIDDLEWARE_EXEMPT_PREFIXES: list[str] = []
if NHS_LOGIN_SIMULATOR_ENABLED:
    INSTALLED_APPS.append("nhs_login_simulator")
    PORTAL_MIDDLEWARE_EXEMPT_PREFIXES.append(NHS_LOGIN_SIMULATOR_PATH_PREFIX)
NHS_LOGIN_SIMULATOR_ISSUER = env.str(
    "NHS_LOGIN_SIMULATOR_ISSUER", default=f"{PORTAL_BASE_URL}/nhs-login-simulator"
).rstrip("/")
NHS_LOGIN_SIMULATOR_KEY_DIR = Path(
    env.str("NHS_LOGIN_SIMULATOR_KEY_DIR", default=str(DATA_DIR / "nhs_login_simulator"))
)
# A fault applied to every flow (tests and demos of failure pages); see
# nhs_login_simulator/faults.py for the names. Testers can also pick one per sign-in.
NHS_LOGIN_SIMULATOR_FAULT = env.str("NHS_LOGIN_SIMULATOR_FAULT", default="")
NHS_LOGIN_SIMULATOR_SLOW_SECONDS = env.float("NHS_LOGIN_SIMULATOR_SLOW_SECONDS", default=15.0)
# The drip-feed faults send their answer one byte at a time, this many seconds apart.
NHS_LOGIN_SIMULATOR_DRIP_SECONDS = env.float("NHS_LOGIN_SIMULATOR_DRIP_SECONDS", default=4.0)

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

# Cookies and headers safe everywhere; production adds the HTTPS-only ones.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "core.views.csrf_failure"

# Content Security Policy (django-csp), in every environment so that development meets it
# first. No inline script but the page template's one line, which carries the nonce; fonts
# from the NHS's own font host; forms may post to ourselves and be redirected to NHS login.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "https://assets.nhs.uk"],
        "connect-src": [SELF],
        "form-action": [SELF, *([NHS_LOGIN_ISSUER] if NHS_LOGIN_ISSUER else [])],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
    # The simulator's pages set a policy of their own.
    "EXCLUDE_URL_PREFIXES": [*PORTAL_MIDDLEWARE_EXEMPT_PREFIXES],
}
# Nothing here uses these browser features: say so, so nothing embedded can either.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# "json" (one object a line, with the request id) or "plain" for a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.log_format.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "core.request_id.RequestIdFilter"},
        # Tokens, codes, keys and NHS numbers never reach a log line (core/log_redaction.py).
        "redact": {"()": "core.log_redaction.RedactionFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # At DEBUG these log what must never be logged (docs/security.md): every SQL statement with
        # its parameters (NHS numbers), and each template variable that cannot be resolved
        # with the repr of the whole template context (a linkage key). Never below INFO.
        **{
            name: {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL}
            for name in ("django.db.backends", "django.template")
        },
    },
}
