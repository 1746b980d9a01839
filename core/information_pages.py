"""The pages every patient-facing NHS service must have, linked from every page's footer: the
accessibility statement, the privacy notice, cookies and the terms of use. Public, and needing
no database, so that they are there through an outage too. The organisation they name and its
address are each supplier's (``SERVICE_ORGANISATION_NAME``, ``SERVICE_CONTACT_EMAIL``)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.cookies import duration_display, portal_cookies

# When each page's content last changed: said on the page, as the GOV.UK and NHS models ask.
ACCESSIBILITY_STATEMENT_PREPARED = date(2026, 12, 1)
ACCESSIBILITY_STATEMENT_REVIEWED = date(2026, 12, 1)
PRIVACY_NOTICE_UPDATED = date(2026, 12, 1)
TERMS_UPDATED = date(2026, 12, 1)


def date_display(value: date) -> str:
    """NHS.UK style: 1 December 2026."""
    return f"{value.day} {value:%B %Y}"


def _page(request: HttpRequest, template: str, **context: Any) -> HttpResponse:
    """The organisation and its address reach every page (core/context_processors.py)."""
    return render(request, f"information/{template}.jinja", context)


@login_not_required
@require_GET
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """In the GOV.UK model's form (the Public Sector Bodies (Websites and Mobile Applications)
    (No. 2) Accessibility Regulations 2018): compliance status, what is not accessible, how to
    report a problem, the enforcement procedure and when the statement was prepared."""
    return _page(
        request,
        "accessibility_statement",
        website=urlsplit(settings.PORTAL_BASE_URL).netloc,
        prepared=date_display(ACCESSIBILITY_STATEMENT_PREPARED),
        reviewed=date_display(ACCESSIBILITY_STATEMENT_REVIEWED),
        idle_limit=duration_display(settings.SESSION_IDLE_TIMEOUT_SECONDS),
        warning=duration_display(settings.SESSION_WARNING_SECONDS),
        absolute_limit=duration_display(settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS),
    )


@login_not_required
@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """UK GDPR Articles 13 and 14: who is responsible, what is used and why, the lawful basis,
    who it is shared with, how long it is kept, and the patient's rights."""
    return _page(request, "privacy", updated=date_display(PRIVACY_NOTICE_UPDATED))


@login_not_required
@require_GET
def cookies(request: HttpRequest) -> HttpResponse:
    """The cookies the portal sets, from the settings that name them (core/cookies.py)."""
    return _page(request, "cookies", cookies=portal_cookies())


@login_not_required
@require_GET
def terms_of_use(request: HttpRequest) -> HttpResponse:
    return _page(request, "terms", updated=date_display(TERMS_UPDATED))
