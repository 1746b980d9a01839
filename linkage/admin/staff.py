"""Practice staff: who works for which practice, and so whose data they reach (docs/adr/0013)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from linkage.admin.scoping import SuperuserOnlyAdmin, staff_of
from linkage.models import PracticeStaff


@admin.register(PracticeStaff)
class PracticeStaffAdmin(SuperuserOnlyAdmin):
    """Granted and withdrawn by superusers only."""

    list_display = ("user", "practice")
    list_filter = ("practice",)
    autocomplete_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return staff_of(request).is_superuser
