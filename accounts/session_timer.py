"""When a signed-in page moves on by itself (NHS login's "Session management": "automatically
... without user interaction"), for the page's script and its no-JavaScript fallback.

Before the inactivity limit, the warning: a dialog over the page, so that what the patient was
reading (a linkage key being copied) stays there, and without JavaScript the warning page, which
a <noscript> refresh moves to. When a limit is reached, into the automatic sign-in with
prompt=login, back to the page. The 12-hour limit cannot be extended, so it gets no warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.middleware import (
    seconds_until_absolute_timeout,
    seconds_until_idle_timeout,
    seconds_until_session_ends,
    sign_in_again_url,
)
from accounts.presenters import minutes_left_display
from accounts.sign_in_flow import sign_in_next_safe
from core.form_posts import page_to_return_to

# The page's timer fires this long after the limit, so the server sees the session as ended.
TIMER_MARGIN_SECONDS = 5


@dataclass(frozen=True)
class SessionWarning:
    """The warning before the inactivity limit: when it comes, and what it says."""

    after_seconds: int
    # How long the patient then has, as the warning says it ("2 minutes").
    time_left: str
    # The warning page, for browsers without JavaScript.
    page_url: str


@dataclass(frozen=True)
class SessionTimer:
    """What a signed-in page's timer does: warn (unless no warning can help), then, when the
    session has ended, go to ``end_url`` to sign in again."""

    end_after_seconds: int
    end_url: str
    # The page to come back to (a GET page: core/form_posts.py), for "Stay signed in".
    this_page: str
    warning: SessionWarning | None

    def times(self) -> dict[str, int | None]:
        """The two delays, for the dialog's script after "Stay signed in" restarts them."""
        return {
            "warnAfter": self.warning.after_seconds if self.warning else None,
            "endAfter": self.end_after_seconds,
        }


def _warning(request: HttpRequest, this_page: str) -> SessionWarning | None:
    """Two minutes (``SESSION_WARNING_SECONDS``) before the inactivity limit, unless the 12
    hours end first: "Stay signed in" could not extend them."""
    warn_after = seconds_until_idle_timeout(request) - settings.SESSION_WARNING_SECONDS
    if seconds_until_absolute_timeout(request) <= warn_after:
        return None
    warn_after = max(1, warn_after)
    left = max(1, seconds_until_session_ends(request) - warn_after)
    return SessionWarning(
        after_seconds=warn_after,
        time_left=minutes_left_display(left),
        page_url=f"{reverse('accounts:session_expiring')}?{urlencode({'next': this_page})}",
    )


def session_timer(request: HttpRequest) -> SessionTimer:
    """The timer of the page answering ``request``, for a signed-in patient. On the warning page
    itself there is no second warning, and its sign-in comes back to the page before it."""
    match = request.resolver_match
    on_warning_page = match is not None and getattr(match.func, "session_activity_exempt", False)
    if on_warning_page:
        this_page = sign_in_next_safe(request, request.GET.get("next"))
    else:
        this_page = page_to_return_to(request)
    return SessionTimer(
        end_after_seconds=seconds_until_session_ends(request) + TIMER_MARGIN_SECONDS,
        end_url=sign_in_again_url(this_page),
        this_page=this_page,
        warning=None if on_warning_page else _warning(request, this_page),
    )
