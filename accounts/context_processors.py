"""What every page needs to know about the signed-in patient's session and NHS login account."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.decorators import patient_of
from accounts.presenters import patient_name_display
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
