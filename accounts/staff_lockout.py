"""Locking the admin sign-in after repeated failures: django-axes, counted in the database.

axes records each failed admin sign-in (username, client address, user agent) and, with the
lockout parameters ``username`` and ``ip_address``, counts a username's failures from every
address and an address's failures for every username. It compares both counts with one
limit; the portal wants a small one per account and a larger one per address (a practice's
staff share an address), so this handler gives each parameter its own
(``ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT``, ``ADMIN_LOCKOUT_FAILURES_PER_ADDRESS``). Only the
admin's sign-in is counted: a patient's NHS login callback is no admin sign-in, and its
failures, address and query string (the authorization code) are never written here
(docs/adr/0011).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_lockout_parameters
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.presenters import time_display

Credentials = dict[str, Any] | None


def _failure_limits() -> dict[str, int]:
    return {
        "username": settings.ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT,
        "ip_address": settings.ADMIN_LOCKOUT_FAILURES_PER_ADDRESS,
    }


class StaffLockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]
    """axes' database handler, chosen so that superusers see and clear lockouts in admin and
    every app server shares them (docs/adr/0011), with a limit of its own per parameter."""

    def locked_attempts(
        self, request: HttpRequest, credentials: Credentials
    ) -> list[QuerySet[Any]]:
        """The attempts within the cool-off of each lockout parameter at or over its limit:
        empty when sign-in is allowed."""
        limits = _failure_limits()
        parameters = get_lockout_parameters(request, credentials)
        attempts_per_parameter = self.get_user_attempts(request, credentials)
        locked = []
        for parameter, attempts in zip(parameters, attempts_per_parameter, strict=True):
            if not isinstance(parameter, str) or parameter not in limits:
                raise ImproperlyConfigured(f"no admin lockout limit for {parameter!r}")
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if failures >= limits[parameter]:
                locked.append(attempts)
        return locked

    def is_locked(self, request: HttpRequest, credentials: Credentials = None) -> bool:
        return bool(
            settings.AXES_LOCK_OUT_AT_FAILURE and self.locked_attempts(request, credentials)
        )

    def lockout_ends_at(self, request: HttpRequest, credentials: Credentials) -> datetime | None:
        """When every failure behind the lockout has aged past the cool-off: sign-in is
        allowed again by then at the latest (tries while locked out are not counted)."""
        latest = [
            attempts.aggregate(latest=Max("attempt_time"))["latest"]
            for attempts in self.locked_attempts(request, credentials)
        ]
        cool_off = get_cool_off(request)
        if not latest or cool_off is None:
            return None
        ends_at: datetime = max(latest) + cool_off
        return ends_at

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: Any = None,
        **kwargs: Any,
    ) -> None:
        """``request`` carries axes' own attributes (``axes_locked_out``, ``axes_ip_address``)."""
        if request is None or not self.is_admin_request(request):
            return
        super().user_login_failed(sender, credentials, request, **kwargs)
        # axes locked out only where a count reached its single limit (the larger); the
        # smaller per-account limit is this handler's to apply.
        if not request.axes_locked_out and self.is_locked(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        if self.is_admin_request(request):
            super().user_logged_in(sender, request, user, **kwargs)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        if self.is_admin_request(request):
            super().user_logged_out(sender, request, user, **kwargs)


def staff_locked_out_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Credentials
) -> HttpResponse:
    """The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``), in the admin's look:
    what happened, when to try again, whom to ask. The same for a username that exists and
    one that does not, and it names neither the username nor which limit was reached."""
    handler = AxesProxyHandler.get_implementation()
    ends_at = (
        handler.lockout_ends_at(request, credentials)
        if isinstance(handler, StaffLockoutHandler)
        else None
    )
    now = timezone.now()
    if ends_at is None or ends_at <= now:
        ends_at = now + (get_cool_off(request) or timedelta(0))
    seconds = max(1, int((ends_at - now).total_seconds()))
    context = {
        **admin.site.each_context(request),
        "title": "Signing in is paused",
        "try_again_at": time_display(timezone.localtime(ends_at), now=timezone.localtime(now)),
        "service_desk": settings.ADMIN_SERVICE_DESK,
    }
    response = render(
        request,
        "admin/accounts/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response
