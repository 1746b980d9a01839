"""Readiness checks: can this app server reach what it needs to serve patients?

Each check answers True or False and logs why it failed; the reason is never sent to the
caller, since health endpoints are public.
"""

from __future__ import annotations

import logging

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django_redis.cache import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def database_is_reachable() -> bool:
    """Run a trivial query on the default database."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Readiness: database unreachable (%s)", type(error).__name__)
        return False
    return True


def cache_uses_redis() -> bool:
    """Whether the default cache (and so the sessions) lives in Redis."""
    return isinstance(caches["default"], RedisCache)


def redis_is_reachable() -> bool:
    """Ping the Redis server behind the default cache."""
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    try:
        cache.client.get_client(write=True).ping()
    except (RedisError, OSError) as error:
        logger.warning("Readiness: Redis unreachable (%s)", type(error).__name__)
        return False
    return True
