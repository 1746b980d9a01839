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
    rate_limit_retry_after,
    rate_limit_window_retry_after,
)
from linkage.api_clients.key_sets import ClientKeySetCacheError, client_key_set_key
from linkage.api_clients.state import (
    ApiClientState,
    PracticeBinding,
    api_client_state_get,
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


def token_cache_key(token: str) -> str:
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


# What a token request needs of its client, read with a fixed statement: building and compiling
# the ORM's query for it cost more Python than the rest of the request's own (docs/adr/0028).
# Through ``ApiClient.objects.raw``, as the register's read is (linkage/selectors.py): Django
# converts each value as the ORM would and leaves the other fields deferred.
_TOKEN_CLIENT_FIELDS = [
    model_field
    for model_field in ApiClient._meta.concrete_fields
    if model_field.name in ("id", "client_id", "public_key_pem", "jwks_url", "scopes")
]
_TOKEN_CLIENT_SQL = (
    f"SELECT {', '.join(model_field.column for model_field in _TOKEN_CLIENT_FIELDS)} "  # noqa: S608
    f"FROM {ApiClient._meta.db_table} WHERE client_id = %s AND enabled = %s"
)


def enabled_client_of(client_id: str) -> ApiClient | None:
    """The enabled client with this id, with what a token request reads of it; None if there
    is none (unknown or disabled)."""
    return next(iter(ApiClient.objects.raw(_TOKEN_CLIENT_SQL, [client_id, True])), None)


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
        client = enabled_client_of(client_id)
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
    token = secrets.token_urlsafe(32)
    scopes = [scope for scope in client.scopes if scope in API_SCOPES]
    lifetime = settings.LINKAGE_API_TOKEN_SECONDS
    if not _token_store(
        jti_key=f"linkage-api:jti:{client.client_id}:{claims['jti']}",
        replay_window=replay_window,
        token_key=token_cache_key(token),
        stored={"client_id": client.client_id, "scopes": scopes},
        lifetime=lifetime,
    ):
        raise OAuthError("invalid_client", "client_assertion jti has been used before", 401)
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": lifetime,
        "scope": " ".join(scopes),
    }


# The assertion's jti remembered, and only if it was new the token stored: one round trip, and
# atomic, so a replayed assertion never gets a token however many servers it reaches at once.
_JTI_THEN_TOKEN_SCRIPT = """
if redis.call('SET', KEYS[1], 1, 'NX', 'EX', ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0
"""  # noqa: S105 (a Lua script, not a secret)


def _token_store(
    *, jti_key: str, replay_window: int, token_key: str, stored: dict[str, Any], lifetime: int
) -> bool:
    """False if the jti was seen before (nothing stored); else the token is stored."""
    redis = cache_redis()
    if redis is None:
        if not _cache("add", jti_key, 1, replay_window):
            return False
        _cache("set", token_key, stored, lifetime)
        return True
    encoded = cache.client.encode(stored)  # type: ignore[attr-defined]
    reply = redis_script_or_unavailable(
        redis,
        _JTI_THEN_TOKEN_SCRIPT,
        [jti_key, token_key],
        [max(1, replay_window), encoded, lifetime],
    )
    return bool(reply[0]) if isinstance(reply, list) else bool(reply)


def api_token_authenticate(authorization: str) -> ApiPrincipal:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("A bearer token is required")
    stored = _cache("get", token_cache_key(token.strip()))
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


def redis_script_or_unavailable(redis: Any, source: str, keys: list[str], args: list[Any]) -> Any:
    """A script on the cache's Redis; CacheUnavailableError if it cannot be reached."""
    try:
        reply = cache_redis_script(redis, source, keys, args)
    except Exception as error:  # redis-py's connection and timeout errors
        raise CacheUnavailableError("api call") from error
    return list(reply) if isinstance(reply, list) else [reply]


def _client_state(client_id: str) -> ApiClientState:
    """The scopes the client holds now (none if it is disabled or gone) and the practices it
    serves, read in one query when the cache does not know them."""
    try:
        state = api_client_state_get(client_id)
    except Exception as error:  # django-redis raises its own ConnectionInterrupted
        raise CacheUnavailableError("client state") from error
    return state if state is not None else client_state_remembered(client_id)


def client_state_remembered(client_id: str) -> ApiClientState:
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
            raise RateLimitedError(retry_after=rate_limit_window_retry_after(time.time()))
        return
    try:
        retry_after = rate_limit_retry_after(client_budget(principal.client_id), limit=limit)
    except RateLimitUnavailableError as error:
        raise CacheUnavailableError("rate limit") from error
    if retry_after is not None:
        raise RateLimitedError(retry_after=retry_after)


def client_budget(client_id: str) -> str:
    return f"linkage-api:{client_id}"


def address_budget(address: str, endpoint: str) -> str:
    return f"linkage-api:{endpoint}-address:{address}"


def api_address_retry_after(address: str, *, endpoint: str, limit: int) -> int | None:
    """Count one call from this client address to ``endpoint`` (``api`` or ``token``); None
    within ``limit`` a minute, else the seconds to wait.

    Checked before the token is looked up, the assertion parsed or anything written, so that
    callers with no token (who have no per-client budget) are bounded too. ``address`` is the
    client's as the trusted proxies report it (core/client_address.py).
    """
    try:
        return rate_limit_retry_after(address_budget(address, endpoint), limit=limit)
    except RateLimitUnavailableError as error:
        raise CacheUnavailableError("rate limit") from error
