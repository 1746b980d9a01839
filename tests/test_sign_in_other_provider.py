"""The same build signs a patient in against another OpenID Provider given only the
NHS_LOGIN_* variables and that provider's registration of our public key.

The other provider is the simulator in a process of its own, on its own port, with its own
database and keys: nothing is shared with the portal but HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from django.conf import settings
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.models import Patient
from accounts.nhs_login_client import provider_metadata_forget
from accounts.sign_in_flow import vtr_sets_sent
from core.rsa_keys import private_key_generate, private_key_write
from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.portal_browser import PortalBrowser

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def other_provider(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}/nhs-login-simulator"
    environment = {
        "PATH": os.defpath,
        "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.local",
        "DATA_DIR": str(tmp_path / "provider"),
        "NHS_LOGIN_SIMULATOR_ISSUER": issuer,
        "NHS_LOGIN_SIMULATOR_ENABLED": "true",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--no-input", "-v0"],
        env=environment,
        cwd=settings.BASE_DIR,
        check=True,
    )
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=environment,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        yield issuer, environment
    finally:
        server.terminate()
        server.wait(timeout=10)


def _configure_portal_for(
    issuer: str,
    provider_environment: dict[str, str],
    live_server: LiveServer,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    key_path = tmp_path / "portal-key.pem"
    private_key_write(key_path, private_key_generate())
    # What the provider's operators do with our registration request: redirect URI, public
    # key, scopes and every vtr set we send, as on NHS login's registration form.
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "nhs_login_simulator_client_register",
            "--client-id=portal-at-other-provider",
            f"--redirect-uri={live_server.url}/auth/nhs-login/callback/",
            f"--public-key={key_path}",
            f"--scopes={settings.NHS_LOGIN_SCOPES}",
            *[f"--vtr={json.dumps(list(vtr))}" for vtr in vtr_sets_sent()],
        ],
        env=provider_environment,
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
    )
    # What we set: the public interface of NL02's configuration, nothing else (the CSP's
    # form-action follows the issuer by itself: accounts/content_security_policy.py).
    settings.PORTAL_BASE_URL = live_server.url
    settings.NHS_LOGIN_ISSUER = issuer
    settings.NHS_LOGIN_CLIENT_ID = "portal-at-other-provider"
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(key_path)
    provider_metadata_forget()


def test_signs_in_against_a_provider_on_another_port_configured_by_environment_alone(
    other_provider: tuple[str, dict[str, str]],
    live_server: LiveServer,
    settings: SettingsWrapper,
    tmp_path: Path,
) -> None:
    issuer, provider_environment = other_provider
    _configure_portal_for(issuer, provider_environment, live_server, settings, tmp_path)
    browser = PortalBrowser(live_server.url)

    page = browser.sign_in(user="p9-demo-practice")

    assert page.url == f"{live_server.url}/home/"
    assert "999 000 0018" in page.text
    assert Patient.objects.get().vot == "P9.Cp.Cd"


def test_a_browser_signs_in_against_a_provider_on_another_origin(
    other_provider: tuple[str, dict[str, str]],
    live_server: LiveServer,
    settings: SettingsWrapper,
    tmp_path: Path,
    page: Page,
) -> None:
    """Chromium enforces each page's CSP, form-action included, across the redirects between
    the two origins: the portal's form leads to the provider, the provider's back to us."""
    issuer, provider_environment = other_provider
    _configure_portal_for(issuer, provider_environment, live_server, settings, tmp_path)

    sign_in(page, live_server.url, P9_USER)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert page.url == f"{live_server.url}/home/"
