"""The client assertion the portal signs for NHS login's token endpoint."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.nhs_login_client import client_assertion
from core.rsa_keys import private_key_generate, private_key_write

TOKEN_ENDPOINT = "https://auth.sandpit.signin.nhs.uk/token"


@pytest.fixture
def portal_key(settings: SettingsWrapper, tmp_path: Path) -> Path:
    key_path = tmp_path / "portal.pem"
    private_key_write(key_path, private_key_generate())
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(key_path)
    settings.NHS_LOGIN_CLIENT_ID = "portal-client"
    settings.NHS_LOGIN_KEY_ID = ""
    return key_path


def test_assertion_header_is_exactly_the_specifications_table(portal_key: Path) -> None:
    """Federation specification 4.1: alg RS512, typ JWT. A PEM-registered key has no kid, so
    an assertion that named one would be refused by a provider that selects keys by kid."""
    header = jwt.get_unverified_header(client_assertion(token_endpoint=TOKEN_ENDPOINT))

    assert header == {"alg": "RS512", "typ": "JWT"}


def test_assertion_carries_a_kid_only_when_one_is_configured(
    portal_key: Path, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_KEY_ID = "registered-jwk-1"

    header = jwt.get_unverified_header(client_assertion(token_endpoint=TOKEN_ENDPOINT))

    assert header == {"alg": "RS512", "typ": "JWT", "kid": "registered-jwk-1"}


def test_assertion_claims_name_the_client_and_the_token_endpoint(portal_key: Path) -> None:
    claims = jwt.decode(
        client_assertion(token_endpoint=TOKEN_ENDPOINT), options={"verify_signature": False}
    )

    assert claims["iss"] == claims["sub"] == "portal-client"
    assert claims["aud"] == TOKEN_ENDPOINT
    assert claims["exp"] - claims["iat"] == 60
    assert claims["jti"]
