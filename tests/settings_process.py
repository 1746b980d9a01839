"""Settings as a fresh process reads them from exactly the environment given: how the tests of
configuration see what start-up really does, with nothing inherited from the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

# Every variable production refuses to start without, with harmless values.
PRODUCTION_ENV = {
    "SECRET_KEY": "a-production-like-secret-key-that-is-long-enough-0123456789",
    "ALLOWED_HOSTS": "portal.example.org",
    "DATABASE_URL": "postgres://portal@db.example.org:5432/portal",
    "PORTAL_BASE_URL": "https://portal.example.org",
    "NHS_LOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk",
    "NHS_LOGIN_CLIENT_ID": "citizen-portal",
    "NHS_LOGIN_PRIVATE_KEY_PATH": "/run/secrets/nhs-login.pem",
    "LINKAGE_ENCRYPTION_KEYS": "placeholder-only-settings-import-is-tested",
    "REDIS_URL": "redis://redis.example.org:6379/0",
    "SERVICE_ORGANISATION_NAME": "Example GP Systems Ltd",
    "SERVICE_CONTACT_EMAIL": "portal-support@example.org",
}


def settings_import(
    module: str, environment: dict[str, str], data_dir: Path, *, script: str
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (which prints what it reads) with ``citizen_portal.settings.<module>``."""
    return subprocess.run(
        [sys.executable, "-c", script],
        env={
            "PATH": os.defpath,
            "DJANGO_SETTINGS_MODULE": f"citizen_portal.settings.{module}",
            "DATA_DIR": str(data_dir),
            **environment,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def settings_read(
    module: str, environment: dict[str, str], data_dir: Path, *, script: str
) -> dict[str, Any]:
    """The JSON object ``script`` prints, once the settings have loaded without an error."""
    completed = settings_import(module, environment, data_dir, script=script)
    assert completed.returncode == 0, completed.stderr
    loaded: dict[str, Any] = json.loads(completed.stdout)
    return loaded
