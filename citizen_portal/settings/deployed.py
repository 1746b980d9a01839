"""What every deployment adds to ``base``, whether production or compose.yaml's one-machine
stack: the settings of a site behind TLS. Imported by ``production`` and ``stack`` once their
start-up checks have passed; never a DJANGO_SETTINGS_MODULE itself."""

from __future__ import annotations

from citizen_portal.settings.base import *  # noqa: F403
from citizen_portal.settings.base import env, env_bool

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
