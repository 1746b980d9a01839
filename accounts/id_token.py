"""ID token validation (OpenID Connect Core 1.0, 3.1.3.7; shared/nhs-login.md, "Tokens").

Each rule raises ``IdTokenInvalidError`` with the reason, which is logged; the patient sees one
plain page whatever the reason.
"""

from __future__ import annotations

import hmac
from typing import Any

import jwt
from django.conf import settings

from accounts.nhs_login_client import provider_jwks, provider_metadata

ALGORITHM = "RS512"
# Keys come from the provider's JWKS only: never from a header the token carries itself.
FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c")
REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nonce", "vot"]


class IdTokenInvalidError(Exception):
    pass


class VotNotRequestedError(IdTokenInvalidError):
    """NHS login returned a vector of trust we did not ask for, such as P5 after a step-up."""


def _key_for(kid: str, jwks: dict[str, Any]) -> jwt.PyJWK | None:
    for candidate in jwks.get("keys", []):
        if not isinstance(candidate, dict) or candidate.get("kid") != kid:
            continue
        if candidate.get("kty") != "RSA" or candidate.get("alg", ALGORITHM) != ALGORITHM:
            continue
        try:
            return jwt.PyJWK(candidate, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            continue
    return None


def signing_key(kid: str) -> jwt.PyJWK:
    """The provider's key with this kid; an unknown kid refreshes the cached JWKS once, so a
    key the provider has just rotated in is found without waiting for the cache to expire."""
    key = _key_for(kid, provider_jwks())
    if key is None:
        key = _key_for(kid, provider_jwks(refresh=True))
    if key is None:
        raise IdTokenInvalidError(f"no RS512 key with kid {kid!r} in the provider's JWKS")
    return key


def id_token_verify(id_token: str, *, nonce: str, requested_vtr: tuple[str, ...]) -> dict[str, Any]:
    """The ID token's claims, once every rule NHS login's contract sets has been checked."""
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError as error:
        raise IdTokenInvalidError("not a JWS") from error
    if header.get("alg") != ALGORITHM:
        raise IdTokenInvalidError(f"alg {header.get('alg')!r} is not {ALGORITHM}")
    present = [name for name in FORBIDDEN_HEADERS if name in header]
    if present:
        raise IdTokenInvalidError(f"header carries {', '.join(present)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise IdTokenInvalidError("header has no kid")
    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            signing_key(kid),
            algorithms=[ALGORITHM],
            audience=settings.NHS_LOGIN_CLIENT_ID,
            issuer=provider_metadata().issuer,
            leeway=settings.NHS_LOGIN_CLOCK_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as error:
        raise IdTokenInvalidError(f"{type(error).__name__}: {error}") from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # Core 3.1.3.7 rules 4 and 5: with several audiences, azp must name us; if present, always.
    if len(audiences) > 1 and "azp" not in claims:
        raise IdTokenInvalidError("several audiences but no azp")
    if "azp" in claims and claims["azp"] != settings.NHS_LOGIN_CLIENT_ID:
        raise IdTokenInvalidError("azp is another client")
    if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise IdTokenInvalidError("nonce does not match the one sent")
    if claims["vot"] not in requested_vtr:
        raise VotNotRequestedError(f"vot {claims['vot']!r} was not requested")
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
        raise IdTokenInvalidError("sub is not a string of 1 to 255 characters")
    return claims
