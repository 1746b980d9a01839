"""Practices: their staff switch online services on and off, through the audited service;
superusers add and rename them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from linkage.admin.scoping import PracticeScopedAdmin, staff_actor, staff_of
from linkage.models import Practice
from linkage.practices import practice_online_services_switch
from linkage.selectors import practices_of


@admin.register(Practice)
class PracticeAdmin(PracticeScopedAdmin):
    list_display = ("ods_code", "name", "online_services_live")
    search_fields = ("ods_code", "name")
    actions = ("switch_online_services_on", "switch_online_services_off")
    fields = ("ods_code", "name", "online_services_live")
    practice_field = "pk"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return practices_of(staff_of(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return staff_of(request).is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        if staff_of(request).is_superuser and obj is None:
            return ()
        return ("ods_code",) if staff_of(request).is_superuser else ("ods_code", "name")

    def save_model(self, request: HttpRequest, obj: Practice, form: Any, change: bool) -> None:
        """Online services switched on the practice's own page are switched, and audited, as
        the actions switch them. A superuser's other edits (a new practice, its name) are
        kept in the admin's own history, as for every form."""
        if change and "online_services_live" in form.changed_data:
            practice_online_services_switch(
                actor=staff_actor(request),
                practices=self.get_queryset(request).filter(pk=obj.pk),
                live=obj.online_services_live,
            )
        if not change or set(form.changed_data) - {"online_services_live"}:
            super().save_model(request, obj, form, change)

    @admin.action(description="Switch online services on")
    def switch_online_services_on(self, request: HttpRequest, queryset: QuerySet[Practice]) -> None:
        count = practice_online_services_switch(
            actor=staff_actor(request), practices=queryset, live=True
        )
        self.message_user(request, f"Online services switched on for {count} practice(s)")

    @admin.action(description="Switch online services off")
    def switch_online_services_off(
        self, request: HttpRequest, queryset: QuerySet[Practice]
    ) -> None:
        count = practice_online_services_switch(
            actor=staff_actor(request), practices=queryset, live=False
        )
        self.message_user(request, f"Online services switched off for {count} practice(s)")
