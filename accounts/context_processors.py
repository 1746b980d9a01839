"""What every page needs to know about the signed-in patient's session and NHS login account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from accounts.decorators import patient_of
from accounts.session_timer import session_timer
from core.middleware import portal_middleware_exempt


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # absent on error pages raised before middleware
    return user is not None and user.is_authenticated and not portal_middleware_exempt(request)


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """When a signed-in page warns, in a dialog over the page, and when it moves itself into
    NHS login to sign in again (accounts/session_timer.py): the template's script does it, or a
    <noscript> refresh, to the warning page, when JavaScript is off."""
    return {"session_timeout": session_timer(request) if _signed_in(request) else None}


def nhs_login_settings(request: HttpRequest) -> dict[str, Any]:
    """The link to the patient's NHS login account settings (NHS login's "NHS login user
    settings"): on signed-in patients' pages, for the NHS login environment in use. NHS login's
    own session opens it without a second sign-in. None where there is nothing to link to."""
    url: str = settings.NHS_LOGIN_SETTINGS_URL
    if not url or not _signed_in(request) or patient_of(request) is None:
        return {"nhs_login_settings_url": None}
    return {"nhs_login_settings_url": url}
