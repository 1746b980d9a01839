"""Settings for real deployments: refuses to start without what it needs.

Every required variable is checked before anything else, and the error names all the missing
ones at once, so an operator fixes the deployment in one pass rather than one restart per
variable.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.http.request import validate_host

from citizen_portal.settings.base import *  # noqa: F403
from citizen_portal.settings.base import ADMIN_HOST, ALLOWED_HOSTS, env, env_bool

REQUIRED_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "PORTAL_BASE_URL",
    "NHS_LOGIN_ISSUER",
    "NHS_LOGIN_CLIENT_ID",
    "NHS_LOGIN_PRIVATE_KEY_PATH",
    "LINKAGE_ENCRYPTION_KEYS",
    # Replay records, tokens, rate limits and sessions must be shared by every worker and
    # server: without Redis each worker keeps its own, and one client assertion buys a token
    # from each of them.
    "REDIS_URL",
)

# Addresses patients' browsers and NHS login use: https only. NHS login registers https
# redirect URIs only (Federation specification 7.3), its issuers are https (4.2, iss), and an
# http issuer would let anyone on the path answer for it. Names that can only ever mean this
# machine (RFC 6761, 6.3: localhost and *.localhost) are the exception, for the stack compose.yaml
# runs on one computer.
HTTPS_VARIABLES = ("PORTAL_BASE_URL", "NHS_LOGIN_ISSUER")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def _loopback(host: str | None) -> bool:
    return host is not None and (host in _LOOPBACK_HOSTS or host.endswith(".localhost"))


def _https_problem(name: str) -> str | None:
    value = env.str(name, default="").strip()
    if not value:
        return None  # reported as missing
    try:
        address = urlsplit(value)
        host = address.hostname
    except ValueError:
        return f"{name} ({value}) is not a URL"
    if address.scheme == "https" and host:
        return None
    if address.scheme == "http" and _loopback(host):
        return None
    return f"{name} must be an https:// address, not {value}"


_problems = [
    f"{name} is missing or empty"
    for name in REQUIRED_VARIABLES
    if not env.str(name, default="").strip()
]
_problems += [problem for name in HTTPS_VARIABLES if (problem := _https_problem(name))]
if env_bool("DEBUG", default=False):
    _problems.append("DEBUG must not be on in production")
if env_bool("BENCHMARK_BASELINE_ENABLED", default=False):
    _problems.append("BENCHMARK_BASELINE_ENABLED must not be on in production")
if env_bool("NHS_LOGIN_SIMULATOR_ENABLED", default=False):
    _problems.append("NHS_LOGIN_SIMULATOR_ENABLED must not be on in production")
if ADMIN_HOST and not validate_host(ADMIN_HOST, ALLOWED_HOSTS):
    _problems.append(f"ADMIN_HOST ({ADMIN_HOST}) must be one of ALLOWED_HOSTS too")
if _problems:
    raise ImproperlyConfigured(
        "Production settings cannot start: " + "; ".join(_problems) + ". See .env.example."
    )

# TLS is terminated in front of the app servers, which see the original scheme in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
# Load balancers probe health over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=63072000)  # two years
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
