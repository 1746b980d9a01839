"""The portal's own session limits, as NHS login's "Session management" page sets them.

NHS login keeps no session for a relying party: the portal ends a patient's session after
30 minutes without activity and after 12 hours of continuous use, and then sends the patient
straight to NHS login for a full authentication (``prompt=login``), "automatically ... without
user interaction". The page's own timer does the same on a page left open (layout.jinja,
static/js/portal.mjs); this middleware does it on the next request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from core.form_posts import page_to_return_to
from core.middleware import portal_middleware_exempt

logger = logging.getLogger(__name__)

SIGNED_IN_AT = "portal_signed_in_at"
LAST_ACTIVITY_AT = "portal_last_activity_at"


def session_activity_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose visits do not count as activity (the timeout warning page itself, and
    the automatic sign-in a page's timer moves the browser to)."""
    view.session_activity_exempt = True  # type: ignore[attr-defined]
    return view


def session_timeout_exempt(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view the session limits do not apply to: one that completes or starts a new
    sign-in, which sets the clocks afresh.

    The callback most of all: time a patient spends at NHS login proving who they are is not
    inactivity in the portal, so the answer NHS login sends back must not be thrown away by the
    idle limit of the session it is about to replace.
    """
    view.session_timeout_exempt = True  # type: ignore[attr-defined]
    return view


def session_signed_in_at_kept(session: SessionBase, *, user_id: object) -> float | None:
    """When the patient signing in at a higher level (a step-up) first signed in to this
    session: a step-up does not restart the 12 hours. None if this session is not signed in as
    the same patient, in which case the sign-in starts the clock afresh."""
    signed_in_at = session.get(SIGNED_IN_AT)
    if signed_in_at is None or session.get(SESSION_KEY) != str(user_id):
        return None
    return float(signed_in_at)


def session_start(request: HttpRequest, *, signed_in_at: float | None = None) -> None:
    """Start the clocks at a sign-in: the inactivity clock always, the 12-hour clock unless
    ``signed_in_at`` carries on an earlier sign-in of the same session (a step-up)."""
    now = timezone.now().timestamp()
    request.session[SIGNED_IN_AT] = now if signed_in_at is None else signed_in_at
    request.session[LAST_ACTIVITY_AT] = now


def seconds_until_idle_timeout(request: HttpRequest) -> int:
    last = float(request.session.get(LAST_ACTIVITY_AT, timezone.now().timestamp()))
    idle_limit: int = settings.SESSION_IDLE_TIMEOUT_SECONDS
    remaining = last + idle_limit - timezone.now().timestamp()
    return max(0, math.ceil(remaining))


def seconds_until_absolute_timeout(request: HttpRequest) -> int:
    signed_in_at = float(request.session.get(SIGNED_IN_AT, timezone.now().timestamp()))
    absolute_limit: int = settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS
    remaining = signed_in_at + absolute_limit - timezone.now().timestamp()
    return max(0, math.ceil(remaining))


def seconds_until_session_ends(request: HttpRequest) -> int:
    """Whichever limit comes first: inactivity, or the 12 hours."""
    return min(seconds_until_idle_timeout(request), seconds_until_absolute_timeout(request))


def sign_in_again_url(next_url: str) -> str:
    """The automatic sign-in at the end of a session: a new NHS login flow with prompt=login,
    back to ``next_url`` afterwards (checked again there)."""
    url = reverse("accounts:nhs_login_sign_in_again")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


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
        if portal_middleware_exempt(request) or getattr(view_func, "session_timeout_exempt", False):
            return None
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
            return self._sign_in_again(request, view_func, "at the inactivity limit")
        if now - float(signed_in_at) > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
            return self._sign_in_again(request, view_func, "at the 12-hour limit")
        if not getattr(view_func, "session_activity_exempt", False):
            request.session[LAST_ACTIVITY_AT] = now
        return None

    @staticmethod
    def _sign_in_again(
        request: HttpRequest, view_func: Callable[..., HttpResponse], why: str
    ) -> HttpResponse:
        """Sign out, then straight into NHS login for a full authentication that comes back to
        the page asked for: the warning page's (or the automatic sign-in's) own ``next``, the
        page itself for a GET, the form's page after a form's post (whose address shows nothing
        to a GET), the home page after any other post."""
        if getattr(view_func, "session_activity_exempt", False):
            next_url = request.GET.get("next", "")
        else:
            next_url = page_to_return_to(request)
        logout(request)
        logger.info("Session ended %s: the patient is sent to NHS login to sign in again", why)
        return HttpResponseRedirect(sign_in_again_url(next_url))
