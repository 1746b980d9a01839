"""The client assertion the portal signs for NHS login's token endpoint, and how refusals from
the userinfo endpoint are read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import nhs_login_client
from accounts.nhs_login_client import (
    ProviderMetadata,
    UserinfoRefusedError,
    bearer_error,
    client_assertion,
    userinfo_request,
)
from core.rsa_keys import private_key_generate, private_key_write
from tests.security.secrets_in_logs import secret_register

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


@pytest.mark.parametrize(
    ("challenge", "error"),
    [
        pytest.param(
            'Bearer error="invalid_token", error_description="The access token expired"',
            "invalid_token",
            id="rfc-6750",
        ),
        pytest.param(
            "error=\u201dinvalid_token\u201d,\n"
            "error_description=\u201dThe access token expired\u201d",
            "invalid_token",
            id="federation-specification-example",
        ),
        pytest.param(
            'Bearer realm="nhs", error=insufficient_scope, scope="openid"',
            "insufficient_scope",
            id="unquoted",
        ),
        pytest.param(
            'Bearer error_description="see error=invalid_request", error="invalid_token"',
            "invalid_token",
            id="error-inside-a-description",
        ),
        pytest.param('Bearer error="<script>alert(1)</script>"', "unknown_error", id="not-a-code"),
        pytest.param('Bearer realm="nhs"', None, id="no-error"),
        pytest.param("", None, id="no-header"),
    ],
)
def test_bearer_error_is_read_from_the_challenge(challenge: str, error: str | None) -> None:
    assert bearer_error(challenge) == error


@dataclass
class StubUserinfo:
    """A userinfo endpoint over real HTTP that answers what the test sets."""

    url: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"


@pytest.fixture
def stub_userinfo(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> Iterator[StubUserinfo]:
    answer = StubUserinfo(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads the portal's log, not the stub's."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    answer.url = f"http://127.0.0.1:{server.server_address[1]}/userinfo"
    metadata = ProviderMetadata(
        issuer="https://auth.sandpit.signin.nhs.uk",
        authorization_endpoint="https://auth.sandpit.signin.nhs.uk/authorize",
        token_endpoint="https://auth.sandpit.signin.nhs.uk/token",
        userinfo_endpoint=answer.url,
        jwks_uri="https://auth.sandpit.signin.nhs.uk/.well-known/jwks.json",
    )
    monkeypatch.setattr(nhs_login_client, "provider_metadata", lambda: metadata)
    yield answer
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("status", "headers", "body", "error"),
    [
        pytest.param(
            401,
            {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
            b"",
            "invalid_token",
            id="bearer-error-in-header",
        ),
        pytest.param(
            403,
            {"WWW-Authenticate": 'Bearer error="insufficient_scope", scope="openid"'},
            b'{"error": "insufficient_scope"}',
            "insufficient_scope",
            id="header-and-body",
        ),
        pytest.param(
            400,
            {},
            b'{"error": "invalid_request", "error_description": "Invalid parameter content"}',
            "invalid_request",
            id="not-about-the-bearer-token-body-only",
        ),
        pytest.param(401, {}, b"<html>no</html>", "unknown_error", id="nothing-readable"),
    ],
)
def test_userinfo_refusal_is_raised_and_logged_with_its_code_only(
    stub_userinfo: StubUserinfo,
    caplog: pytest.LogCaptureFixture,
    status: int,
    headers: dict[str, str],
    body: bytes,
    error: str,
) -> None:
    stub_userinfo.status, stub_userinfo.headers, stub_userinfo.body = status, headers, body
    caplog.set_level("DEBUG")
    access_token = "opaque-access-token-for-the-stub-0123456789"
    secret_register(access_token)

    with pytest.raises(UserinfoRefusedError) as refused:
        userinfo_request(access_token=access_token)

    assert (refused.value.error, refused.value.status) == (error, status)
    warning = f"NHS login refused the userinfo request: {error} (HTTP {status})"
    assert warning in caplog.messages
    assert not any("expired" in m or "parameter content" in m for m in caplog.messages)
