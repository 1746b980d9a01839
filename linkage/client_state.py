"""The scopes an API client holds now (none when it is disabled), cached so that an API call
need not ask the database.

Every linkage API call checks that its token's client is still enabled and still holds the
scope the call needs: a token must not outlive a client disabled or a scope withdrawn after it
was issued (issue 10). Asked of PostgreSQL, that was one query in every call (issue 9). The
answer is cached for a minute and forgotten whenever the client's row changes through Django
(save, delete, a queryset update: see ``linkage.models``), so a client disabled, or a scope
withdrawn, in admin is refused on its very next call. A change made outside Django, in SQL,
is seen within ``CLIENT_STATE_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache

logger = logging.getLogger(__name__)

CLIENT_STATE_CACHE_SECONDS = 60


def _cache_key(client_id: str) -> str:
    return f"linkage-api:client-scopes:{client_id}"


def api_client_state_get(client_id: str) -> tuple[str, ...] | None:
    """The client's scopes (empty when it is disabled) if known, None if the database must be
    asked. Raises if the cache is unreachable: the caller fails closed."""
    state = cache.get(_cache_key(client_id))
    return None if state is None else tuple(state)


def api_client_state_set(client_id: str, scopes: tuple[str, ...]) -> None:
    cache.set(_cache_key(client_id), list(scopes), CLIENT_STATE_CACHE_SECONDS)


def api_client_state_forget(client_ids: Iterable[str]) -> None:
    """Called after the clients' rows changed. If the cache is unreachable the API refuses
    every call anyway (it fails closed), and what it held expires within the minute."""
    keys = [_cache_key(client_id) for client_id in client_ids]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # django-redis raises its own connection errors
        logger.warning("API client state not forgotten: the cache is unreachable")
