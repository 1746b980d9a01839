"""Verifying a private_key_jwt client assertion (RFC 7523, section 3).

Shared by every endpoint that authenticates machine clients this way: the linkage API's token
endpoint and the NHS login simulator's. Replay protection (``jti`` seen before) is the
caller's, since each keeps its own record of what it has seen.
"""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHM = "RS512"
CLOCK_LEEWAY_SECONDS = 30
# An assertion is for one request: it may not claim to live longer than this.
MAX_LIFETIME_SECONDS = 300


class ClientAssertionError(Exception):
    """Why the assertion was refused, in words safe to return to the client."""


def client_assertion_issuer(assertion: str) -> str:
    """The claimed client, read before verification to find the client's key."""
    try:
        header = jwt.get_unverified_header(assertion)
        claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise ClientAssertionError("client_assertion is not a JWT") from error
    if header.get("alg") != ALGORITHM:
        raise ClientAssertionError(f"client_assertion must be signed with {ALGORITHM}")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise ClientAssertionError("client_assertion has no iss")
    return issuer


def client_assertion_verify(
    assertion: str, *, public_key: rsa.RSAPublicKey, client_id: str, audience: str
) -> dict[str, Any]:
    """The assertion's claims once its signature, issuer, subject, audience and lifetime hold."""
    try:
        claims: dict[str, Any] = jwt.decode(
            assertion,
            public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=client_id,
            leeway=CLOCK_LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError as error:
        raise ClientAssertionError(f"client_assertion rejected: {error}") from error
    if claims["sub"] != client_id:
        raise ClientAssertionError("client_assertion sub must equal iss")
    if not isinstance(claims["jti"], str) or not claims["jti"]:
        raise ClientAssertionError("client_assertion jti must be a non-empty string")
    # RFC 7519, 2: NumericDate is a JSON number. PyJWT accepts "123" for exp; we do not.
    times = [claims[name] for name in ("exp", "iat", "nbf") if name in claims]
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in times):
        raise ClientAssertionError("client_assertion exp, iat and nbf must be numbers")
    if claims["exp"] > time.time() + MAX_LIFETIME_SECONDS + CLOCK_LEEWAY_SECONDS:
        raise ClientAssertionError("client_assertion exp is too far in the future")
    return claims
