"""The portal's Django admin site: staff use it only after their second factor.

Django's admin asks one question, ``has_permission`` (an active staff member), of every admin
view through ``admin_view``. This site adds a second: when ``ADMIN_TWO_FACTOR_REQUIRED`` is
on, a staff member whose session has not passed a TOTP code (django-otp's
``user.is_verified()``) is sent to enter one, or to set up their authenticator app if they have
none, and reaches nothing else but signing out (docs/adr/0011). The two pages of that step
are this site's own, in the admin's look.

It also answers those who are not, or not yet, where they meant to be, in the admin's look
and words rather than the patient pages': a patient signed in with NHS login who opens the
admin goes to their own home page; a member of staff refused a page (no permission, or
another practice's record) gets a page that says why and what to do; and a member of staff
signed out who follows a link to any admin page gets the admin's sign-in page, not the
patients' start page.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import update_wrapper
from types import FunctionType
from typing import Any

import django_otp
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, URLResolver, path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache

from accounts.models import Patient, User
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
from core.admin_host import PORTAL_URLCONF, on_admin_host

ENROLMENT_SESSION_KEY = "staff_totp_enrolment_device"
View = Callable[..., HttpResponseBase]


def _sign_in_page_for_the_signed_out(
    patterns: list[URLResolver | URLPattern], login_url: str | Promise
) -> None:
    """Send a signed-out visitor to any admin page to the admin's sign-in page.

    Django's LoginRequiredMiddleware sends them to the view's own ``login_url``, else to
    LOGIN_URL, the patients' start page. Django gives the site's own views the admin's
    sign-in page but not each ModelAdmin's, so a member of staff following a bookmark to the
    register, or a custom page such as the register import, would meet the NHS login button.
    """
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _sign_in_page_for_the_signed_out(pattern.url_patterns, login_url)
        elif isinstance(pattern.callback, FunctionType) and not hasattr(
            pattern.callback, "login_url"
        ):
            pattern.callback.login_url = login_url  # type: ignore[attr-defined]


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
    # Django's own, with the page's one heading (axe-core: page-has-heading-one) and where to
    # turn for a forgotten password or a patient who came to the wrong door.
    login_template = "admin/accounts/login.html"

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
            if self._signed_in_patient(request):
                return HttpResponseRedirect(self._patient_home_url(request))
            try:
                return checked(request, *args, **kwargs)
            except PermissionDenied:
                return self.permission_denied(request)

        return update_wrapper(inner, checked)

    @method_decorator(never_cache)
    @login_not_required
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        if request.method == "GET" and self.second_factor_due(request):
            return redirect_to_login(self._next_of(request), self._second_factor_url())
        if request.method == "GET" and self._signed_in_patient(request):
            return HttpResponseRedirect(self._patient_home_url(request))
        context = {"service_desk": settings.ADMIN_SERVICE_DESK, **(extra_context or {})}
        return super().login(request, context)

    # --- Those who are not where they meant to be -------------------------------------------

    def _signed_in_patient(self, request: HttpRequest) -> bool:
        """A patient signed in with NHS login: never staff, and the admin has nothing for
        them."""
        user = request.user
        return bool(
            user.is_authenticated
            and not user.is_staff
            and Patient.objects.filter(user_id=user.pk).exists()
        )

    def _patient_home_url(self, request: HttpRequest) -> str:
        """The patient's home page, on the patient-facing host when the admin has its own."""
        home = reverse("accounts:home", urlconf=PORTAL_URLCONF)
        return f"{settings.PORTAL_BASE_URL}{home}" if on_admin_host(request) else home

    def permission_denied(self, request: HttpRequest) -> TemplateResponse:
        """The admin's own 403: a member of staff refused a page (one they have no permission
        for, or a record not of their practices, which reads as one that does not exist:
        docs/adr/0013) is told so in the admin's look, with the way back and whom to ask,
        instead of the patients' page, whose only link is the NHS login start page."""
        context = {
            **self.each_context(request),
            "title": "You cannot open this page",
            "service_desk": settings.ADMIN_SERVICE_DESK,
        }
        return TemplateResponse(
            request, "admin/accounts/permission_denied.html", context, status=403
        )

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
        urls = own + super().get_urls()
        _sign_in_page_for_the_signed_out(urls, reverse_lazy("admin:login", current_app=self.name))
        return urls

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
