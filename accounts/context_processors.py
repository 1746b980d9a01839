"""What every page needs to know about the signed-in user's session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.middleware import seconds_until_idle_timeout


def session_timeout(request: HttpRequest) -> dict[str, Any]:
    """When to move a signed-in browser to the "you'll be signed out soon" page: the page
    template does it with JavaScript, or with a <noscript> refresh when JavaScript is off."""
    user = getattr(request, "user", None)  # absent on error pages raised before middleware
    if user is None or not user.is_authenticated:
        return {"session_timeout": None}
    remaining = seconds_until_idle_timeout(request)
    match = request.resolver_match
    if match is not None and getattr(match.func, "session_activity_exempt", False):
        # The warning page itself: when time is up, go to the signed-out page, where the
        # middleware signs the patient out.
        return {
            "session_timeout": {
                "after_seconds": remaining + 5,
                "url": f"{reverse('accounts:signed_out')}?reason=inactive",
            }
        }
    warn_after = remaining - settings.SESSION_WARNING_SECONDS
    query = urlencode({"next": request.get_full_path()})
    return {
        "session_timeout": {
            "after_seconds": max(1, warn_after),
            "url": f"{reverse('accounts:session_expiring')}?{query}",
        }
    }
