"""local_setup: what `make run` does to sign a laptop's portal in against the simulator."""

from __future__ import annotations

import io
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings

from core.rsa_keys import public_key_pem
from nhs_login_simulator.models import Client

PORTAL_BASE_URL = "http://localhost:8000"
LOCAL_CLIENT_ID = "citizen-portal-local"


def private_key_from(path: Path) -> rsa.RSAPrivateKey:
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return private_key


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def local_settings(tmp_path: Path) -> Iterator[Path]:
    """A laptop's settings, with its NHS login key under this test's directory."""
    key_path = tmp_path / "data" / "nhs-login.pem"
    with override_settings(
        LOCAL_SETUP_ALLOWED=True,
        DEBUG=True,
        DATA_DIR=tmp_path / "data",
        NHS_LOGIN_PRIVATE_KEY_PATH=str(key_path),
        NHS_LOGIN_CLIENT_ID=LOCAL_CLIENT_ID,
        PORTAL_BASE_URL=PORTAL_BASE_URL,
    ):
        yield key_path


def local_setup() -> str:
    out = io.StringIO()
    call_command("local_setup", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_local_setup_generates_the_key_and_registers_the_portal(local_settings: Path) -> None:
    output = local_setup()

    assert file_mode(local_settings) == 0o600
    assert f"Generated the portal's NHS login key at {local_settings}" in output
    client = Client.objects.get(client_id=LOCAL_CLIENT_ID)
    assert client.client_id == LOCAL_CLIENT_ID
    assert client.redirect_uris == [f"{PORTAL_BASE_URL}/auth/nhs-login/callback/"]
    assert client.im1_enabled is True
    assert client.public_key_pem == public_key_pem(private_key_from(local_settings).public_key())
    assert "PRIVATE" not in client.public_key_pem


@pytest.mark.django_db
def test_local_setup_registers_the_portals_scopes_and_every_vtr_set_it_sends(
    local_settings: Path,
) -> None:
    """The simulator refuses a scope or vtr set not registered, as NHS login does."""
    with override_settings(
        NHS_LOGIN_SCOPES="openid profile email", NHS_LOGIN_VTR=["P5.Cp.Cd", "P9.Cp.Cd"]
    ):
        local_setup()

    client = Client.objects.get(client_id=LOCAL_CLIENT_ID)
    assert client.scopes == ["openid", "profile", "email"]
    assert client.vtr_sets == [["P5.Cp.Cd", "P9.Cp.Cd"], ["P9.Cp.Cd"]]


@pytest.mark.django_db
def test_local_setup_run_again_keeps_the_key_and_the_one_client(local_settings: Path) -> None:
    local_setup()
    key_before = local_settings.read_bytes()
    client_before = Client.objects.get(client_id=LOCAL_CLIENT_ID)

    output = local_setup()

    assert local_settings.read_bytes() == key_before
    assert "Generated" not in output
    client = Client.objects.get(client_id=LOCAL_CLIENT_ID)
    assert client.pk == client_before.pk
    assert client.public_key_pem == client_before.public_key_pem
    assert client.redirect_uris == [f"{PORTAL_BASE_URL}/auth/nhs-login/callback/"]


@pytest.mark.django_db
def test_local_setup_registers_a_key_that_was_already_there(
    local_settings: Path,
) -> None:
    call_command("nhs_login_keygen", "--out", str(local_settings), stdout=io.StringIO())
    existing = local_settings.read_bytes()

    local_setup()

    assert local_settings.read_bytes() == existing
    assert Client.objects.get(client_id=LOCAL_CLIENT_ID).public_key_pem == public_key_pem(
        private_key_from(local_settings).public_key()
    )


@pytest.mark.django_db
def test_local_setup_registers_the_demo_im1_app_with_a_key_of_its_own(
    local_settings: Path, tmp_path: Path
) -> None:
    """The relying party scripts/im1_partner_demo.py signs in as: IM1-enabled, asking for
    gp_integration_credentials, its key in the data directory, kept from one run to the next."""
    local_setup()
    key_path = tmp_path / "data" / "nhs_login" / "demo_im1_app_key.pem"
    key_before = key_path.read_bytes()

    local_setup()

    app = Client.objects.get(client_id="demo-im1-app")
    assert app.im1_enabled is True
    assert "gp_integration_credentials" in app.scopes
    assert app.redirect_uris == ["https://demo-im1-app.example.org/callback"]
    assert file_mode(key_path) == 0o600
    assert key_path.read_bytes() == key_before
    assert app.public_key_pem == public_key_pem(private_key_from(key_path).public_key())
    portal = Client.objects.get(client_id=LOCAL_CLIENT_ID)
    assert portal.public_key_pem != app.public_key_pem


@pytest.mark.django_db
def test_local_setup_refuses_settings_other_than_a_laptops(local_settings: Path) -> None:
    with (
        override_settings(LOCAL_SETUP_ALLOWED=False),
        pytest.raises(CommandError, match="local development"),
    ):
        local_setup()

    assert not local_settings.exists()
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_with_debug_off_local_setup_collects_the_static_files(
    local_settings: Path, tmp_path: Path
) -> None:
    """`DEBUG=false make run` serves them as production does (tests/browser/test_make_run.py)."""
    static_root = tmp_path / "staticfiles"
    with override_settings(DEBUG=False, STATIC_ROOT=static_root):
        output = local_setup()

    assert f"DEBUG is off: collected the static files into {static_root}" in output
    assert (static_root / "css" / "portal.css").is_file()
    assert (static_root / "vendor" / "nhsuk-frontend" / "nhsuk-frontend.min.css").is_file()


@pytest.mark.django_db
def test_with_debug_on_local_setup_collects_nothing(local_settings: Path, tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path / "staticfiles"):
        output = local_setup()

    assert "collected" not in output
    assert not (tmp_path / "staticfiles").exists()
