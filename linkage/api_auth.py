"""Authentication for the linkage API (docs/linkage-api.md, "Callers and authentication").

Clients swap a signed RS512 client assertion for a bearer token at POST /api/oauth2/token (the
NHS England API platform's signed-JWT pattern). Tokens are random strings kept, hashed, in the
cache backend for their five minutes, so any app server can check them; so are the assertion
``jti``s already seen and the per-client request counts. If the cache cannot be reached, every
check fails closed.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict

from core.client_assertion import (
    JWT_BEARER,
    ClientAssertionError,
    client_assertion_issuer,
    client_assertion_verify,
)
from core.rate_limit import (
    RateLimitUnavailableError,
    cache_redis,
    cache_redis_script,
    rate_limit_counter_key,
    rate_limit_retry_after,
)
from linkage.api_clients.key_sets import ClientKeySetCacheError, client_key_set_key
from linkage.api_clients.state import (
    ApiClientState,
    PracticeBinding,
    api_client_state_cache_key,
    api_client_state_get,
    api_client_state_of,
    api_client_state_set,
)
from linkage.errors import RateLimitedError, UnauthorizedError
from linkage.models import API_SCOPES, ApiClient


class OAuthError(Exception):
    """A token-endpoint refusal (RFC 6749, section 5.2)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class CacheUnavailableError(Exception):
    """The cache backend could not be reached: refuse rather than guess."""


@dataclass(frozen=True)
class ApiPrincipal:
    client_id: str
    scopes: tuple[str, ...]
    # The practices the client serves now; none unless given (docs/adr/0007).
    practices: PracticeBinding = field(default_factory=PracticeBinding)
    # This call's count in the client's one-minute budget, when it was counted in the same
    # round trip as the token was read (api_call_authenticate); None: not counted yet.
    counted: int | None = field(default=None, compare=False)


def token_endpoint_url() -> str:
    return f"{settings.PORTAL_BASE_URL}/api/oauth2/token"


def _cache(operation: str, *args: Any) -> Any:
    try:
        return getattr(cache, operation)(*args)
    except Exception as error:  # django-redis raises its own ConnectionInterrupted
        raise CacheUnavailableError(operation) from error


def _token_cache_key(token: str) -> str:
    return f"linkage-api:token:{hashlib.sha256(token.encode()).hexdigest()}"


def _jwks_public_key(client: ApiClient, kid: str | None) -> rsa.RSAPublicKey:
    """The key from the client's JWKS URL: fetched with a short deadline, failures remembered
    and never kept as keys (linkage/api_clients/key_sets.py)."""
    try:
        return client_key_set_key(client_id=client.client_id, jwks_url=client.jwks_url, kid=kid)
    except ClientKeySetCacheError as error:
        raise CacheUnavailableError("client key set") from error


