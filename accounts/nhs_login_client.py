"""The portal's side of NHS login's back channel.

Every call to NHS login (discovery, JWKS, token, userinfo) goes through here, over the project's
one HTTP seam (core/outbound.py) with NHS login's timeout, and comes back parsed or as one of this
module's exceptions. Nothing here logs a token, code or claim: only endpoints, status codes and
OAuth error codes.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ImproperlyConfigured

from core.outbound import (
    OutboundResponseInvalidError,
    OutboundUnavailableError,
    http_request,
    json_object,
)

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# A client assertion is used once, straight away: a minute is plenty.
CLIENT_ASSERTION_LIFETIME_SECONDS = 60


class ProviderError(Exception):
    """NHS login could not be used for this sign-in."""


class ProviderUnavailableError(ProviderError):
    """NHS login timed out, refused the connection or answered 5xx: try again later."""


class ProviderResponseInvalidError(ProviderError):
    """NHS login answered with something that is not what the contract says (not JSON,
    missing fields, an issuer that is not the one configured)."""


class ProviderRefusedError(ProviderError):
    """NHS login refused the request with an OAuth error code."""

    def __init__(self, error: str, status: int) -> None:
        super().__init__(f"{error} (HTTP {status})")
        self.error = error
        self.status = status


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document the portal uses (OpenID Connect Discovery 1.0)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        return http_request(method, url, timeout=settings.NHS_LOGIN_TIMEOUT_SECONDS, **kwargs)
    except OutboundUnavailableError as error:
        raise ProviderUnavailableError(str(error)) from error


def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        return json_object(response, f"NHS login {what}")
    except OutboundResponseInvalidError as error:
        raise ProviderResponseInvalidError(str(error)) from error


def _refused(response: requests.Response, what: str) -> ProviderRefusedError:
    try:
        error = str(response.json().get("error", "unknown_error"))
    except (ValueError, AttributeError):
        error = "unknown_error"
    logger.warning("NHS login refused the %s: %s (HTTP %s)", what, error, response.status_code)
    return ProviderRefusedError(error, response.status_code)


def _cache_key(name: str) -> str:
    return f"nhs-login:{name}:{settings.NHS_LOGIN_ISSUER}"


def provider_metadata() -> ProviderMetadata:
    """NHS login's endpoints, from its discovery document (cached)."""
    if not settings.NHS_LOGIN_ISSUER:
        raise ImproperlyConfigured("NHS_LOGIN_ISSUER is not set")
    cached: dict[str, str] | None = django_cache.get(_cache_key("discovery"))
    if cached is None:
        url = f"{settings.NHS_LOGIN_ISSUER}/.well-known/openid-configuration"
        response = _send("GET", url)
        if response.status_code != 200:
            raise ProviderResponseInvalidError(f"discovery answered {response.status_code}")
        document = _json_object(response, "discovery document")
        names = [field.name for field in fields(ProviderMetadata)]
        if not all(isinstance(document.get(name), str) and document[name] for name in names):
            raise ProviderResponseInvalidError("discovery document lacks an endpoint")
        cached = {name: document[name] for name in names}
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be exactly the one we asked.
        if cached["issuer"] != settings.NHS_LOGIN_ISSUER:
            raise ProviderResponseInvalidError("discovery names a different issuer")
        django_cache.set(_cache_key("discovery"), cached, settings.NHS_LOGIN_METADATA_CACHE_SECONDS)
    return ProviderMetadata(**cached)


def provider_metadata_forget() -> None:
    """Drop the cached discovery document and JWKS, e.g. after changing provider."""
    django_cache.delete_many([_cache_key("discovery"), _cache_key("jwks")])


def provider_jwks(*, refresh: bool = False) -> dict[str, Any]:
    """NHS login's published signing keys (cached; ``refresh`` fetches them again)."""
    cached: dict[str, Any] | None = None if refresh else django_cache.get(_cache_key("jwks"))
    if cached is None:
        response = _send("GET", provider_metadata().jwks_uri)
        if response.status_code != 200:
            raise ProviderResponseInvalidError(f"JWKS answered {response.status_code}")
        cached = _json_object(response, "JWKS")
        if not isinstance(cached.get("keys"), list):
            raise ProviderResponseInvalidError("JWKS has no keys")
        django_cache.set(_cache_key("jwks"), cached, settings.NHS_LOGIN_METADATA_CACHE_SECONDS)
    return cached


@cache
def _load_private_key(path: str, modified: float) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"NHS_LOGIN_PRIVATE_KEY_PATH ({path}) is not a readable, unencrypted PEM key"
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured("NHS_LOGIN_PRIVATE_KEY_PATH must hold an RSA private key")
    return key


def client_private_key() -> rsa.RSAPrivateKey:
    """The portal's private key, read again when the file changes (key rotation)."""
    path = settings.NHS_LOGIN_PRIVATE_KEY_PATH
    try:
        modified = Path(path).stat().st_mtime
    except OSError as error:
        raise ImproperlyConfigured(f"NHS_LOGIN_PRIVATE_KEY_PATH ({path}) cannot be read") from error
    return _load_private_key(path, modified)


def client_assertion(*, token_endpoint: str) -> str:
    """A private_key_jwt client assertion (RFC 7523, section 3).

    The header is exactly the Federation specification's JWT header table (section 4.1):
    ``alg`` RS512 and ``typ`` JWT. NHS login registers a client's public key as a PEM, which
    has no key id, so a ``kid`` is sent only when ``NHS_LOGIN_KEY_ID`` says the provider
    registered a JWK under that id: a provider that selects keys by ``kid`` refuses an
    assertion whose ``kid`` names no key it holds (docs/nhs-login-conformance.md).
    """
    private_key = client_private_key()
    now = int(time.time())
    claims = {
        "iss": settings.NHS_LOGIN_CLIENT_ID,
        "sub": settings.NHS_LOGIN_CLIENT_ID,
        "aud": token_endpoint,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + CLIENT_ASSERTION_LIFETIME_SECONDS,
    }
    headers = {"typ": "JWT"}
    if settings.NHS_LOGIN_KEY_ID:
        headers["kid"] = settings.NHS_LOGIN_KEY_ID
    return jwt.encode(claims, private_key, algorithm="RS512", headers=headers)


def redirect_uri() -> str:
    """Always built from PORTAL_BASE_URL, never from the request's Host header."""
    return f"{settings.PORTAL_BASE_URL}/auth/nhs-login/callback/"


def token_request(*, code: str) -> dict[str, Any]:
    """Exchange an authorization code for tokens, authenticating with private_key_jwt."""
    token_endpoint = provider_metadata().token_endpoint
    response = _send(
        "POST",
        token_endpoint,
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(),
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion(token_endpoint=token_endpoint),
        },
    )
    if response.status_code != 200:
        raise _refused(response, "token request")
    tokens = _json_object(response, "token response")
    if not isinstance(tokens.get("id_token"), str) or not isinstance(
        tokens.get("access_token"), str
    ):
        raise ProviderResponseInvalidError("token response lacks id_token or access_token")
    return tokens


def userinfo_request(*, access_token: str) -> dict[str, Any]:
    response = _send(
        "GET",
        provider_metadata().userinfo_endpoint,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if response.status_code != 200:
        raise _refused(response, "userinfo request")
    return _json_object(response, "userinfo response")
