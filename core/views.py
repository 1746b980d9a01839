"""Site-wide views: the start page, health endpoints and the error pages."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from core import health
from core.admin_host import on_admin_host

logger = logging.getLogger(__name__)


@login_not_required
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """The page a signed-out visitor lands on, with the NHS login button. It needs no
    database, so it keeps working through a database outage."""
    try:
        signed_in = request.user.is_authenticated
    except DatabaseError:
        signed_in = False
        request.user = AnonymousUser()
    if signed_in:
        return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "core/start.jinja")


@login_not_required
@require_GET
@never_cache
def health_live(request: HttpRequest) -> JsonResponse:
    """The process is up and answering: nothing else is checked."""
    return JsonResponse({"status": "ok"})


@login_not_required
@require_GET
@never_cache
def health_ready(request: HttpRequest) -> JsonResponse:
    """Whether this server can take traffic: the database, and Redis when it is configured."""
    checks = {"database": "ok" if health.database_is_reachable() else "unavailable"}
    if health.cache_uses_redis():
        checks["redis"] = "ok" if health.redis_is_reachable() else "unavailable"
    else:
        checks["redis"] = "not configured"
    ready = "unavailable" not in checks.values()
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


@login_not_required
@csrf_exempt  # a benchmark's POST, like the API's, carries no cookies
def benchmark_baseline(request: HttpRequest) -> JsonResponse:
    """`make bench`'s baseline: the same server and middleware, no work of ours."""
    return JsonResponse({"status": "ok"})


def benchmark_page_baseline(request: HttpRequest) -> HttpResponse:
    """`make bench`'s baseline for pages: the pages' middleware for a signed-in user (the
    session read, the user read, the idle time-out, the security headers and policy), no page
    of ours. Every request of a sign-in flow pays at least this."""
    return HttpResponse("ok", content_type="text/plain")


def _error_page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    return render(request, template, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, "errors/400.jinja", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, "errors/403.jinja", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error_page(request, "errors/404.jinja", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Any unhandled error. When the database is unreachable (a PostgreSQL restart or
    failover), say so with 503 rather than 500: the request can be tried again, and nothing
    was half-written because each service runs in a transaction. An interface with an error
    body of its own (the linkage API's) names its answer in ``SERVICE_UNAVAILABLE_ANSWERS``,
    by dotted path, so that core depends on no app."""
    # The page is rendered signed out: finding the user would need the database again.
    request.user = AnonymousUser()
    error = sys.exc_info()[1]
    if isinstance(error, (OperationalError, InterfaceError)):
        logger.error("Database unavailable: %s", type(error).__name__)
        for prefix, answer in settings.SERVICE_UNAVAILABLE_ANSWERS.items():
            if request.path.startswith(prefix):
                respond: Callable[[], HttpResponse] = import_string(answer)
                return respond()
        return _error_page(request, "errors/503.jinja", 503)
    return _error_page(request, "errors/500.jinja", 500)


def csrf_failure(request: HttpRequest, reason: str = "", **kwargs: Any) -> HttpResponse:
    """A form arrived without a valid CSRF token: most often an expired page or blocked cookies.
    On the admin's own host, Django's page: the portal's links are not there."""
    if on_admin_host(request):
        return django_csrf_failure(request, reason)
    return _error_page(request, "errors/403_csrf.jinja", 403)
