"""Admin for accounts: users, their second factor, and the sign-in lockout (docs/adr/0011).

Superusers manage all of it. Practice staff have no model permissions here, so none of these
lists is theirs to see: lockout records name other practices' staff and addresses.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.staff_two_factor import staff_two_factor_reset

# django-otp's own device admin shows each key (a QR code link) to whoever can view devices;
# superusers reset a device from the user list instead, and nobody reads a key back.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class SuperuserOnly:
    """Readable by superusers only; nobody adds records by hand."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(User)
class StaffUserAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "two_factor_set_up")
    actions = ("reset_two_factor",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """Whether each user has set up their app, read in the list's own query."""
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        users: QuerySet[User] = super().get_queryset(request)
        return users.annotate(has_two_factor=Exists(confirmed))

    @admin.display(description="Two-factor set up", boolean=True, ordering="has_two_factor")
    def two_factor_set_up(self, user: User) -> bool:
        return bool(getattr(user, "has_two_factor", False))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("reset_two_factor", None)
        return actions

    @admin.action(description="Reset two-factor sign-in (a lost or new phone)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        """The staff member sets up their authenticator app again at their next request."""
        if not request.user.is_superuser:
            return
        for user in queryset:
            staff_two_factor_reset(user=user)
            self.log_change(request, user, "Reset two-factor sign-in")
        self.message_user(
            request,
            f"Two-factor sign-in reset for {queryset.count()} user(s): each sets up their "
            "authenticator app again at their next sign-in",
            messages.SUCCESS,
        )


@admin.register(AccessAttempt)
class SignInLockoutAdmin(SuperuserOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Failed admin sign-ins still within the cool-off, per username, address and browser.
    Deleting a row clears its failures: that is how a superuser lifts a lockout early."""

    list_display = ("attempt_time", "username", "ip_address", "failures_since_start", "lifts_at")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = ("username", "ip_address", "user_agent", "failures_since_start", "attempt_time")
    readonly_fields = fields
    actions = ("delete_selected",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    @admin.display(description="Counts until")
    def lifts_at(self, attempt: AccessAttempt) -> str:
        ends = timezone.localtime(attempt.attempt_time + settings.AXES_COOLOFF_TIME)
        return f"{ends:%d %b %Y %H:%M}"


@admin.register(AccessLog)
class SignInLogAdmin(SuperuserOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Successful admin sign-ins and sign-outs."""

    list_display = ("attempt_time", "logout_time", "username", "ip_address", "user_agent")
    list_filter = ("attempt_time",)
    search_fields = ("username", "ip_address")
    date_hierarchy = "attempt_time"
    fields = ("username", "ip_address", "user_agent", "attempt_time", "logout_time")
    readonly_fields = fields

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
