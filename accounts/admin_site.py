"""The portal's Django admin site: staff use it only after their second factor.

Django's admin asks one question, ``has_permission`` (an active staff member), of every admin
view through ``admin_view``. This site adds a second: when ``ADMIN_TWO_FACTOR_REQUIRED`` is
on, a staff member whose session has not passed a TOTP code (django-otp's
``user.is_verified()``) is sent to enter one, or to set up their authenticator app if they have
none, and reaches nothing else but signing out (docs/adr/0011). The two pages of that step
are this site's own, in the admin's look.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import update_wrapper
from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from accounts.models import User
from accounts.presenters import time_display
from accounts.staff_two_factor import (
    CodeRefused,
    staff_totp_device_of,
    staff_totp_enrolment_confirm,
    staff_totp_enrolment_start,
    staff_totp_verify,
    totp_key_display,
    totp_qr_code_svg,
)

ENROLMENT_SESSION_KEY = "staff_totp_enrolment_device"
View = Callable[..., HttpResponseBase]


class TwoFactorCodeForm(forms.Form):
    """Six digits from the authenticator app; spaces (as some apps show them) are ignored."""

    otp_token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows for the citizen portal admin.",
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
                "class": "app-otp-token",
            }
        ),
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def clean_otp_token(self) -> str:
        token = "".join(self.cleaned_data["otp_token"].split())
        if not (token.isascii() and token.isdigit() and len(token) == 6):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows")
        return token

    def refuse(self, refusal: CodeRefused) -> None:
        """Show why the code was not accepted, on the field, as the admin shows form errors."""
        if refusal.wait_until is None:
            message = (
                "That code is not right, or has been used already. "
                "Enter the code your app shows now."
            )
        else:
            now = timezone.localtime()
            seconds = max(1, math.ceil((refusal.wait_until - now).total_seconds()))
            message = (
                "Too many wrong codes. Wait until "
                f"{time_display(timezone.localtime(refusal.wait_until), now=now)} "
                f"({seconds} second{'' if seconds == 1 else 's'}), then try again."
            )
        self.add_error("otp_token", message)


class StaffAdminSite(admin.AdminSite):
    site_header = "Citizen portal: practice administration"
    site_title = "Citizen portal admin"
    index_title = "Your practices"

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context: dict[str, Any] = super().each_context(request)
        if settings.ADMIN_HOST:
            # "View site": the patient-facing portal is on another host.
            context["site_url"] = f"{settings.PORTAL_BASE_URL}/"
        return context

    def second_factor_due(self, request: HttpRequest) -> bool:
        """A signed-in staff member who still has to enter a code (or set up their app)."""
        user = request.user
        if not (
            settings.ADMIN_TWO_FACTOR_REQUIRED
            and user.is_authenticated
            and user.is_active
            and user.is_staff
        ):
            return False
        is_verified = getattr(user, "is_verified", None)
        return not (callable(is_verified) and is_verified())

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and not self.second_factor_due(request)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        checked = super().admin_view(view, cacheable)

        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if self.second_factor_due(request):
                if request.path == reverse("admin:logout", current_app=self.name):
                    return never_cache(view)(request, *args, **kwargs)
                return redirect_to_login(request.get_full_path(), self._second_factor_url())
            return checked(request, *args, **kwargs)

        return update_wrapper(inner, checked)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "GET" and self.second_factor_due(request):
            return redirect_to_login(self._next_of(request), self._second_factor_url())
        return super().login(request, extra_context)

    def get_urls(self) -> list[URLResolver | URLPattern]:
        own = [
            path(
                "two-factor/",
                self._second_factor_step(self.two_factor_verify),
                name="two_factor_verify",
            ),
            path(
                "two-factor/set-up/",
                self._second_factor_step(self.two_factor_set_up),
                name="two_factor_set_up",
            ),
        ]
        return own + super().get_urls()

    # --- The second step of signing in ------------------------------------------------------

    def _second_factor_url(self) -> str:
        return reverse("admin:two_factor_verify", current_app=self.name)

    def _next_of(self, request: HttpRequest) -> str:
        """Where to go once the code is accepted: a path on this site, or the admin's index."""
        target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:index", current_app=self.name)

    def _second_factor_step(self, view: View) -> View:
        """The step's own pages: for a signed-in staff member who still has to pass it; anyone
        else goes to the sign-in page, or on to where they were going."""

        def inner(request: HttpRequest) -> HttpResponseBase:
            user = request.user
            if not (user.is_authenticated and user.is_active and user.is_staff):
                return redirect_to_login(
                    request.get_full_path(), reverse("admin:login", current_app=self.name)
                )
            if not self.second_factor_due(request):
                return HttpResponseRedirect(self._next_of(request))
            return view(request)

        wrapped = never_cache(update_wrapper(inner, view))
        # Where Django's LoginRequiredMiddleware sends a signed-out visitor.
        wrapped.login_url = reverse_lazy("admin:login", current_app=self.name)  # type: ignore[attr-defined]
        return wrapped

    def _step_context(self, request: HttpRequest, **context: Any) -> dict[str, Any]:
        return {
            **self.each_context(request),
            "next": self._next_of(request),
            "service_desk": settings.ADMIN_SERVICE_DESK,
            **context,
        }

    def two_factor_verify(self, request: HttpRequest) -> HttpResponse:
        """Enter the code from the app set up before."""
        assert isinstance(request.user, User)
        if staff_totp_device_of(user=request.user) is None:
            return redirect_to_login(
                self._next_of(request), reverse("admin:two_factor_set_up", current_app=self.name)
            )
        form = TwoFactorCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = staff_totp_verify(user=request.user, token=form.cleaned_data["otp_token"])
            if not isinstance(result, CodeRefused):
                django_otp.login(request, result)
                return HttpResponseRedirect(self._next_of(request))
            form.refuse(result)
        context = self._step_context(request, title="Enter your security code", form=form)
        return TemplateResponse(request, "admin/accounts/two_factor_verify.html", context)

    def two_factor_set_up(self, request: HttpRequest) -> HttpResponse:
        """Set up an authenticator app: scan the QR code (or type the key), enter its code."""
        assert isinstance(request.user, User)
        if staff_totp_device_of(user=request.user) is not None:
            return redirect_to_login(self._next_of(request), self._second_factor_url())
        device = staff_totp_enrolment_start(
            user=request.user, device_id=request.session.get(ENROLMENT_SESSION_KEY)
        )
        request.session[ENROLMENT_SESSION_KEY] = device.pk
        form = TwoFactorCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            result = staff_totp_enrolment_confirm(
                user=request.user, device_id=device.pk, token=form.cleaned_data["otp_token"]
            )
            if not isinstance(result, CodeRefused):
                del request.session[ENROLMENT_SESSION_KEY]
                django_otp.login(request, result)
                messages.success(request, "Your authenticator app is set up.")
                return HttpResponseRedirect(self._next_of(request))
            form.refuse(result)
        context = self._step_context(
            request,
            title="Set up your authenticator app",
            form=form,
            qr_code=mark_safe(totp_qr_code_svg(device)),  # noqa: S308 - made by segno from our own URI
            key=totp_key_display(device),
        )
        return TemplateResponse(request, "admin/accounts/two_factor_set_up.html", context)
