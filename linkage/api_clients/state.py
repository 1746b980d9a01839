"""What an API client may do now (its scopes, none when it is disabled, and the practices it
serves), cached so that an API call need not ask the database.

Every linkage API call checks that its token's client is still enabled, still holds the scope
the call needs and serves the practice asked about: a token must not outlive a client disabled,
a scope withdrawn or a practice unbound after it was issued. Asked of PostgreSQL, that was one
query in every call (docs/adr/0008). The answer is cached for a minute and forgotten whenever
the client's row, its practices or a practice bound to it change through Django (save, delete,
a queryset update, the many-to-many: see ``linkage.models``), so a client disabled, a scope
withdrawn or a practice unbound in admin is refused on its very next call. A change made
outside Django, in SQL, is seen within ``CLIENT_STATE_CACHE_SECONDS``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.cache import cache

logger = logging.getLogger(__name__)

CLIENT_STATE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class PracticeBinding:
    """The practices an API client serves: those ODS codes, or every practice on this system
    when ``all_practices`` is set. The default serves none, so a caller that forgets to give a
    binding is refused rather than let through (docs/adr/0007)."""

    all_practices: bool = False
    ods_codes: frozenset[str] = field(default_factory=frozenset)

    def serves(self, ods_code: str) -> bool:
        return self.all_practices or ods_code in self.ods_codes


@dataclass(frozen=True)
class ApiClientState:
    scopes: tuple[str, ...]  # empty when the client is disabled or gone
    practices: PracticeBinding


def api_client_state_cache_key(client_id: str) -> str:
    return f"linkage-api:client-state:{client_id}"


_cache_key = api_client_state_cache_key


def api_client_state_get(client_id: str) -> ApiClientState | None:
    """The client's state if known, None if the database must be asked. Raises if the cache is
    unreachable: the caller fails closed."""
    return api_client_state_of(cache.get(_cache_key(client_id)))


def api_client_state_of(state: object) -> ApiClientState | None:
    """The state as the cache holds it (read by ``api_client_state_get``, or with the API
    call's other reads in one round trip: linkage/api_auth.py); None if it holds none."""
    if not isinstance(state, dict):
        return None
    return ApiClientState(
        scopes=tuple(state["scopes"]),
        practices=PracticeBinding(
            all_practices=bool(state["all_practices"]), ods_codes=frozenset(state["ods_codes"])
        ),
    )


def api_client_state_set(client_id: str, state: ApiClientState) -> None:
    cache.set(
        _cache_key(client_id),
        {
            "scopes": list(state.scopes),
            "all_practices": state.practices.all_practices,
            "ods_codes": sorted(state.practices.ods_codes),
        },
        CLIENT_STATE_CACHE_SECONDS,
    )


def api_client_state_forget(client_ids: Iterable[str]) -> None:
    """Called after the clients' rows, or their practices, changed. If the cache is unreachable
    the API refuses every call anyway (it fails closed), and what it held expires within the
    minute."""
    keys = [_cache_key(client_id) for client_id in client_ids]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:  # django-redis raises its own connection errors
        logger.warning("API client state not forgotten: the cache is unreachable")
