"""Fixed-window request counting in the cache backend, so a limit holds across app servers
when the cache is Redis. If the cache cannot be reached, the caller is refused (fail closed)."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache


class RateLimitUnavailableError(Exception):
    """The cache could not be reached, so the limit cannot be checked."""


def _counter(key: str, window: int) -> str:
    return f"rate-limit:{key}:{window}"


# INCR, and the window's expiry set by the request that made the counter: one round trip,
# atomic in Redis however many app servers count at once (docs/adr/0008).
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


def cache_redis() -> Any | None:
    """The cache's own Redis connection when the cache is Redis (django-redis), for the few
    hot-path calls that need one round trip where the cache's API takes several; None for any
    other cache (the local memory cache of a machine without Redis)."""
    get_client = getattr(getattr(cache, "client", None), "get_client", None)
    return get_client(write=True) if get_client is not None else None


_scripts: dict[str, Any] = {}


def cache_redis_script(redis: Any, source: str, keys: list[str], args: list[Any]) -> Any:
    """Run a Lua script on the cache's Redis: EVALSHA, loaded on first use (redis-py's
    Script). ``keys`` are cache keys, given their prefix and version here."""
    script = _scripts.get(source)
    if script is None:
        script = _scripts[source] = redis.register_script(source)
    return script(keys=[cache.make_key(key) for key in keys], args=args, client=redis)


def _increment(counter: str, timeout: int) -> int:
    """One round trip: a script on Redis; elsewhere the cache's incr, or its add on the window's
    first request."""
    redis = cache_redis()
    if redis is not None:
        return int(cache_redis_script(redis, COUNT_SCRIPT, [counter], [timeout]))
    try:
        return cache.incr(counter)
    except ValueError:  # the window's first request
        if cache.add(counter, 1, timeout):
            return 1
        return cache.incr(counter)  # another server added it first


def rate_limit_counter_expiry(window_seconds: int = 60) -> int:
    """How long a window's counter is kept: two windows, so that it outlives its own."""
    return window_seconds * 2


def rate_limit_window_retry_after(now: float, *, window_seconds: int = 60) -> int:
    """The seconds from ``now`` until its window ends: a refusal's Retry-After."""
    return max(1, window_seconds - int(now % window_seconds))


def rate_limit_counter_key(key: str, *, now: float, window_seconds: int = 60) -> str:
    """The cache key of ``key``'s counter in the window ``now`` falls in, for a caller that
    counts it in a script of its own (linkage/api_auth.py): ``COUNT_SCRIPT``'s rule, expiry
    after two windows."""
    return _counter(key, int(now // window_seconds))


def rate_limit_reset(key: str, *, window_seconds: int = 60) -> None:
    """Forget the current window's count for ``key`` (an operator lifting a block)."""
    cache.delete(_counter(key, int(time.time() // window_seconds)))


def rate_limit_count(key: str, *, window_seconds: int = 60, now: float | None = None) -> int:
    """Count one more event for ``key`` in the current window; the window's count so far."""
    window = int((time.time() if now is None else now) // window_seconds)
    try:
        return _increment(_counter(key, window), rate_limit_counter_expiry(window_seconds))
    except Exception as error:  # django-redis raises its own connection errors
        raise RateLimitUnavailableError(key) from error


def rate_limit_retry_after(key: str, *, limit: int, window_seconds: int = 60) -> int | None:
    """Count one more request for ``key``; None while within ``limit`` per window, else the
    seconds until the window ends."""
    now = time.time()
    count = rate_limit_count(key, window_seconds=window_seconds, now=now)
    if count <= limit:
        return None
    return rate_limit_window_retry_after(now, window_seconds=window_seconds)


def rate_limit_reached_retry_after(key: str, *, limit: int, window_seconds: int = 60) -> int | None:
    """Without counting: None while fewer than ``limit`` events of ``key`` are counted in the
    current window, else the seconds until it ends. For a limit on failures, which are counted
    (``rate_limit_count``) only once one has happened, and checked before each attempt."""
    now = time.time()
    try:
        count = cache.get(_counter(key, int(now // window_seconds))) or 0
    except Exception as error:  # django-redis raises its own connection errors
        raise RateLimitUnavailableError(key) from error
    if count < limit:
        return None
    return rate_limit_window_retry_after(now, window_seconds=window_seconds)
