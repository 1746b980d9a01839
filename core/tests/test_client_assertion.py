"""core/client_assertion.py: what a private_key_jwt client assertion must be (RFC 7523, 3), for
the linkage API's token endpoint and the simulator's alike.

Times are fixed with time_machine where a rule has a boundary (a lifetime, a leeway): the rule
is then pinned to the second, and a test never depends on how long collection took."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import time_machine

from core.client_assertion import (
    ClientAssertionError,
    client_assertion_issuer,
    client_assertion_verify,
)
from core.rsa_keys import private_key_generate

AUDIENCE = "https://portal.example.org/api/oauth2/token"
KEY = private_key_generate()
# A whole second, so that the boundaries below are exact (PyJWT compares with a float "now").
NOW = 1_900_000_000


@pytest.fixture(autouse=True)
def _time_stands_still() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _assertion(*, algorithm: str = "RS512", **changes: Any) -> str:
    claims: dict[str, Any] = {
        "iss": "client-1",
        "sub": "client-1",
        "aud": AUDIENCE,
        "jti": "jti-1",
        "iat": NOW,
        "exp": NOW + 60,
        **changes,
    }
    key: Any = "shared-secret-" * 5 if algorithm.startswith("HS") else KEY
    # Signed as raw JSON: PyJWT's encode would refuse some of the claims the tests send.
    payload = json.dumps({k: v for k, v in claims.items() if v is not None}).encode()
    return jwt.PyJWS().encode(payload, key, algorithm=algorithm, headers={"typ": "JWT"})


def _verify(assertion: str, *, client_id: str = "client-1") -> dict[str, Any]:
    return client_assertion_verify(
        assertion, public_key=KEY.public_key(), client_id=client_id, audience=AUDIENCE
    )


def test_a_well_formed_assertion_is_accepted() -> None:
    assert _verify(_assertion())["jti"] == "jti-1"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": NOW + 300 + 30}, id="exp-at-the-longest-lifetime-and-leeway"),
        pytest.param({"exp": NOW - 29}, id="expired-within-the-leeway"),
        pytest.param({"iat": NOW + 30}, id="issued-in-the-future-within-the-leeway"),
        pytest.param({"nbf": NOW + 30}, id="not-before-within-the-leeway"),
        pytest.param({"iat": None}, id="no-iat"),
    ],
)
def test_assertions_at_the_edges_of_the_rules_are_accepted(changes: dict[str, Any]) -> None:
    assert _verify(_assertion(**changes))["sub"] == "client-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"exp": NOW + 300 + 31}, "exp is too far in the future", id="lives-too-long"),
        pytest.param({"exp": NOW - 30}, "Signature has expired", id="expired-beyond-the-leeway"),
        pytest.param({"iat": NOW + 31}, "not yet valid", id="issued-in-the-future"),
        pytest.param({"nbf": NOW + 31}, "not yet valid", id="not-yet-valid"),
        pytest.param({"exp": True}, "Signature has expired", id="exp-a-boolean-is-1970"),
        pytest.param({"exp": None}, 'missing the "exp" claim', id="no-exp"),
        pytest.param({"jti": None}, 'missing the "jti" claim', id="no-jti"),
        pytest.param({"jti": ""}, "jti must be a non-empty string", id="jti-empty"),
        pytest.param({"jti": 123}, "JWT ID must be a string", id="jti-a-number"),
        pytest.param({"sub": "client-2"}, "sub must equal iss", id="sub-another-client"),
        pytest.param({"iss": "client-2"}, "Invalid issuer", id="iss-another-client"),
        pytest.param(
            {"aud": "https://elsewhere.example/token"}, "Audience doesn't match", id="another-aud"
        ),
    ],
)
def test_assertions_breaking_a_rule_are_refused(changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(ClientAssertionError, match=reason):
        _verify(_assertion(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(lambda: {"exp": str(NOW + 60)}, id="exp-a-numeric-string"),
        pytest.param(lambda: {"iat": str(NOW)}, id="iat-a-numeric-string"),
        pytest.param(lambda: {"nbf": str(NOW)}, id="nbf-a-numeric-string"),
        pytest.param(lambda: {"iat": True}, id="iat-a-boolean"),
        pytest.param(lambda: {"nbf": True}, id="nbf-a-boolean"),
    ],
)
def test_times_that_are_not_json_numbers_are_refused_not_a_server_error(
    changes: Callable[[], dict[str, Any]],
) -> None:
    with pytest.raises(ClientAssertionError, match="exp, iat and nbf must be numbers"):
        _verify(_assertion(**changes()))


def test_the_issuer_is_read_before_verification_to_find_the_clients_key() -> None:
    assert client_assertion_issuer(_assertion(iss="client-7", sub="client-7")) == "client-7"


@pytest.mark.parametrize(
    ("assertion", "reason"),
    [
        pytest.param(lambda: "not-a-jwt", "is not a JWT", id="not-a-jwt"),
        pytest.param(lambda: _assertion(algorithm="RS256"), "signed with RS512", id="rs256"),
        pytest.param(lambda: _assertion(algorithm="HS512"), "signed with RS512", id="hs512"),
        pytest.param(lambda: _assertion(iss=None), "has no iss", id="no-iss"),
        pytest.param(lambda: _assertion(iss=""), "has no iss", id="iss-empty"),
        pytest.param(lambda: _assertion(iss=123), "has no iss", id="iss-a-number"),
    ],
)
def test_an_assertion_without_a_usable_issuer_is_refused_before_any_key_is_looked_up(
    assertion: Callable[[], str], reason: str
) -> None:
    with pytest.raises(ClientAssertionError, match=reason):
        client_assertion_issuer(assertion())
