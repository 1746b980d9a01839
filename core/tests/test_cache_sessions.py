"""Sessions in Redis, one command a save and one a new key (core/cache_sessions.py): the
same behaviour as Django's cache sessions, counted on the run's own Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.backends.cache import SessionStore as DjangoCacheSessionStore
from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from core.cache_sessions import SessionStore

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs a Redis server: set REDIS_URL"
)


@pytest.fixture
def commands() -> Iterator[list[str]]:
    """The names of the Redis commands the session cache sends, in order."""
    sent: list[str] = []
    client = caches[settings.SESSION_CACHE_ALIAS].client.get_client(write=True)  # type: ignore[attr-defined]
    original = client.execute_command

    def counting(*args: Any, **options: Any) -> Any:
        sent.append(str(args[0]).upper())
        return original(*args, **options)

    client.execute_command = counting
    yield sent
    client.execute_command = original


def test_the_portal_keeps_its_sessions_in_this_store_when_redis_is_configured() -> None:
    assert settings.SESSION_ENGINE == "core.cache_sessions"


def test_a_new_session_is_one_command_and_an_existing_one_saves_in_one(
    commands: list[str],
) -> None:
    session = SessionStore()
    session["colour"] = "blue"
    session.save()
    created = list(commands)
    commands.clear()

    again = SessionStore(session.session_key)
    again["colour"] = "green"
    again.save()

    assert created == ["SET"]  # SET NX, without an EXISTS first
    assert commands == ["GET", "SET"]  # the load the change needed, then SET XX
    assert SessionStore(session.session_key)["colour"] == "green"


def test_a_session_deleted_meanwhile_is_not_written_back() -> None:
    """Signed out in another tab while a request was on its way: its save must not bring the
    session back, as Django's own refuses to."""
    session = SessionStore()
    session["signed_in"] = True
    session.save()
    late = SessionStore(session.session_key)
    django_late = DjangoCacheSessionStore(session.session_key)
    assert late["signed_in"] is True
    assert django_late["signed_in"] is True
    SessionStore(session.session_key).delete()

    late["signed_in"] = "again"
    django_late["signed_in"] = "again"
    with pytest.raises(UpdateError):
        late.save()
    # Django's own store, for the same case, refuses the same way.
    with pytest.raises(UpdateError):
        django_late.save()

    assert not SessionStore().exists(session.session_key or "")


def test_the_middleware_answers_a_session_deleted_meanwhile_as_django_does() -> None:
    session = SessionStore()
    session["a"] = 1
    session.save()
    request = RequestFactory().get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = session.session_key or ""

    def view(request: HttpRequest) -> HttpResponse:
        request.session["a"] = 2
        SessionStore(request.session.session_key).delete()
        return HttpResponse("ok")

    with pytest.raises(SessionInterrupted):
        SessionMiddleware(view)(request)


def test_a_key_already_taken_is_never_overwritten(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the EXISTS, the add itself refuses a taken key and create() draws another."""
    first = SessionStore()
    first["owner"] = "first"
    first.save()
    taken = first.session_key
    assert taken is not None
    fresh = uuid.uuid4().hex  # 32 of the key's own characters
    draws = iter([taken, fresh])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(draws))

    second = SessionStore()
    second["owner"] = "second"
    second.save()

    assert second.session_key == fresh
    assert SessionStore(taken)["owner"] == "first"
    assert SessionStore(fresh)["owner"] == "second"


def test_the_expiry_is_the_session_s_own() -> None:
    session = SessionStore()
    session.set_expiry(120)
    session["a"] = 1
    session.save()
    session["a"] = 2
    session.save()

    ttl = caches[settings.SESSION_CACHE_ALIAS].ttl(session.cache_key)  # type: ignore[attr-defined]
    assert 100 <= ttl <= 120
