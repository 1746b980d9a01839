"""The built-in NHS login simulator (docs/adr/0005): an OpenID Provider for offline development
and tests. Installed and mounted at /nhs-login-simulator/ only when enabled; production refuses
to start with it on (citizen_portal/settings/start_up_checks.py).

``simulator_install`` is the one place that installs it, for ``base`` when the environment
turns it on and for ``local`` and ``test``, which turn it on by default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from citizen_portal.settings.components.portal import DATA_DIR, PORTAL_BASE_URL, env, env_bool

_APP = "nhs_login_simulator"

NHS_LOGIN_SIMULATOR_ENABLED = env_bool("NHS_LOGIN_SIMULATOR_ENABLED", default=False)
# Where it is mounted (citizen_portal/urls.py). The portal's middleware (session limits, CSP)
# leaves the paths in PORTAL_MIDDLEWARE_EXEMPT_PREFIXES alone: they stand in for NHS login.
NHS_LOGIN_SIMULATOR_PATH_PREFIX = "/nhs-login-simulator/"
PORTAL_MIDDLEWARE_EXEMPT_PREFIXES: list[str] = []
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
# The simulator's client id at GP systems' linkage APIs, as NHS login has one at each
# (docs/adr/0026); its key is made in the key directory (nhs_login_simulator/keys.py).
NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID = env.str(
    "NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID", default="nhs-login-simulator"
)


def simulator_install(settings: dict[str, Any]) -> None:
    """Install the simulator into the settings module whose ``globals()`` are ``settings``:
    the app, and its pages left alone by the portal's session limits and its CSP (they set a
    policy of their own). Does nothing a second time; builds new values rather than changing
    the ones the module imported, which belong to ``base``."""
    if _APP not in settings["INSTALLED_APPS"]:
        settings["INSTALLED_APPS"] = [*settings["INSTALLED_APPS"], _APP]
    exempt: list[str] = settings["PORTAL_MIDDLEWARE_EXEMPT_PREFIXES"]
    if NHS_LOGIN_SIMULATOR_PATH_PREFIX not in exempt:
        exempt = [*exempt, NHS_LOGIN_SIMULATOR_PATH_PREFIX]
        settings["PORTAL_MIDDLEWARE_EXEMPT_PREFIXES"] = exempt
        settings["CONTENT_SECURITY_POLICY"] = {
            **settings["CONTENT_SECURITY_POLICY"],
            "EXCLUDE_URL_PREFIXES": [*exempt],
        }
