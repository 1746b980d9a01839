"""core/jwks.py: which key of a JWKS verifies an RS512 signature, and the one refresh for a key
rotated in. NHS login's keys (accounts/tests/test_id_token.py) and the API clients' keys
(linkage/tests/test_client_key_sets.py) are tested through their callers too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core.jwks import jwk_rsa_key, jwks_signing_key, jwks_signing_key_or_refresh


def _rsa_jwk(kid: str, **extra: Any) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**jwt.algorithms.RSAAlgorithm.to_jwk(key, as_dict=True), "kid": kid, **extra}


def _numbers(jwk: Mapping[str, Any]) -> int:
    key = jwk_rsa_key(dict(jwk))
    assert key is not None
    return key.public_numbers().n


@pytest.fixture(scope="module")
def first() -> dict[str, Any]:
    return _rsa_jwk("k1")


@pytest.fixture(scope="module")
def second() -> dict[str, Any]:
    return _rsa_jwk("k2", alg="RS512", use="sig")


def test_the_key_the_kid_names_is_found(first: dict[str, Any], second: dict[str, Any]) -> None:
    key = jwks_signing_key({"keys": [first, second]}, "k2")

    assert key is not None
    assert key.public_numbers().n == _numbers(second)


def test_without_a_kid_the_first_usable_key_is_taken(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    ec_jwk = {**jwt.algorithms.ECAlgorithm.to_jwk(ec_key, as_dict=True), "kid": "e1"}

    key = jwks_signing_key({"keys": [ec_jwk, second, first]}, None)

    assert key is not None
    assert key.public_numbers().n == _numbers(second)


@pytest.mark.parametrize(
    "unusable",
    [
        pytest.param(lambda jwk: {**jwk, "alg": "RS256"}, id="for-another-algorithm"),
        pytest.param(lambda jwk: {**jwk, "kty": "EC"}, id="not-rsa"),
        pytest.param(lambda jwk: {**jwk, "n": ""}, id="no-modulus"),
        pytest.param(lambda jwk: {**jwk, "n": 12345}, id="a-modulus-that-is-not-a-string"),
        pytest.param(lambda jwk: {key: v for key, v in jwk.items() if key != "e"}, id="no-e"),
        pytest.param(lambda jwk: [jwk], id="not-an-object"),
    ],
)
def test_a_key_that_cannot_verify_rs512_is_passed_over(
    first: dict[str, Any], second: dict[str, Any], unusable: Any
) -> None:
    same_kid = {**second, "kid": "k1"}

    assert jwks_signing_key({"keys": [unusable(first), same_kid]}, "k1") is not None
    assert jwk_rsa_key(unusable(first)) is None
    assert jwks_signing_key({"keys": [unusable(first)]}, "k1") is None


@pytest.mark.parametrize("key_set", [{}, {"keys": "k1"}, {"keys": None}, {"keys": []}])
def test_a_set_without_a_list_of_keys_has_no_key(key_set: dict[str, Any]) -> None:
    assert jwks_signing_key(key_set, "k1") is None
    assert jwks_signing_key(key_set, None) is None


def test_a_kid_the_kept_set_lacks_is_looked_for_in_one_refresh(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    fetched: list[str] = []

    def refreshed() -> dict[str, Any]:
        fetched.append("refresh")
        return {"keys": [first, second]}

    key = jwks_signing_key_or_refresh(
        "k2", key_set=lambda: {"keys": [first]}, key_set_refreshed=refreshed
    )

    assert key is not None
    assert key.public_numbers().n == _numbers(second)
    assert fetched == ["refresh"]


def test_a_kid_the_kept_set_holds_costs_no_refresh(first: dict[str, Any]) -> None:
    def refreshed() -> dict[str, Any]:
        raise AssertionError("refreshed although the kept set held the key")

    key = jwks_signing_key_or_refresh(
        "k1", key_set=lambda: {"keys": [first]}, key_set_refreshed=refreshed
    )

    assert key is not None


def test_no_refresh_when_the_caller_does_not_allow_one(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    asked: list[Mapping[str, Any]] = []

    def may_refresh(kept: Mapping[str, Any]) -> bool:
        asked.append(kept)
        return False

    key = jwks_signing_key_or_refresh(
        "k2",
        key_set=lambda: {"keys": [first]},
        key_set_refreshed=lambda: {"keys": [first, second]},
        may_refresh=may_refresh,
    )

    assert key is None
    assert asked == [{"keys": [first]}]  # asked about the set as kept


def test_a_private_key_published_in_a_key_set_is_never_used() -> None:
    """A set that publishes a private key is compromised: whoever read it can sign."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaked = {**jwt.algorithms.RSAAlgorithm.to_jwk(private, as_dict=True), "kid": "k1"}

    assert "d" in leaked
    assert jwk_rsa_key(leaked) is None
    assert jwks_signing_key({"keys": [leaked]}, "k1") is None
