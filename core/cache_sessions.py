"""Sessions in Redis, as Django's cache sessions keep them, with a round trip fewer each time.

Django's cache backend saves a session by reading it first (GET), so that a session deleted
meanwhile (signed out in another tab, say) is not written back, and then writing it (SET);
and it makes a new session's key by asking whether the key is taken (EXISTS) before adding
it only if absent (SET NX). Every signed-in page saves its session (the idle clock,
accounts/middleware.py), and every sign-in makes a new one. Redis does each in one command:

- a save is ``SET ... XX``, written only if the session still exists; otherwise the same
  UpdateError as Django's, which its session middleware answers the same way. Unlike a GET
  then a SET, nothing can delete the session between the two.
- a new key is added with ``SET ... NX`` without asking first: a key already taken (one chance
  in 2^165) fails the add, and Django's ``create`` tries another, as it does today.

Any other cache falls back to Django's own code. docs/adr/0031.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.utils.crypto import get_random_string
from django_redis.cache import RedisCache

if TYPE_CHECKING:
    from django.core.cache.backends.base import BaseCache


class SessionStore(CacheSessionStore):
    if TYPE_CHECKING:  # Django's, which its type stubs leave out
        _cache: BaseCache

        def _get_session(self, no_load: bool = False) -> dict[str, Any]: ...

    def _get_new_session_key(self) -> str:
        if not isinstance(self._cache, RedisCache):
            key: str = super()._get_new_session_key()  # type: ignore[misc]
            return key
        # No EXISTS first: save(must_create=True) adds with NX and create() retries.
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None or not isinstance(self._cache, RedisCache):
            super().save(must_create=must_create)
            return
        written = self._cache.set(
            self.cache_key, self._get_session(no_load=False), self.get_expiry_age(), xx=True
        )
        if not written:
            raise UpdateError
