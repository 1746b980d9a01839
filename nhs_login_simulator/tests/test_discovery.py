"""Discovery and JWKS: endpoints from the issuer, two published RS512 keys made at run time."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client as HttpClient
from django.test.utils import override_settings

from nhs_login_simulator import keys
from nhs_login_simulator.tests.conftest import ISSUER

pytestmark = pytest.mark.django_db


def test_discovery_names_every_endpoint_under_the_issuer(client: HttpClient) -> None:
    document = client.get("/nhs-login-simulator/.well-known/openid-configuration").json()

    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["userinfo_endpoint"] == f"{ISSUER}/userinfo"
    assert document["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert document["response_types_supported"] == ["code"]
    assert document["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert document["id_token_signing_alg_values_supported"] == ["RS512"]
    assert document["token_endpoint_auth_signing_alg_values_supported"] == ["RS512"]
    assert {"openid", "profile", "gp_integration_credentials"} <= set(document["scopes_supported"])
    assert "P9.Cp.Cd" in document["vtr_supported"]
    # NHS login's published documents name no PKCE support, so the simulator claims none,
    # though it holds a client that sends a challenge to its verifier.
    assert "code_challenge_methods_supported" not in document


def test_discovery_follows_the_configured_issuer(client: HttpClient) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_ISSUER="http://127.0.0.1:8001/nhs-login-simulator"):
        document = client.get("/nhs-login-simulator/.well-known/openid-configuration").json()

    assert document["token_endpoint"] == "http://127.0.0.1:8001/nhs-login-simulator/token"


def test_jwks_publishes_two_rsa_signing_keys_with_kids(client: HttpClient) -> None:
    published = client.get("/nhs-login-simulator/.well-known/jwks.json").json()["keys"]

    assert len(published) == 2
    assert len({key["kid"] for key in published}) == 2
    for key in published:
        assert key["kty"] == "RSA"
        assert key["alg"] == "RS512"
        assert key["use"] == "sig"
        assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}  # no private members


def test_keys_are_made_on_first_use_private_and_kept(tmp_path: Path, client: HttpClient) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_KEY_DIR=tmp_path):
        first = client.get("/nhs-login-simulator/.well-known/jwks.json").json()
        second = client.get("/nhs-login-simulator/.well-known/jwks.json").json()

    files = sorted((tmp_path / "signing-keys").glob("*.pem"))
    assert first == second
    assert len(files) == 2
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)


def test_rotation_signs_with_a_new_key_and_keeps_the_previous_one_published(
    tmp_path: Path,
) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_KEY_DIR=tmp_path):
        before = [key.kid for key in keys.signing_keys()]
        current = keys.keys_rotate()
        after = [key.kid for key in keys.signing_keys()]

    assert current.kid not in before
    assert after == [current.kid, before[0]]
    assert keys.current_signing_key().kid != current.kid  # back on the session's own key dir
