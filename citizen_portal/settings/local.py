"""Settings for a developer's laptop: `make run`.

Loads ``.env`` if there is one, turns DEBUG on, and fills in what a fresh clone lacks: a
SQLite database and a secret key generated on first run, both under the data directory.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from urllib.parse import urlsplit

import environ

_ENV_FILE = Path(__file__).resolve().parent.parent.parent / ".env"
if _ENV_FILE.is_file():
    # Must run before base reads the environment; variables already set win over the file.
    environ.Env.read_env(_ENV_FILE)

from citizen_portal.settings.base import *  # noqa: E402, F403
from citizen_portal.settings.base import (  # noqa: E402
    DATA_DIR,
    DATABASES,
    LINKAGE_ENCRYPTION_KEYS,
    LOGGING,
    NHS_LOGIN_CLIENT_ID,
    NHS_LOGIN_ISSUER,
    NHS_LOGIN_PRIVATE_KEY_PATH,
    NHS_LOGIN_PROVISIONING_CLIENT_ID,
    NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH,
    NHS_LOGIN_PROVISIONING_TOKEN_URL,
    NHS_LOGIN_PROVISIONING_URL,
    NHS_LOGIN_SETTINGS_URL,
    NHS_LOGIN_SIMULATOR_ISSUER,
    PORTAL_BASE_URL,
    SECRET_KEY,
    env,
    env_bool,
)
from citizen_portal.settings.components.demo import demo_install  # noqa: E402
from citizen_portal.settings.components.simulator import (  # noqa: E402
    SIMULATOR_ISSUER_PATH,
    simulator_install,
)
from core.secret_files import secret_file_write  # noqa: E402


def _own_host(url: str) -> str:
    """The host name of ``url`` as ALLOWED_HOSTS spells it (an IPv6 address in brackets)."""
    host = urlsplit(url).hostname or "localhost"
    return f"[{host}]" if ":" in host else host


DEBUG = env_bool("DEBUG", default=True)
LOGGING["handlers"]["console"]["formatter"] = env.str("LOG_FORMAT", default="plain")
# This machine's names, and whatever name the portal's own address uses (PORTAL_BASE_URL, or the
# HOST `make run` serves on: components/portal.py).
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=list(dict.fromkeys(["127.0.0.1", "localhost", _own_host(PORTAL_BASE_URL)])),
)

# Staff sign in to the admin with their password alone, unless .env turns the second factor on
# (ADMIN_TWO_FACTOR_REQUIRED=true) to try setting up an authenticator app. Production and the
# tests require it.
ADMIN_TWO_FACTOR_REQUIRED = env_bool("ADMIN_TWO_FACTOR_REQUIRED", default=False)

# Offline sign-in out of the box: the simulator is on unless .env turns it off.
NHS_LOGIN_SIMULATOR_ENABLED = env_bool("NHS_LOGIN_SIMULATOR_ENABLED", default=True)
if NHS_LOGIN_SIMULATOR_ENABLED:
    simulator_install(globals())

# Sign in against the simulator unless .env names another provider. `make run` generates the
# key and registers this client with the simulator (manage.py local_setup).
NHS_LOGIN_ISSUER = NHS_LOGIN_ISSUER or NHS_LOGIN_SIMULATOR_ISSUER
NHS_LOGIN_CLIENT_ID = NHS_LOGIN_CLIENT_ID or "citizen-portal-local"
# The simulator serves an NHS login settings page of its own, here or on a port of its own
# (`make simulator`): its issuer's path says it is the simulator.
if not NHS_LOGIN_SETTINGS_URL and (
    NHS_LOGIN_ISSUER == NHS_LOGIN_SIMULATOR_ISSUER
    or NHS_LOGIN_ISSUER.endswith(SIMULATOR_ISSUER_PATH)
):
    NHS_LOGIN_SETTINGS_URL = f"{NHS_LOGIN_ISSUER}/settings"
NHS_LOGIN_PRIVATE_KEY_PATH = NHS_LOGIN_PRIVATE_KEY_PATH or str(
    DATA_DIR / "nhs_login" / "private_key.pem"
)

# Account provisioning against the simulator unless .env names NHS login's: `make run` makes
# the key and registers the client with the simulator (manage.py local_setup).
if NHS_LOGIN_SIMULATOR_ENABLED or NHS_LOGIN_PROVISIONING_URL:
    NHS_LOGIN_PROVISIONING_URL = (
        NHS_LOGIN_PROVISIONING_URL or f"{NHS_LOGIN_SIMULATOR_ISSUER}/provisioning"
    )
    NHS_LOGIN_PROVISIONING_TOKEN_URL = (
        NHS_LOGIN_PROVISIONING_TOKEN_URL or f"{NHS_LOGIN_SIMULATOR_ISSUER}/token"
    )
    NHS_LOGIN_PROVISIONING_CLIENT_ID = (
        NHS_LOGIN_PROVISIONING_CLIENT_ID or "citizen-portal-provisioning-local"
    )
    NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH = NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH or str(
        DATA_DIR / "nhs_login" / "provisioning_private_key.pem"
    )

DATA_DIR.mkdir(parents=True, exist_ok=True)

if not DATABASES:
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
    }


def _local_secret_key(path: Path) -> str:
    """Return this checkout's own secret key, creating it on first run.

    A key committed to the repository would be a shared secret; one generated per checkout
    keeps sessions valid across restarts without anyone having to set SECRET_KEY.
    """
    if not path.exists():
        secret_file_write(path, secrets.token_urlsafe(50).encode())
    return path.read_text().strip()


if not SECRET_KEY:
    SECRET_KEY = _local_secret_key(DATA_DIR / "secret_key")


def _local_linkage_encryption_key(path: Path) -> str:
    """This checkout's own linkage-key encryption key, made on first run (mode 0600)."""
    from cryptography.fernet import Fernet

    if not path.exists():
        secret_file_write(path, Fernet.generate_key())
    return path.read_text().strip()


if not LINKAGE_ENCRYPTION_KEYS:
    LINKAGE_ENCRYPTION_KEYS = [_local_linkage_encryption_key(DATA_DIR / "linkage_encryption_key")]

# The demo practice and `make run`'s set-up (manage.py local_setup): the demo app, and its seed.
demo_install(globals())
LOCAL_SETUP_ALLOWED = True
