"""Whom each admin page is for (docs/adr/0013): practice data for the staff of its practice,
system-wide records for superusers, and who is acting, for the audit.

Every queryset of practice data is limited by ``linkage.selectors.practices_of``, and every
object permission is answered from that queryset, so an id in a URL outside the staff member's
practices is refused as a missing one would be.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from accounts.models import User
from accounts.presenters import date_display, nhs_number_display
from core.nhs_identifiers import InvalidValueError, nhs_number_normalise
from core.request_id import request_id_of
from linkage.audit import Actor, ActorType
from linkage.models import RegisteredPatient
from linkage.selectors import practices_of
from linkage.staff_key_presenters import patient_name_display


def staff_actor(request: HttpRequest) -> Actor:
    """The staff member as the audit names them, with the request's own id, so that each row
    can be traced to the request's log lines (core/request_id.py)."""
    return Actor(ActorType.STAFF, request.user.get_username(), request_id_of(request))


def staff_of(request: HttpRequest) -> User | AnonymousUser:
    """The user asking. The admin's login page asks every ModelAdmin for its permissions
    before anyone has signed in, so this is often anonymous."""
    user = request.user
    assert isinstance(user, User | AnonymousUser)
    return user


class PracticeScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff of a practice may look at its data; nobody adds or deletes it here."""

    practice_field = "practice"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return practices_of(staff_of(request)).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset.filter(**{f"{self.practice_field}__in": practices_of(staff_of(request))})

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        """A record outside the staff member's practices, or none at all, by the same
        answer: the admin's own refusal page (accounts/admin_site.py), where Django would
        go back to the index with "doesn't exist. Perhaps it was deleted?"."""
        found = super().get_object(request, object_id, from_field)
        if found is None:
            raise PermissionDenied
        return found

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The record's page, with what ``change_page_context`` adds for its buttons."""
        extra = self.change_page_context(request, self.get_object(request, object_id))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """What a record's page shows beside the record (the actions the staff member may
        take on it, say); nothing by default."""
        return {}

    def patient_page_context(
        self, request: HttpRequest, patient: RegisteredPatient, title: str
    ) -> dict[str, Any]:
        """What every page about one patient shows above its own content (the summary in
        admin/linkage/registeredpatient/patient_summary.html) and the way back to them."""
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "patient": patient,
            "patient_url": reverse("admin:linkage_registeredpatient_change", args=[patient.pk]),
            "patient_name": patient_name_display(patient.given_name, patient.surname),
            "nhs_number": nhs_number_display(patient.nhs_number),
            "date_of_birth": date_display(patient.date_of_birth),
            "opts": self.model._meta,
        }


class SuperuserOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """System-wide records: superusers manage them; nobody deletes them here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return staff_of(request).is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return staff_of(request).is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return staff_of(request).is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return staff_of(request).is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class NhsNumberSearchMixin:
    """A search box that takes an NHS number with or without spaces, or else the fields in
    search_fields."""

    nhs_number_lookup = "nhs_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            nhs_number = nhs_number_normalise(search_term)
        except InvalidValueError:
            results: tuple[QuerySet[Any], bool] = super().get_search_results(  # type: ignore[misc]
                request, queryset, search_term
            )
            return results
        return queryset.filter(**{self.nhs_number_lookup: nhs_number}), False


class ScopedPracticeFilter(admin.SimpleListFilter):
    """A practice filter that offers only the staff member's practices."""

    title = "practice"
    parameter_name = "practice"
    practice_ods_field = "practice__ods_code"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(p.ods_code, str(p)) for p in practices_of(staff_of(request))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(**{self.practice_ods_field: self.value()})