def _rsa_public_key(pem: str) -> rsa.RSAPublicKey:
    """Only an RSA key can verify the RS512 assertions the token endpoint accepts."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ClientAssertionError("the client's registered key is not an RSA key")
    return key


@functools.lru_cache(maxsize=256)
def registered_public_key(pem: str) -> rsa.RSAPublicKey:
    """A registered client's key, parsed once per process rather than at every token request
    (docs/adr/0008).
    Keyed by the PEM itself, so a client whose key changes gets the new one. The rule is in an
    undecorated function of its own, which mutation testing reaches (docs/mutation-testing.md).
    """
    return _rsa_public_key(pem)


def _public_key(client: ApiClient, assertion: str) -> rsa.RSAPublicKey:
    if client.public_key_pem:
        return registered_public_key(client.public_key_pem)
    # A string or absent: PyJWT refuses a header whose kid is anything else, and
    # client_assertion_issuer has read this header already.
    kid = jwt.get_unverified_header(assertion).get("kid")
    return _jwks_public_key(client, kid)


def api_token_issue(form: QueryDict) -> dict[str, Any]:
    """Swap a valid client assertion for a five-minute bearer token."""
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != JWT_BEARER:
        raise OAuthError("invalid_request", f"client_assertion_type must be {JWT_BEARER}")
    assertion = form.get("client_assertion")
    if not assertion:
        raise OAuthError("invalid_request", "client_assertion is required")
    try:
        client_id = client_assertion_issuer(assertion)
        client = ApiClient.objects.filter(client_id=client_id, enabled=True).first()
        if client is None:
            raise ClientAssertionError("client_assertion iss is not an enabled client")
        claims = client_assertion_verify(
            assertion,
            public_key=_public_key(client, assertion),
            client_id=client.client_id,
            audience=token_endpoint_url(),
        )
    except ClientAssertionError as error:
        raise OAuthError("invalid_client", str(error), status=401) from error
    # Remembered until a minute after exp, beyond the 30 s leeway within which the assertion
    # is still accepted; exp is never more than that leeway in the past here.
    replay_window = int(claims["exp"] - time.time()) + 60
    if not _cache("add", f"linkage-api:jti:{client.client_id}:{claims['jti']}", 1, replay_window):
        raise OAuthError("invalid_client", "client_assertion jti has been used before", 401)
    token = secrets.token_urlsafe(32)
    scopes = [scope for scope in client.scopes if scope in API_SCOPES]
    lifetime = settings.LINKAGE_API_TOKEN_SECONDS
    _cache(
        "set", _token_cache_key(token), {"client_id": client.client_id, "scopes": scopes}, lifetime
    )
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(scopes),
    }


def api_token_authenticate(authorization: str) -> ApiPrincipal:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("A bearer token is required")
    stored = _cache("get", _token_cache_key(token.strip()))
    if stored is None:
        raise UnauthorizedError("The bearer token is not valid or has expired")
    # A client disabled, a scope withdrawn or a practice unbound after the token was issued
    # is refused at once.
    state = _client_state(stored["client_id"])
    if not state.scopes:
        raise UnauthorizedError("The client is disabled")
    return ApiPrincipal(
        stored["client_id"],
        tuple(scope for scope in stored["scopes"] if scope in state.scopes),
        state.practices,
    )


# One round trip for what every API call asks of Redis before its view runs (docs/adr/0008),
# in the order the checks have always run: the address's count, and only within its limit the
# token; with them, when this process has seen the token before and knows its client, the
# client's state and (if the token has the call's scope) the client's count. KEYS: the address
# counter, the token, then optionally the client state and the client counter; ARGV: the
# address's limit, the counters' expiry.
_API_CALL_SCRIPT = """
local address = redis.call('INCR', KEYS[1])
if address == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if address > tonumber(ARGV[1]) or #KEYS < 2 then return {address} end
local token = redis.call('GET', KEYS[2])
if not token or #KEYS < 3 then return {address, token} end
local state = redis.call('GET', KEYS[3])
if #KEYS < 4 then return {address, token, state} end
local client = redis.call('INCR', KEYS[4])
if client == 1 then redis.call('EXPIRE', KEYS[4], ARGV[2]) end
return {address, token, state, client}
"""
# The client's state and count for a token this process had not seen: KEYS the state and,
# optionally, the counter; ARGV the counter's expiry.
_CLIENT_SCRIPT = """
local state = redis.call('GET', KEYS[1])
if #KEYS < 2 then return {state} end
local client = redis.call('INCR', KEYS[2])
if client == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {state, client}
"""
# Which client each token seen here belongs to, and its scopes: only which keys to read with
# the token. The token itself is read from Redis on every call, so one that expired or was
# removed is refused as before; a token's client and scopes never change once issued.
_token_clients: dict[str, tuple[str, tuple[str, ...]]] = {}
_TOKEN_CLIENTS_KEPT = 10_000


def api_call_authenticate(authorization: str, *, address: str, scope: str) -> ApiPrincipal:
    """The address's limit, then the bearer token and its client's state, for one API call;
    with Redis in one round trip (two the first time this process sees a token), and each
    refusal as the checks one by one give it. Counts the call in the client's budget when the
    token has ``scope``; ``api_rate_limit`` then refuses it if that is spent."""
    redis = cache_redis()
    if redis is None:
        return _api_call_authenticate_step_by_step(authorization, address=address)
    now = time.time()
    scheme, _, raw_token = authorization.partition(" ")
    token = raw_token.strip() if scheme.lower() == "bearer" else ""
    token_key = _token_cache_key(token)
    keys = [rate_limit_counter_key(_address_budget(address, "api"), now=now)]
    known = _token_clients.get(token_key) if token else None
    if token:
        keys.append(token_key)
    if known is not None:
        keys += _client_keys(known, scope, now)
    limit = settings.LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE
    reply = _redis_script(redis, _API_CALL_SCRIPT, keys, [limit, 120])
    if int(reply[0]) > limit:
        raise RateLimitedError(
            "Too many requests from this address: try again later", retry_after=_retry_after(now)
        )
    if not token:
        raise UnauthorizedError("A bearer token is required")
    if not reply[1]:
        raise UnauthorizedError("The bearer token is not valid or has expired")
    stored = _decoded(reply[1])
    issued = (str(stored["client_id"]), tuple(stored["scopes"]))
    if known != issued:
        if len(_token_clients) >= _TOKEN_CLIENTS_KEPT:
            _token_clients.clear()
        _token_clients[token_key] = issued
        client_keys = _client_keys(issued, scope, now)
        reply = [None, None, *_redis_script(redis, _CLIENT_SCRIPT, client_keys, [120])]
    cached_state = api_client_state_of(_decoded(reply[2]) if reply[2] else None)
    state = cached_state if cached_state is not None else _client_state_remembered(issued[0])
    if not state.scopes:
        raise UnauthorizedError("The client is disabled")
    return ApiPrincipal(
        issued[0],
        tuple(granted for granted in issued[1] if granted in state.scopes),
        state.practices,
        counted=int(reply[3]) if len(reply) > 3 else None,
    )


def _decoded(raw: bytes) -> Any:
    """A value as django-redis stored it (pickled, or an integer as its digits)."""
    return cache.client.decode(raw)  # type: ignore[attr-defined]


def _client_keys(issued: tuple[str, tuple[str, ...]], scope: str, now: float) -> list[str]:
    """The client's state, and its counter if the token has the call's scope: a call refused
    for want of a scope is not counted (``api_rate_limit`` comes after the scope's check)."""
    client_id, scopes = issued
    keys = [api_client_state_cache_key(client_id)]
    if scope in scopes:
        keys.append(rate_limit_counter_key(_client_budget(client_id), now=now))
    return keys


def _redis_script(redis: Any, source: str, keys: list[str], args: list[Any]) -> list[Any]:
    try:
        return list(cache_redis_script(redis, source, keys, args))
    except Exception as error:  # redis-py's connection and timeout errors
        raise CacheUnavailableError("api call") from error


def _api_call_authenticate_step_by_step(authorization: str, *, address: str) -> ApiPrincipal:
    """``api_call_authenticate`` on a cache that is not Redis: the same checks, a call each."""
    retry_after = api_address_retry_after(
        address, endpoint="api", limit=settings.LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE
    )
    if retry_after is not None:
        raise RateLimitedError(
            "Too many requests from this address: try again later", retry_after=retry_after
        )
    return api_token_authenticate(authorization)


def _client_state(client_id: str) -> ApiClientState:
    """The scopes the client holds now (none if it is disabled or gone) and the practices it
    serves, read in one query when the cache does not know them."""
    try:
        state = api_client_state_get(client_id)
    except Exception as error:  # django-redis raises its own ConnectionInterrupted
        raise CacheUnavailableError("client state") from error
    return state if state is not None else _client_state_remembered(client_id)


def _client_state_remembered(client_id: str) -> ApiClientState:
    """The client's state from the database, remembered in the cache for the next call."""
    # One row per bound practice (one row, with no code, for a client bound to none).
    rows = list(
        ApiClient.objects.filter(client_id=client_id, enabled=True).values_list(
            "scopes", "all_practices", "practices__ods_code"
        )
    )
    state = ApiClientState(
        scopes=tuple(rows[0][0] or ()) if rows else (),
        practices=PracticeBinding(
            all_practices=bool(rows and rows[0][1]),
            ods_codes=frozenset(code for _, _, code in rows if code),
        ),
    )
    try:
        api_client_state_set(client_id, state)
    except Exception as error:
        raise CacheUnavailableError("client state") from error
    return state


def api_rate_limit(principal: ApiPrincipal) -> None:
    """A one-minute budget per client, shared by every app server: counted now, unless it was
    counted already with the token's read (``principal.counted``)."""
    limit = settings.LINKAGE_API_RATE_LIMIT_PER_MINUTE
    if principal.counted is not None:
        if principal.counted > limit:
            raise RateLimitedError(retry_after=_retry_after(time.time()))
        return
    try:
        retry_after = rate_limit_retry_after(_client_budget(principal.client_id), limit=limit)
    except RateLimitUnavailableError as error:
        raise CacheUnavailableError("rate limit") from error
    if retry_after is not None:
        raise RateLimitedError(retry_after=retry_after)


def _client_budget(client_id: str) -> str:
    return f"linkage-api:{client_id}"


def _address_budget(address: str, endpoint: str) -> str:
    return f"linkage-api:{endpoint}-address:{address}"


def _retry_after(now: float) -> int:
    return max(1, 60 - int(now % 60))


def api_address_retry_after(address: str, *, endpoint: str, limit: int) -> int | None:
    """Count one call from this client address to ``endpoint`` (``api`` or ``token``); None
    within ``limit`` a minute, else the seconds to wait.

    Checked before the token is looked up, the assertion parsed or anything written, so that
    callers with no token (who have no per-client budget) are bounded too. ``address`` is the
    client's as the trusted proxies report it (core/client_address.py).
    """
    try:
        return rate_limit_retry_after(_address_budget(address, endpoint), limit=limit)
    except RateLimitUnavailableError as error:
        raise CacheUnavailableError("rate limit") from error
