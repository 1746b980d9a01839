"""Finding the key that verifies an RS512 signature in a JSON Web Key Set (RFC 7517).

One rule for both key sets the portal reads: NHS login's, which sign its ID tokens
(accounts/id_token.py), and those of linkage API clients registered by JWKS URL, which sign
their client assertions (linkage/api_clients/key_sets.py). Where each set is fetched and kept
differs (NHS login's beside its discovery document; a client's with a deadline and a memory of
failures), so each caller brings its own fetch; the matching, and the one refresh for a key
rotated in since the set was kept, are here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ALGORITHM = "RS512"


def jwk_rsa_key(jwk: object) -> rsa.RSAPublicKey | None:
    """The RSA public key a JWK holds, if it can verify RS512: an RSA key (``kty``), for RS512
    or naming no algorithm (``alg``, RFC 7517 4.4), that parses. None for anything else."""
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        return None
    if jwk.get("alg", ALGORITHM) != ALGORITHM:
        return None
    try:
        key = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
    return key if isinstance(key, rsa.RSAPublicKey) else None


def jwks_signing_key(key_set: Mapping[str, Any], kid: str | None) -> rsa.RSAPublicKey | None:
    """The first usable key (``jwk_rsa_key``) of the set that ``kid`` names, or the first usable
    key when the signature names none. Several keys may share a kid when their types differ
    (RFC 7517, 4.5), and a provider lists more than one key while it rotates them."""
    keys = key_set.get("keys")
    if not isinstance(keys, list):
        return None
    for jwk in keys:
        if kid is not None and (not isinstance(jwk, dict) or jwk.get("kid") != kid):
            continue
        key = jwk_rsa_key(jwk)
        if key is not None:
            return key
    return None


def jwks_signing_key_or_refresh(
    kid: str | None,
    *,
    key_set: Callable[[], Mapping[str, Any]],
    key_set_refreshed: Callable[[], Mapping[str, Any]],
    may_refresh: Callable[[Mapping[str, Any]], bool] = lambda _kept: True,
) -> rsa.RSAPublicKey | None:
    """The key ``kid`` names in the set as kept (``key_set``); a kid the kept set lacks fetches
    the set again once (``key_set_refreshed``), when ``may_refresh`` allows, so that a key the
    signer has just rotated in is found without waiting for the kept set to expire."""
    kept = key_set()
    key = jwks_signing_key(kept, kid)
    if key is None and may_refresh(kept):
        key = jwks_signing_key(key_set_refreshed(), kid)
    return key
