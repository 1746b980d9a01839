"""Settings for the test suite (`make test`, pytest).

Uses PostgreSQL and Redis when DATABASE_URL and REDIS_URL are set (CI sets both), SQLite and
a memory cache otherwise. Never reads ``.env``: a developer's local file must not change what
the tests see.
"""

from __future__ import annotations

import os

from cryptography.fernet import Fernet

# pytest-xdist's workers share one Redis: each keeps its keys (rate-limit counters, cached
# metadata) under a prefix of its own, so that one worker's sign-ins never spend the limit
# another is testing. Set in the environment, before the settings read it, so that an app
# server a test starts (which inherits it, and these settings) uses the same prefix.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "citizen-portal")
if _WORKER and not _PREFIX.endswith(f"-{_WORKER}"):
    os.environ["CACHE_KEY_PREFIX"] = f"{_PREFIX}-{_WORKER}"

from citizen_portal.settings.base import *  # noqa: E402, F403
from citizen_portal.settings.base import (  # noqa: E402
    DATA_DIR,
    DATABASES,
    LOGGING,
    NHS_LOGIN_SETTINGS_URL,
    NHS_LOGIN_SIMULATOR_ISSUER,
    SECRET_KEY,
    env,
)
from citizen_portal.settings.components.demo import demo_install  # noqa: E402
from citizen_portal.settings.components.simulator import simulator_install  # noqa: E402

if not DATABASES:
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "test.sqlite3",
        "TEST": {"NAME": None},  # in memory
    }

# The suite signs patients in against the simulator, so it is always installed here.
NHS_LOGIN_SIMULATOR_ENABLED = True
simulator_install(globals())
# The simulator serves an NHS login settings page of its own.
NHS_LOGIN_SETTINGS_URL = NHS_LOGIN_SETTINGS_URL or f"{NHS_LOGIN_SIMULATOR_ISSUER}/settings"
# Account provisioning against the simulator; the tests that call it register the client and
# make its key (provisioning/tests/conftest.py).
NHS_LOGIN_PROVISIONING_URL = f"{NHS_LOGIN_SIMULATOR_ISSUER}/provisioning"
NHS_LOGIN_PROVISIONING_TOKEN_URL = f"{NHS_LOGIN_SIMULATOR_ISSUER}/token"
NHS_LOGIN_PROVISIONING_CLIENT_ID = "citizen-portal-provisioning-under-test"
NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH = ""
# The simulator's signing keys go wherever the test session puts them (conftest.py).
NHS_LOGIN_SIMULATOR_SLOW_SECONDS = 3.0
# No GP system unless a test names one: nhs_login_live (conftest.py) points the demo practice at
# the live server's portal, so no test reaches an address it did not start.
NHS_LOGIN_SIMULATOR_GP_SYSTEMS = {}

# Made afresh for each test run (never a committed secret), unless the environment gives one:
# app servers started by a test must share it.
LINKAGE_ENCRYPTION_KEYS = env.list("LINKAGE_ENCRYPTION_KEYS", default=[]) or [
    Fernet.generate_key().decode()
]

SECRET_KEY = SECRET_KEY or "test-suite-only-key-not-used-anywhere-else-0123456789"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

# Fast hashing: the suite creates staff users; password strength is not what it tests.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Serve static files from the finders so browser tests need no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

LOGGING["handlers"]["console"]["formatter"] = "plain"

# Every test signs in from 127.0.0.1 within the same minutes; the limit's own test lowers it.
SIGN_IN_RATE_LIMIT_PER_MINUTE = 10_000
LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 100_000
LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 100_000
IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE = 100_000

# The browser the Playwright tests drive: Debian's chromium package unless set.
CHROMIUM_PATH = env.str("CHROMIUM_PATH", default="/usr/bin/chromium")

# The demo app and its seed: the suite signs in as the simulator's users at the demo practice.
demo_install(globals())
