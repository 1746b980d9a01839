"""The admin on a host of its own (``ADMIN_HOST``): the practice administration and the
patient-facing portal share no URL.

With ``ADMIN_HOST`` set, a request for that host is answered from ``citizen_portal.admin_urls``
(the admin and the health checks, nothing patient-facing) and any other from
``citizen_portal.portal_urls`` (everything but the admin: /admin/ is a 404 there). Unset, the
root URLs serve both on every host, as `make run` does. The host is the one Django has already
checked against ``ALLOWED_HOSTS``; keeping the admin's host name from the internet at large is
the load balancer's job (docs/operations.md, "The admin on its own host").
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port

ADMIN_URLCONF = "citizen_portal.admin_urls"
PORTAL_URLCONF = "citizen_portal.portal_urls"


def on_admin_host(request: HttpRequest) -> bool:
    """Whether the request is for the admin's own host (never, without ``ADMIN_HOST``)."""
    admin_host: str = settings.ADMIN_HOST
    if not admin_host:
        return False
    domain, _ = split_domain_port(request.get_host())
    return domain == admin_host


class AdminHostMiddleware:
    """Chooses the URLs a request is answered from, by its host, before anything resolves a
    URL (Django's ``request.urlconf``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if settings.ADMIN_HOST:
            # Django's handler resolves the request with it (not in django-stubs' HttpRequest).
            request.urlconf = (  # type: ignore[attr-defined]
                ADMIN_URLCONF if on_admin_host(request) else PORTAL_URLCONF
            )
        return self.get_response(request)
