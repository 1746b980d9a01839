"""The checks before every linkage API call (and the IM1 API's, on the same bearer tokens):
the client address's budget, the bearer token, the client's state and its own budget, asked of
Redis in one round trip (docs/adr/0008; linkage/api_auth.py issues the tokens).

Each check keeps its order and its refusal, as when each was a call of its own: the address is
counted first, and only within its limit is the token read; a token's client is counted only
if the token has the call's scope. On a cache that is not Redis (a machine without one) the
checks run one call at a time.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache

from core.rate_limit import (
    cache_redis,
    rate_limit_counter_expiry,
    rate_limit_counter_key,
    rate_limit_window_retry_after,
)
from linkage.api_auth import (
    ApiPrincipal,
    address_budget,
    api_address_retry_after,
    api_token_authenticate,
    client_budget,
    client_state_remembered,
    redis_script_or_unavailable,
    token_cache_key,
)
from linkage.api_clients.state import api_client_state_cache_key, api_client_state_of
from linkage.errors import RateLimitedError, UnauthorizedError

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
    token_key = token_cache_key(token)
    keys = [rate_limit_counter_key(address_budget(address, "api"), now=now)]
    known = _token_clients.get(token_key) if token else None
    if token:
        keys.append(token_key)
    if known is not None:
        keys += _client_keys(known, scope, now)
    limit = settings.LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE
    reply = redis_script_or_unavailable(
        redis, _API_CALL_SCRIPT, keys, [limit, rate_limit_counter_expiry()]
    )
    if int(reply[0]) > limit:
        raise RateLimitedError(
            "Too many requests from this address: try again later",
            retry_after=rate_limit_window_retry_after(now),
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
        reply = [
            None,
            None,
            *redis_script_or_unavailable(
                redis, _CLIENT_SCRIPT, client_keys, [rate_limit_counter_expiry()]
            ),
        ]
    cached_state = api_client_state_of(_decoded(reply[2]) if reply[2] else None)
    state = cached_state if cached_state is not None else client_state_remembered(issued[0])
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
        keys.append(rate_limit_counter_key(client_budget(client_id), now=now))
    return keys


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
