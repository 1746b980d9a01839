"""The cookies the portal sets, read from the settings that name them, so that the cookies page
cannot fall behind a renamed cookie (tests/test_cookies_page.py signs in over HTTP and checks
that every cookie the portal sets is on the page).

Both are strictly necessary for the service the patient asks for, so no consent is asked
(the Privacy and Electronic Communications Regulations' exemption for them). The portal sets
no analytics or advertising cookies. NHS login sets its own, on its own pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

_UNITS = (
    (52 * 7 * 24 * 60 * 60, "year"),
    (7 * 24 * 60 * 60, "week"),
    (24 * 60 * 60, "day"),
    (60 * 60, "hour"),
    (60, "minute"),
    (1, "second"),
)


def duration_display(seconds: int) -> str:
    """A whole number of the largest unit that measures it exactly: "30 minutes", "12 hours",
    "1 year" (Django's 52 weeks for the CSRF cookie, as a person would say it)."""
    for size, unit in _UNITS:
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    return "0 seconds"


@dataclass(frozen=True)
class PortalCookie:
    name: str
    purpose: str
    expires: str


def portal_cookies() -> tuple[PortalCookie, ...]:
    """Every cookie the portal sets on a patient's browser, with what it is for and how long
    it lasts, from the settings that decide both."""
    session_expires = (
        "When you close your browser"
        if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
        else f"After {duration_display(settings.SESSION_COOKIE_AGE)}"
    )
    cookies = [
        PortalCookie(
            settings.SESSION_COOKIE_NAME,
            "Keeps you signed in as you move from page to page, and remembers your sign-in "
            "with NHS login while it is happening. You are signed out after "
            f"{duration_display(settings.SESSION_IDLE_TIMEOUT_SECONDS)} without using the "
            f"service, and {duration_display(settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS)} "
            "after you signed in.",
            session_expires,
        )
    ]
    if not settings.CSRF_USE_SESSIONS:
        cookies.append(
            PortalCookie(
                settings.CSRF_COOKIE_NAME,
                "Stops other websites sending forms to this service in your name.",
                f"After {duration_display(settings.CSRF_COOKIE_AGE)}"
                if settings.CSRF_COOKIE_AGE
                else "When you close your browser",
            )
        )
    return tuple(cookies)
