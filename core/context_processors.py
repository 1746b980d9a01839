"""What every page shows of the organisation that runs the service: the footer's copyright and
the address patients write to (``SERVICE_ORGANISATION_NAME``, ``SERVICE_CONTACT_EMAIL``, each
supplier's own)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def service_organisation(request: HttpRequest) -> dict[str, Any]:
    return {
        "service_organisation_name": settings.SERVICE_ORGANISATION_NAME,
        "service_contact_email": settings.SERVICE_CONTACT_EMAIL,
    }
