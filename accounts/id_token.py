"""The checks on the tokens NHS login's token endpoint returns: the ID token (OpenID Connect
Core 1.0, 3.1.3.7; Federation specification 4.1, 4.2 and 5.1.4) and, when the provider signs
it, the access token (Federation specification 4.3).

Each rule raises a ``TokenInvalidError`` with the reason, which is logged; the patient sees one
plain page whatever the reason. A reason names the rule and at most a claim's short value,
never a token.
"""

from __future__ import annotations

import hmac
import time
from typing import Any
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from accounts.nhs_login_client import provider_jwks, provider_metadata
from core.jwks import ALGORITHM, jwks_signing_key_or_refresh

# Keys come from the provider's JWKS only: never from a header the token carries itself.
FORBIDDEN_HEADERS = ("jku", "jwk", "x5u", "x5c")
ID_TOKEN_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nonce", "vot", "vtm"]
# Federation specification 4.3, table 17: the access token's mandatory claims.
ACCESS_TOKEN_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "scope", "vot", "vtm"]
# Federation specification 5.1.1, table 19, lowest first.
IDENTITY_PROOFING_LEVELS = ("P0", "P5", "P9")


class TokenInvalidError(Exception):
    """A token from the provider broke one of the rules: the sign-in is refused."""


class IdTokenInvalidError(TokenInvalidError):
    pass


class VotNotRequestedError(IdTokenInvalidError):
    """NHS login returned a vector of trust we did not ask for, such as P5 after a step-up."""


class AccessTokenInvalidError(TokenInvalidError):
    pass


def signing_key(kid: str) -> rsa.RSAPublicKey | None:
    """The provider's key with this kid (core/jwks.py); an unknown kid refreshes the cached
    JWKS once, so a key the provider has just rotated in is found without waiting for the cache
    to expire."""
    return jwks_signing_key_or_refresh(
        kid, key_set=provider_jwks, key_set_refreshed=lambda: provider_jwks(refresh=True)
    )


def _short(value: object) -> str:
    """A claim's value as a log may show it: short, and never more than a claim."""
    return repr(value)[:40]


