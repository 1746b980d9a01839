"""Making a private_key_jwt client assertion (RFC 7523, section 3), the one signer for every
place the portal authenticates to a token endpoint as a client: NHS login's token endpoint, and
the command that makes an assertion for a linkage API client to try the API with. Verifying
one is core/client_assertion.py's work.

The header is exactly NHS login's Federation specification JWT header table (section 4.1):
``alg`` RS512 and ``typ`` JWT, and a ``kid`` only when the provider registered the key as a
JWK under that id (docs/nhs-login-conformance.md).
"""

from __future__ import annotations

import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from core.client_assertion import ALGORITHM

# A client assertion is used once, straight away: a minute is plenty.
LIFETIME_SECONDS = 60


def client_assertion_sign(
    *,
    private_key: rsa.RSAPrivateKey,
    client_id: str,
    audience: str,
    key_id: str = "",
    lifetime_seconds: int = LIFETIME_SECONDS,
) -> str:
    """An assertion whose ``iss`` and ``sub`` are the client, ``aud`` the token endpoint, with a
    fresh ``jti`` and ``lifetime_seconds`` to live."""
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    headers = {"typ": "JWT"}
    if key_id:
        headers["kid"] = key_id
    return jwt.encode(claims, private_key, algorithm=ALGORITHM, headers=headers)
