"""Site-wide middleware."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Django's, asking "is this view public?" before "who is the user?".

    Django's own middleware loads the user first, which needs the session and the database on
    every request; asking in the other order keeps public pages (the start page, health checks,
    the API's own authentication) independent of the database, so they keep working through a
    database outage.
    """

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponseBase],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponseBase | None:
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def portal_middleware_exempt(request: HttpRequest) -> bool:
    """Pages the portal's middleware leaves alone: the NHS login simulator's, when it is
    mounted here (``PORTAL_MIDDLEWARE_EXEMPT_PREFIXES``). They stand in for NHS login, whose
    pages the portal's session never reaches."""
    prefixes: list[str] = settings.PORTAL_MIDDLEWARE_EXEMPT_PREFIXES
    return request.path_info.startswith(tuple(prefixes))


def _maybe_signed_in(request: HttpRequest) -> bool:
    """Whether the session names a user; when the session store cannot say (sessions kept in
    an unreachable database), assume so: a page not stored costs nothing."""
    session = getattr(request, "session", None)
    if session is None:
        return False
    try:
        return session.get(SESSION_KEY) is not None
    except DatabaseError:
        return True


class SignedInPagesNotStoredMiddleware:
    """Every response to a signed-in browser says ``Cache-Control: no-store``.

    Signed-in pages carry a patient's details and, once shown, their linkage key: neither the
    browser's cache (a shared computer's Back button after sign-out) nor any cache between may
    keep them. Whether the browser is signed in is read from its session, not from the user
    table, so public pages still need no database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not portal_middleware_exempt(request) and _maybe_signed_in(request):
            add_never_cache_headers(response)
        return response
