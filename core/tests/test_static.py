"""The design system's two halves stay paired, and production can collect the static files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from django.conf import settings

# nhsuk-frontend-jinja's README pairs each of its releases with one nhsuk-frontend release.
# Bump both pins together, then this table.
NHSUK_FRONTEND_FOR_JINJA = {"0.10.2": "10.6.1"}


def test_nhsuk_frontend_npm_package_matches_the_jinja_macros() -> None:
    base = Path(settings.BASE_DIR)
    pinned = json.loads((base / "package.json").read_text())["dependencies"]["nhsuk-frontend"]
    installed = json.loads((base / "node_modules" / "nhsuk-frontend" / "package.json").read_text())[
        "version"
    ]
    built = (base / "static" / "vendor" / "nhsuk-frontend" / "VERSION").read_text().strip()

    assert NHSUK_FRONTEND_FOR_JINJA[version("nhsuk-frontend-jinja")] == pinned
    assert installed == pinned
    assert built == pinned


RENDER_WITH_PRODUCTION_STATIC = """
import django
django.setup()
from django.test import Client
client = Client(raise_request_exception=True)
for path in ("/", "/no-such-page/", "/admin/login/"):
    response = client.get(path, secure=True, headers={"host": "portal.example.org"})
    print(path, response.status_code)
"""


def test_production_collectstatic_hashes_every_asset_and_pages_render_with_it(
    tmp_path: Path,
) -> None:
    """The manifest storage fails on a reference it cannot resolve (a missing source map), and
    static() fails on any path without a manifest entry: pages must render with it."""
    environment = {
        "PATH": os.defpath,
        "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.production",
        "SECRET_KEY": "collectstatic-check-key-0123456789-0123456789-0123456789",
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
        "PORTAL_BASE_URL": "https://portal.example.org",
        "NHS_LOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk",
        "NHS_LOGIN_CLIENT_ID": "citizen-portal",
        "NHS_LOGIN_PRIVATE_KEY_PATH": "/run/secrets/nhs-login.pem",
        "LINKAGE_ENCRYPTION_KEYS": "placeholder-only-settings-import-is-tested",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SERVICE_ORGANISATION_NAME": "Example GP Systems Ltd",
        "SERVICE_CONTACT_EMAIL": "portal-support@example.org",
        "DATA_DIR": str(tmp_path),
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    rendered = subprocess.run(
        [sys.executable, "-c", RENDER_WITH_PRODUCTION_STATIC],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    assert rendered.returncode == 0, rendered.stderr[-3000:]
    assert rendered.stdout.split() == ["/", "200", "/no-such-page/", "404", "/admin/login/", "200"]
    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())["paths"]
    for asset in (
        "vendor/nhsuk-frontend/nhsuk-frontend.min.css",
        "vendor/nhsuk-frontend/nhsuk-frontend.min.js",
        "css/portal.css",
        "js/portal.mjs",
    ):
        assert manifest[asset] != asset
