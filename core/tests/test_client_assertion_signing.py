"""The one private_key_jwt signer (core/client_assertion_signing.py): what it makes, the
verifier of core/client_assertion.py takes; its header is NHS login's, and each assertion is
fresh."""

from __future__ import annotations

import jwt
import time_machine

from core.client_assertion import client_assertion_verify
from core.client_assertion_signing import client_assertion_sign
from core.rsa_keys import private_key_generate

AUDIENCE = "https://portal.example.org/api/oauth2/token"


def test_an_assertion_signed_here_is_verified_by_the_portal_s_own_rules() -> None:
    key = private_key_generate()

    with time_machine.travel(1_800_000_000, tick=False):
        assertion = client_assertion_sign(private_key=key, client_id="client-1", audience=AUDIENCE)
        claims = client_assertion_verify(
            assertion, public_key=key.public_key(), client_id="client-1", audience=AUDIENCE
        )

    assert (claims["iss"], claims["sub"], claims["aud"]) == ("client-1", "client-1", AUDIENCE)
    assert (claims["iat"], claims["exp"]) == (1_800_000_000, 1_800_000_060)


def test_the_header_is_rs512_and_jwt_with_a_kid_only_when_one_is_given() -> None:
    key = private_key_generate()

    without = client_assertion_sign(private_key=key, client_id="c", audience=AUDIENCE)
    with_kid = client_assertion_sign(private_key=key, client_id="c", audience=AUDIENCE, key_id="k1")

    assert jwt.get_unverified_header(without) == {"alg": "RS512", "typ": "JWT"}
    assert jwt.get_unverified_header(with_kid) == {"alg": "RS512", "typ": "JWT", "kid": "k1"}


def test_every_assertion_has_a_jti_of_its_own() -> None:
    key = private_key_generate()

    jtis = {
        jwt.decode(
            client_assertion_sign(private_key=key, client_id="c", audience=AUDIENCE),
            options={"verify_signature": False},
        )["jti"]
        for _ in range(5)
    }

    assert len(jtis) == 5