def _signed_claims(
    token: str,
    *,
    refused: type[TokenInvalidError],
    required: list[str],
    audience: str,
) -> dict[str, Any]:
    """The claims of an RS512 JWS signed with a key from the provider's JWKS (Federation
    specification 4.1 and 4.5), issued by the configured issuer for this client, in date."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise refused("not a JWS") from error
    if header.get("alg") != ALGORITHM:
        raise refused(f"alg {_short(header.get('alg'))} is not {ALGORITHM}")
    present = [name for name in FORBIDDEN_HEADERS if name in header]
    if present:
        raise refused(f"header carries {', '.join(present)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise refused("header has no kid")
    key = signing_key(kid)
    if key is None:
        raise refused(f"no RS512 key with kid {_short(kid)} in the provider's JWKS")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=provider_metadata().issuer,
            leeway=settings.NHS_LOGIN_CLOCK_LEEWAY_SECONDS,
            options={"require": required},
        )
    except jwt.PyJWTError as error:
        raise refused(f"{type(error).__name__}: {error}") from error
    return claims


def _on_the_issuers_origin(url: object) -> bool:
    """Same scheme, host and port as the issuer, and no user name to hide another host."""
    if not isinstance(url, str):
        return False
    issuer = urlsplit(provider_metadata().issuer)
    try:
        trustmark = urlsplit(url)
        return (
            trustmark.scheme.lower(),
            trustmark.hostname,
            trustmark.port,
            trustmark.username,
        ) == (issuer.scheme.lower(), issuer.hostname, issuer.port, None)
    except ValueError:  # a port that is not a number
        return False


def _vtm_check(claims: dict[str, Any], *, refused: type[TokenInvalidError]) -> None:
    """``vtm`` is the trustmark's URL (Federation specification 5.1.4); NHS login hosts its
    own (5.1.5: https://auth.login.nhs.uk/trustmark/auth.login.nhs.uk), so it must be on the
    issuer's own origin: a trustmark elsewhere would vouch for a vector NHS login did not."""
    if not _on_the_issuers_origin(claims["vtm"]):
        raise refused("vtm is not a URL on the issuer's origin")


def _level_rank(level: object) -> int | None:
    return IDENTITY_PROOFING_LEVELS.index(level) if level in IDENTITY_PROOFING_LEVELS else None


def _identity_proofing_level_check(
    claims: dict[str, Any], *, refused: type[TokenInvalidError]
) -> None:
    """``identity_proofing_level``, when present, is one of the levels of Federation
    specification 5.1.1 and, being the highest level the patient has reached ("Offering users
    medium (P5) and high (P9) verification"), never below the level this sign-in's ``vot``
    claims."""
    if "identity_proofing_level" not in claims:
        return
    level = _level_rank(claims["identity_proofing_level"])
    if level is None:
        raise refused(
            f"identity_proofing_level {_short(claims['identity_proofing_level'])} is not "
            "P0, P5 or P9"
        )
    vot_level = _level_rank(str(claims["vot"]).split(".")[0])
    if vot_level is None or level < vot_level:
        raise refused("identity_proofing_level is below the vot's level")


def _issued_at_check(claims: dict[str, Any]) -> None:
    """The ID token was issued for this sign-in, moments ago: NHS login's ID tokens live 60
    minutes (Federation specification 4.4), but one older than
    ``NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS`` was not issued for the code just exchanged."""
    issued_at = claims["iat"]
    if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
        raise IdTokenInvalidError("iat is not a number")
    age = time.time() - issued_at
    limit = settings.NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS + settings.NHS_LOGIN_CLOCK_LEEWAY_SECONDS
    if age > limit:
        raise IdTokenInvalidError(f"issued {int(age)} seconds ago, more than {limit}")


def id_token_verify(id_token: str, *, nonce: str, requested_vtr: tuple[str, ...]) -> dict[str, Any]:
    """The ID token's claims, once every rule NHS login's contract sets has been checked."""
    claims = _signed_claims(
        id_token,
        refused=IdTokenInvalidError,
        required=ID_TOKEN_REQUIRED_CLAIMS,
        audience=settings.NHS_LOGIN_CLIENT_ID,
    )
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # Core 3.1.3.7 rules 4 and 5: with several audiences, azp must name us; if present, always.
    if len(audiences) > 1 and "azp" not in claims:
        raise IdTokenInvalidError("several audiences but no azp")
    if "azp" in claims and claims["azp"] != settings.NHS_LOGIN_CLIENT_ID:
        raise IdTokenInvalidError("azp is another client")
    if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
        raise IdTokenInvalidError("nonce does not match the one sent")
    _issued_at_check(claims)
    if claims["vot"] not in requested_vtr:
        raise VotNotRequestedError(f"vot {_short(claims['vot'])} was not requested")
    _vtm_check(claims, refused=IdTokenInvalidError)
    _identity_proofing_level_check(claims, refused=IdTokenInvalidError)
    if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
        raise IdTokenInvalidError("sub is not a string of 1 to 255 characters")
    return claims


def access_token_verify(access_token: str, *, id_token_claims: dict[str, Any]) -> dict[str, Any]:
    """The access token's claims, checked as the ID token's are (Federation specification 4.3:
    NHS login's access tokens are RS512 JWTs with ``vot`` and ``vtm`` mandatory, and 5.1.4:
    "Returned values ... in the ID and Access tokens should be verified").

    It must be about the same patient, at the same vector of trust, as the ID token it came
    with; its ``identity_proofing_level`` must agree with the ID token's when both carry one.
    Used only when ``NHS_LOGIN_ACCESS_TOKEN_SIGNED`` is on: a provider that issues opaque
    access tokens has nothing here to check.
    """
    claims = _signed_claims(
        access_token,
        refused=AccessTokenInvalidError,
        required=ACCESS_TOKEN_REQUIRED_CLAIMS,
        audience=settings.NHS_LOGIN_CLIENT_ID,
    )
    if claims["sub"] != id_token_claims["sub"]:
        raise AccessTokenInvalidError("sub differs from the ID token's")
    if claims["vot"] != id_token_claims["vot"]:
        raise AccessTokenInvalidError(f"vot {_short(claims['vot'])} differs from the ID token's")
    _vtm_check(claims, refused=AccessTokenInvalidError)
    _identity_proofing_level_check(claims, refused=AccessTokenInvalidError)
    if (
        "identity_proofing_level" in claims
        and "identity_proofing_level" in id_token_claims
        and claims["identity_proofing_level"] != id_token_claims["identity_proofing_level"]
    ):
        raise AccessTokenInvalidError("identity_proofing_level differs from the ID token's")
    return claims
