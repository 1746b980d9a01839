"""The portal's own session limits: NHS login keeps no session for us (shared/nhs-login.md,
"Sessions"), so the portal signs a patient out after 30 minutes without activity and after
12 hours in all, and sends them back through a full sign-in."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

SIGNED_IN_AT = "portal_signed_in_at"
LAST_ACTIVITY_AT = "portal_last_activity_at"


def session_activity_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose visits do not count as activity (the timeout warning page itself)."""
    view.session_activity_exempt = True  # type: ignore[attr-defined]
    return view


def session_start(request: HttpRequest) -> None:
    """Start both clocks: called at every sign-in, including a step-up."""
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY_AT] = now


def seconds_until_idle_timeout(request: HttpRequest) -> int:
    last = float(request.session.get(LAST_ACTIVITY_AT, timezone.now().timestamp()))
    idle_limit: int = settings.SESSION_IDLE_TIMEOUT_SECONDS
    remaining = last + idle_limit - timezone.now().timestamp()
    return max(0, math.ceil(remaining))


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        try:
            signed_in = request.user.is_authenticated
        except DatabaseError:
            # The database is down: pages that need no user still work, the rest answer 503.
            return None
        if not signed_in:
            return None
        now = timezone.now().timestamp()
        signed_in_at = request.session.get(SIGNED_IN_AT)
        last_activity_at = request.session.get(LAST_ACTIVITY_AT)
        if signed_in_at is None or last_activity_at is None:
            session_start(request)
            return None
        if now - float(last_activity_at) > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            return self._signed_out(request, "inactive")
        if now - float(signed_in_at) > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
            return self._signed_out(request, "expired")
        if not getattr(view_func, "session_activity_exempt", False):
            request.session[LAST_ACTIVITY_AT] = now
        return None

    @staticmethod
    def _signed_out(request: HttpRequest, reason: str) -> HttpResponse:
        logout(request)
        return HttpResponseRedirect(f"{reverse('accounts:signed_out')}?reason={reason}")
