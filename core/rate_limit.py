"""Fixed-window request counting in the cache backend, so a limit holds across app servers
when the cache is Redis. If the cache cannot be reached, the caller is refused (fail closed)."""

from __future__ import annotations

import time

from django.core.cache import cache


class RateLimitUnavailableError(Exception):
    """The cache could not be reached, so the limit cannot be checked."""


def _counter(key: str, window: int) -> str:
    return f"rate-limit:{key}:{window}"


def _increment(counter: str, timeout: int) -> int:
    """One round trip in the common case: the window's counter exists after its first request."""
    try:
        return cache.incr(counter)
    except ValueError:  # the window's first request
        if cache.add(counter, 1, timeout):
            return 1
        return cache.incr(counter)  # another server added it first


def rate_limit_reset(key: str, *, window_seconds: int = 60) -> None:
    """Forget the current window's count for ``key`` (an operator lifting a block)."""
    cache.delete(_counter(key, int(time.time() // window_seconds)))


def rate_limit_count(key: str, *, window_seconds: int = 60, now: float | None = None) -> int:
    """Count one more event for ``key`` in the current window; the window's count so far."""
    window = int((time.time() if now is None else now) // window_seconds)
    try:
        return _increment(_counter(key, window), window_seconds * 2)
    except Exception as error:  # django-redis raises its own connection errors
        raise RateLimitUnavailableError(key) from error


def rate_limit_retry_after(key: str, *, limit: int, window_seconds: int = 60) -> int | None:
    """Count one more request for ``key``; None while within ``limit`` per window, else the
    seconds until the window ends."""
    now = time.time()
    count = rate_limit_count(key, window_seconds=window_seconds, now=now)
    if count <= limit:
        return None
    return max(1, window_seconds - int(now % window_seconds))


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
    return max(1, window_seconds - int(now % window_seconds))
