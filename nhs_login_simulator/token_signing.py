"""How the simulator signs its tokens (RS512 with its published key, Federation specification
4), and how it breaks an ID token the way a fault chosen on its settings page asks: wrong
claims, no signature, the wrong algorithm, a key it never published, a header that names a key
of its own. The portal must refuse each (accounts/id_token.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import jwt
from django.utils import timezone

from core.rsa_keys import b64url, jwk_thumbprint, private_key_generate, public_key_pem
from nhs_login_simulator import keys
from nhs_login_simulator.faults import Fault
from nhs_login_simulator.vectors import ALLOWED_VECTORS

if TYPE_CHECKING:
    from nhs_login_simulator.tokens import Grant

ID_TOKEN_LIFETIME = timedelta(minutes=60)


def jwt_sign(claims: dict[str, Any], *, headers: dict[str, Any] | None = None) -> str:
    key = keys.current_signing_key()
    return jwt.encode(
        claims, key.private_key, algorithm="RS512", headers={"kid": key.kid, **(headers or {})}
    )


@cache
def _unpublished_key() -> keys.SigningKey:
    """A key that never appears in the JWKS, for the unknown-kid and bad-signature faults."""
    private_key = private_key_generate()
    return keys.SigningKey(jwk_thumbprint(private_key.public_key()), private_key)


def _hs512(claims: dict[str, Any], secret: bytes, *, kid: str) -> str:
    """An HMAC-signed token keyed with a public value: the algorithm-confusion attack."""
    signing_input = _unsigned({"alg": "HS512", "typ": "JWT", "kid": kid}, claims)
    signature = hmac.new(secret, signing_input, hashlib.sha512).digest()
    return signing_input.decode() + "." + b64url(signature)


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> bytes:
    return (
        b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    ).encode()


def id_token_sign(claims: dict[str, Any], *, fault: Fault, grant: Grant) -> str:
    """Sign the ID token, or break it in the way the chosen fault asks: in its claims, or in
    its header and signature."""
    return _signed_faulted(
        _claims_faulted(claims, fault=fault, grant=grant), fault=fault, grant=grant
    )


def _claims_faulted(claims: dict[str, Any], *, fault: Fault, grant: Grant) -> dict[str, Any]:
    """The claims as a claim fault leaves them (a copy: the grant's own are untouched)."""
    now = int(timezone.now().timestamp())
    claims = dict(claims)
    match fault:
        case Fault.ID_TOKEN_WRONG_ISS:
            claims["iss"] = "https://auth.login.nhs.uk.attacker.example"
        case Fault.ID_TOKEN_WRONG_AUD:
            claims["aud"] = "another-client"
        case Fault.ID_TOKEN_WRONG_AZP:
            claims["aud"] = [grant.client.client_id, "another-client"]
            claims["azp"] = "another-client"
        case Fault.ID_TOKEN_WRONG_NONCE:
            claims["nonce"] = secrets.token_urlsafe(16)
        case Fault.ID_TOKEN_NO_NONCE:
            claims.pop("nonce", None)
        case Fault.ID_TOKEN_EXPIRED:
            claims["iat"] = now - 7200
            claims["exp"] = now - 3600
        case Fault.ID_TOKEN_IAT_IN_FUTURE:
            claims["iat"] = now + 600
            claims["exp"] = now + 600 + int(ID_TOKEN_LIFETIME.total_seconds())
        case Fault.ID_TOKEN_VOT_NOT_REQUESTED:
            # Any offered vector the client did not ask for; if it asked for all of them, one
            # that is well formed but never offered.
            claims["vot"] = next(
                (v for v in sorted(ALLOWED_VECTORS) if v not in grant.vtr), "P9.Cp.Cx"
            )
        case Fault.ID_TOKEN_NO_VOT:
            claims.pop("vot", None)
    return claims


def _signed_faulted(claims: dict[str, Any], *, fault: Fault, grant: Grant) -> str:
    """The claims signed, or signed wrongly as a header or signature fault asks."""
    key = keys.current_signing_key()
    match fault:
        case Fault.ID_TOKEN_ALG_NONE:
            return _unsigned({"alg": "none", "typ": "JWT"}, claims).decode() + "."
        case Fault.ID_TOKEN_HS512_WITH_PUBLIC_KEY:
            public_pem = public_key_pem(key.private_key.public_key()).encode()
            return _hs512(claims, public_pem, kid=key.kid)
        case Fault.ID_TOKEN_HS512_WITH_CLIENT_KEY:
            # The client's own registered public key: a secret to no one, the client included.
            return _hs512(claims, grant.client.public_key_pem.encode(), kid=key.kid)
        case Fault.ID_TOKEN_RS256:
            return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})
        case Fault.ID_TOKEN_UNKNOWN_KID:
            other = _unpublished_key()
            return jwt.encode(
                claims, other.private_key, algorithm="RS512", headers={"kid": other.kid}
            )
        case Fault.ID_TOKEN_BAD_SIGNATURE:
            other = _unpublished_key()
            return jwt.encode(
                claims, other.private_key, algorithm="RS512", headers={"kid": key.kid}
            )
        case Fault.ID_TOKEN_JKU_HEADER:
            return jwt_sign(claims, headers={"jku": "https://attacker.example/jwks.json"})
        case Fault.ID_TOKEN_X5U_HEADER:
            return jwt_sign(claims, headers={"x5u": "https://attacker.example/cert.pem"})
        case Fault.ID_TOKEN_JWK_HEADER:
            attacker = _unpublished_key()
            return jwt.encode(
                claims,
                attacker.private_key,
                algorithm="RS512",
                headers={"kid": attacker.kid, "jwk": attacker.public_jwk},
            )
    return jwt_sign(claims)
