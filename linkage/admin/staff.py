"""Practice staff: who works for which practice, and so whose data they reach (docs/adr/0013)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from linkage.admin.scoping import SuperuserOnlyAdmin, staff_of
from linkage.models import PracticeStaff
from linkage.staff_presenters import staff_member_display


@admin.register(PracticeStaff)
class PracticeStaffAdmin(SuperuserOnlyAdmin):
    """Granted and withdrawn by superusers only."""

    list_display = ("staff_member_shown", "practice")
    list_select_related = ("user", "practice")
    list_filter = ("practice",)
    autocomplete_fields = ("user",)

    @admin.display(description="staff member", ordering="user__last_name")
    def staff_member_shown(self, membership: PracticeStaff) -> str:
        """Sam Taylor (reception): the name colleagues know, and the username."""
        user = membership.user
        return staff_member_display(full_name=user.get_full_name(), username=user.get_username())

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return staff_of(request).is_superuser
