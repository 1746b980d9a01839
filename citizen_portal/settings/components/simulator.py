"""The built-in NHS login simulator (docs/adr/0005): an OpenID Provider for offline development
and tests. Installed and mounted at /nhs-login-simulator/ only when enabled; production refuses
to start with it on (citizen_portal/settings/start_up_checks.py).

``simulator_install`` is the one place that installs it, for ``base`` when the environment
turns it on and for ``local`` and ``test``, which turn it on by default.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.portal import DATA_DIR, PORTAL_BASE_URL, env, env_bool
from core.nhs_identifiers import InvalidValueError, ods_code_normalise

_APP = "nhs_login_simulator"

NHS_LOGIN_SIMULATOR_ENABLED = env_bool("NHS_LOGIN_SIMULATOR_ENABLED", default=False)
# Where it is mounted (citizen_portal/urls.py). The portal's middleware (session limits, CSP)
# leaves the paths in PORTAL_MIDDLEWARE_EXEMPT_PREFIXES alone: they stand in for NHS login.
NHS_LOGIN_SIMULATOR_PATH_PREFIX = "/nhs-login-simulator/"
# Where it serves its endpoints (nhs_login_simulator/urls.py, mounted by the root URLs): an
# issuer ending so is the simulator, on whatever host and port it runs.
SIMULATOR_ISSUER_PATH = NHS_LOGIN_SIMULATOR_PATH_PREFIX.rstrip("/")
PORTAL_MIDDLEWARE_EXEMPT_PREFIXES: list[str] = []
# Unset or empty: mounted on the portal's own address (`make simulator` empties it, so that the
# simulator on its own port has that port's address whatever .env says).
NHS_LOGIN_SIMULATOR_ISSUER = (
    env.str("NHS_LOGIN_SIMULATOR_ISSUER", default="").strip()
    or f"{PORTAL_BASE_URL}/nhs-login-simulator"
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


def gp_systems_parse(
    raw: str, *, variable: str = "NHS_LOGIN_SIMULATOR_GP_SYSTEMS"
) -> dict[str, str]:
    """The GP systems the simulator knows, by practice: ODS code to the base URL of the linkage
    API that holds the practice (docs/adr/0026). Written as a JSON object or as
    ``A12345=http://...,B23456=https://...``; ``{}`` means none. Refuses, naming ``variable``,
    a code that is not six letters or digits, a URL that is not http or https, or a practice
    named twice."""
    raw = raw.strip()
    if not raw:
        return {}
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except ValueError as error:
            raise ImproperlyConfigured(f"{variable} is not valid JSON.") from error
        if not isinstance(parsed, dict) or not all(
            isinstance(value, str) for value in parsed.values()
        ):
            raise ImproperlyConfigured(f"{variable} must map ODS codes to URLs.")
        pairs = list(parsed.items())
    else:
        pairs = [
            (code, url)
            for code, _, url in (entry.partition("=") for entry in raw.split(","))
            if code.strip() or url.strip()
        ]
    directory: dict[str, str] = {}
    for code, url in pairs:
        try:
            ods_code = ods_code_normalise(code)
        except InvalidValueError as error:
            raise ImproperlyConfigured(
                f"{variable}: {code.strip()!r} is not an ODS code (6 letters or digits)."
            ) from error
        base_url = url.strip().rstrip("/")
        if not base_url.startswith(("http://", "https://")) or base_url.count("/") < 2:
            raise ImproperlyConfigured(f"{variable}: the URL for {ods_code} must be http or https.")
        if ods_code in directory:
            raise ImproperlyConfigured(f"{variable} names {ods_code} more than once.")
        directory[ods_code] = base_url
    return directory


# NHS login's side of GP credentials (docs/adr/0026): the GP system holding each practice,
# which the simulator asks for a user's linkage information when an IM1-enabled client asks
# for gp_integration_credentials. Unset: the demo practice (A12345, demo/practice.py) is held by
# this portal (taken as it is: production, which never runs the simulator, checks the address).
# Unset or empty mean the same; ``{}`` means no GP system, and the claim is always left out.
_GP_SYSTEMS: Any = env("NHS_LOGIN_SIMULATOR_GP_SYSTEMS", default=None)
NHS_LOGIN_SIMULATOR_GP_SYSTEMS = (
    {"A12345": PORTAL_BASE_URL} if _GP_SYSTEMS is None else gp_systems_parse(str(_GP_SYSTEMS))
)
# The simulator's client id at those GP systems' linkage APIs, as NHS login has one at each.
NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID = env.str(
    "NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID", default="nhs-login-simulator"
)
# How long one userinfo call may spend at the GP system in all (token, retrieve, create):
# beyond it the claim is left out, well within a relying party's own wait for userinfo.
NHS_LOGIN_SIMULATOR_GP_SYSTEM_TIMEOUT_SECONDS = env.float(
    "NHS_LOGIN_SIMULATOR_GP_SYSTEM_TIMEOUT_SECONDS", default=5.0
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
