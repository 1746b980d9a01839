"""core/client_assertion.py: what a private_key_jwt client assertion must be (RFC 7523, 3), for
the linkage API's token endpoint and the simulator's alike."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from core.client_assertion import ClientAssertionError, client_assertion_verify
from core.rsa_keys import private_key_generate

AUDIENCE = "https://portal.example.org/api/oauth2/token"
KEY = private_key_generate()


def _assertion(**changes: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "client-1",
        "sub": "client-1",
        "aud": AUDIENCE,
        "jti": "jti-1",
        "iat": now,
        "exp": now + 60,
        **changes,
    }
    return jwt.encode(claims, KEY, algorithm="RS512")


def _verify(assertion: str) -> dict[str, Any]:
    return client_assertion_verify(
        assertion, public_key=KEY.public_key(), client_id="client-1", audience=AUDIENCE
    )


def test_a_well_formed_assertion_is_accepted() -> None:
    assert _verify(_assertion())["jti"] == "jti-1"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": str(int(time.time()) + 60)}, id="exp-a-numeric-string"),
        pytest.param({"iat": str(int(time.time()))}, id="iat-a-numeric-string"),
        pytest.param({"exp": True}, id="exp-a-boolean"),
    ],
)
def test_times_that_are_not_json_numbers_are_refused_not_a_server_error(
    changes: dict[str, Any],
) -> None:
    with pytest.raises(ClientAssertionError):
        _verify(_assertion(**changes))
