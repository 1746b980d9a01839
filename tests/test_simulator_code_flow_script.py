"""scripts/simulator_code_flow.py runs the whole code flow against a real server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from core.rsa_keys import private_key_generate, private_key_pem

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_script_completes_the_code_flow_over_http(
    live_server: LiveServer, settings: SettingsWrapper, tmp_path: Path
) -> None:
    issuer = f"{live_server.url}/nhs-login-simulator"
    settings.NHS_LOGIN_SIMULATOR_ISSUER = issuer
    key_path = tmp_path / "client.pem"
    key_path.write_bytes(private_key_pem(private_key_generate()))
    redirect_uri = f"{live_server.url}/auth/nhs-login/callback/"
    call_command(
        "nhs_login_simulator_client_register",
        client_id="script-client",
        redirect_uris=[redirect_uri],
        public_key=key_path,
        scopes="openid profile email phone gp_registration_details",
        stdout=io.StringIO(),
    )

    completed = subprocess.run(
        [
            sys.executable,
            "scripts/simulator_code_flow.py",
            f"--issuer={issuer}",
            "--client-id=script-client",
            f"--private-key={key_path}",
            f"--redirect-uri={redirect_uri}",
        ],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["vot"] == "P9.Cp.Cd"
    assert "nhs_number" in outcome["userinfo_claims"]
    # Discovery, authorize, sign-in, consent, token, ID token, userinfo, refresh.
    assert completed.stdout.count("ok  ") == 8
    assert "agreed to share their information on the consent screen" in completed.stdout
    # It proves the tokens without ever printing one.
    assert "eyJ" not in completed.stdout


def test_the_script_fails_loudly_when_the_client_is_not_registered(
    live_server: LiveServer, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.NHS_LOGIN_SIMULATOR_ISSUER = f"{live_server.url}/nhs-login-simulator"
    key_path = tmp_path / "client.pem"
    key_path.write_bytes(private_key_pem(private_key_generate()))

    completed = subprocess.run(
        [
            sys.executable,
            "scripts/simulator_code_flow.py",
            f"--issuer={live_server.url}/nhs-login-simulator",
            "--client-id=unregistered",
            f"--private-key={key_path}",
            f"--redirect-uri={live_server.url}/auth/nhs-login/callback/",
        ],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert "FAILED" in completed.stderr
