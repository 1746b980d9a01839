"""What every page needs to know about the signed-in patient's session and NHS login account."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.decorators import patient_of
from accounts.middleware import (
    seconds_until_absolute_timeout,
    seconds_until_idle_timeout,
    seconds_until_session_ends,
    sign_in_again_url,
)
from accounts.presenters import patient_name_display
from accounts.sign_in_flow import sign_in_next_safe
from core.middleware import portal_middleware_exempt

# The page's timer fires this long after the limit, so the server sees the session as ended.
TIMER_MARGIN_SECONDS = 5


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # absent on error pages raised before middleware
    return user is not None and user.is_authenticated and not portal_middleware_exempt(request)


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """When the page moves a signed-in browser on by itself (NHS login's "Session management":
    "automatically ... without user interaction"): the template does it with JavaScript, or with
    a <noscript> refresh when JavaScript is off.

    Two minutes before the inactivity limit, to the warning page with "Stay signed in"; when a
    limit is reached, into the automatic sign-in with prompt=login. The 12-hour limit cannot be
    extended, so it gets no warning.
    """
    if not _signed_in(request):
        return {"session_timeout": None}
    match = request.resolver_match
    if match is not None and getattr(match.func, "session_activity_exempt", False):
        # The warning page itself: when time is up, into NHS login, then back to the page the
        # patient was on before the warning.
        next_url = sign_in_next_safe(request, request.GET.get("next"))
        return {
            "session_timeout": {
                "after_seconds": seconds_until_session_ends(request) + TIMER_MARGIN_SECONDS,
                "url": sign_in_again_url(next_url),
            }
        }
    warn_after = seconds_until_idle_timeout(request) - settings.SESSION_WARNING_SECONDS
    absolute = seconds_until_absolute_timeout(request)
    if absolute <= warn_after:
        return {
            "session_timeout": {
                "after_seconds": absolute + TIMER_MARGIN_SECONDS,
                "url": sign_in_again_url(request.get_full_path()),
            }
        }
    query = urlencode({"next": request.get_full_path()})
    return {
        "session_timeout": {
            "after_seconds": max(1, warn_after),
            "url": f"{reverse('accounts:session_expiring')}?{query}",
        }
    }


def nhs_login_settings(request: HttpRequest) -> dict[str, Any]:
    """The link to the patient's NHS login account settings (NHS login's "NHS login user
    settings"): on signed-in patients' pages, for the NHS login environment in use. NHS login's
    own session opens it without a second sign-in. None where there is nothing to link to."""
    url: str = settings.NHS_LOGIN_SETTINGS_URL
    if not url or not _signed_in(request) or patient_of(request) is None:
        return {"nhs_login_settings_url": None}
    return {"nhs_login_settings_url": url}


def patient_navigation(request: HttpRequest) -> dict[str, Any]:
    """Where the header, the back links and the error pages take a patient, and the name the
    header shows.

    ``home_url`` is the signed-in patient's home page, or the start page for anyone else (a
    page's "Back" when it has no page of its own to go back to, and an error page's way on).
    ``patient_header_name`` is the patient's name as NHS login gave it, or nothing: never an
    email address or the account's internal username.
    """
    patient = patient_of(request) if _signed_in(request) else None
    return {
        "home_url": reverse("accounts:home") if patient else reverse("core:start"),
        "home_link_text": "Go to your details" if patient else "Go to the start page",
        "patient_header_name": patient_name_display(patient) if patient else "",
    }
