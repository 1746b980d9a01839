"""The key sets of linkage API clients registered by JWKS URL (docs/adr/0007).

The token endpoint must read a client's keys before it can check the assertion's signature,
so whoever names that client in an assertion, signed or not, chooses when the portal calls
the client's URL. A URL that hangs or fails must therefore cost little and rarely:

- each fetch has a short deadline for the whole call (``JWKS_FETCH_SECONDS``, through
  core/outbound.py) and a small size cap;
- one fetch per client at a time, across every app server: a request that finds one under
  way is refused at once rather than waiting or fetching too;
- a failed fetch is remembered for ``JWKS_FAILURE_SECONDS``, during which token requests for
  that client are refused at once (``invalid_client``) and the URL is not called;
- only a 200 JSON object whose ``keys`` list holds an RSA key is kept, and only its RSA keys:
  a 404 or an HTML page is a failed fetch, never a key set;
- an assertion whose ``kid`` the kept set lacks fetches the set again once (the client rotated
  its key, as accounts/id_token.py allows NHS login to), at most once per
  ``JWKS_REFRESH_SECONDS`` for each client.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.cache import cache

from core.client_assertion import ClientAssertionError
from core.jwks import jwk_rsa_key, jwks_signing_key_or_refresh
from core.outbound import (
    OutboundResponseInvalidError,
    OutboundUnavailableError,
    http_request,
    json_object,
)

logger = logging.getLogger(__name__)

JWKS_FETCH_SECONDS = 2.0
JWKS_MAX_BYTES = 64 * 1024
JWKS_CACHE_SECONDS = 3600
JWKS_FAILURE_SECONDS = 60
JWKS_REFRESH_SECONDS = 10


class ClientKeySetUnavailableError(ClientAssertionError):
    """The client's key set cannot be read now: refused as ``invalid_client``, at once."""


class ClientKeySetCacheError(Exception):
    """The cache could not be reached: the caller fails closed."""


class _NotAKeySetError(Exception):
    pass


def _cache(operation: str, *args: Any) -> Any:
    try:
        return getattr(cache, operation)(*args)
    except Exception as error:  # django-redis raises its own ConnectionInterrupted
        raise ClientKeySetCacheError(operation) from error


def _cache_key(name: str, *, client_id: str, jwks_url: str) -> str:
    # The URL is part of the key: a client given a new URL in admin is fetched afresh.
    url_hash = hashlib.sha256(jwks_url.encode()).hexdigest()[:16]
    return f"linkage-api:jwks-{name}:{client_id}:{url_hash}"


def _rsa_jwks(response: Any) -> list[dict[str, Any]]:
    if response.status_code != 200:
        raise _NotAKeySetError(f"answered {response.status_code}")
    keys = json_object(response, "API client JWKS").get("keys")
    if not isinstance(keys, list):
        raise _NotAKeySetError("has no keys list")
    usable = [jwk for jwk in keys if jwk_rsa_key(jwk) is not None]
    if not usable:
        raise _NotAKeySetError("has no RSA key")
    return usable


def _key_set_fetch(*, client_id: str, jwks_url: str) -> dict[str, Any]:
    """Fetch, check and keep the client's key set, unless a fetch failed lately or is under
    way; raises ClientKeySetUnavailableError then, and when this fetch fails."""
    names = {"client_id": client_id, "jwks_url": jwks_url}
    if _cache("get", _cache_key("failed", **names)) is not None:
        raise ClientKeySetUnavailableError(
            "the client's JWKS could not be read lately: not fetched again yet"
        )
    fetching = _cache_key("fetching", **names)
    if not _cache("add", fetching, 1, int(JWKS_FETCH_SECONDS) + 1):
        raise ClientKeySetUnavailableError("the client's JWKS is being fetched: try again")
    try:
        try:
            response = http_request(
                "GET", jwks_url, timeout=JWKS_FETCH_SECONDS, max_bytes=JWKS_MAX_BYTES
            )
            keys = _rsa_jwks(response)
        except (OutboundUnavailableError, OutboundResponseInvalidError, _NotAKeySetError) as error:
            _cache("set", _cache_key("failed", **names), 1, JWKS_FAILURE_SECONDS)
            logger.warning(
                "API client %s: its JWKS cannot be used (%s); not fetched again for %s s",
                client_id,
                error,
                JWKS_FAILURE_SECONDS,
            )
            raise ClientKeySetUnavailableError("the client's JWKS cannot be read") from error
        key_set = {"keys": keys, "fetched_at": time.time()}
        _cache("set", _cache_key("keys", **names), key_set, JWKS_CACHE_SECONDS)
        return key_set
    finally:
        _cache("delete", fetching)


def client_key_set_key(*, client_id: str, jwks_url: str, kid: str | None) -> rsa.RSAPublicKey:
    """The RSA key, named by ``kid`` (any, without one), of the client's key set
    (core/jwks.py); a kid the kept set lacks refreshes it at most once a window."""
    names = {"client_id": client_id, "jwks_url": jwks_url}

    def kept() -> dict[str, Any]:
        key_set: dict[str, Any] | None = _cache("get", _cache_key("keys", **names))
        return key_set if key_set is not None else _key_set_fetch(**names)

    key = jwks_signing_key_or_refresh(
        kid,
        key_set=kept,
        key_set_refreshed=lambda: _key_set_fetch(**names),
        may_refresh=lambda key_set: time.time() - key_set["fetched_at"] >= JWKS_REFRESH_SECONDS,
    )
    if key is None:
        raise ClientAssertionError("no RS512 key in the client's JWKS matches the assertion's kid")
    return key
