"""IM1 connections in the practice admin (docs/im1-api.md, "The patient and the staff"):
staff see the apps paired with their practice's patients, on the list and on each patient's
page, end one, and unlock a patient's pairing once they have spoken to them.

Scoped as every practice page is (linkage/admin/scoping.py, docs/adr/0013). Ending a
connection and unlocking pairing are for staff who may revoke the patient's key
(``linkage.revoke_linkagekey``): revoking the key ends every connection at once, so ending one
asks no more of them (docs/adr/0025). Both go through the audited services in im1/services.py.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from im1.errors import ConnectionNotValidError
from im1.guard import pairing_locked
from im1.models import Connection
from im1.services import im1_connection_end, im1_connections_of, im1_pairing_unlock
from linkage.admin.key_permissions import REASON_MAX_LENGTH, staff_may
from linkage.admin.register import RegisteredPatientAdmin
from linkage.admin.scoping import (
    NhsNumberSearchMixin,
    PracticeScopedAdmin,
    ScopedPracticeFilter,
    staff_actor,
    staff_of,
)
from linkage.models import RegisteredPatient
from linkage.selectors import practices_of

TEMPLATES = "admin/im1/connection"


class EndConnectionForm(forms.Form):
    """Why staff end a connection: required, kept with it (``ended_reason``)."""

    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Why the app is being disconnected, for example: the patient does not recognise "
            "it. Kept with the connection, with your name and the time."
        ),
        error_messages={
            "required": "Enter why the connection is being ended",
            "max_length": f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer",
        },
    )


class ConnectionStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("connected", "Connected"), ("ended", "Ended")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        valid = Connection.objects.valid().values("pk")
        if self.value() == "connected":
            return queryset.filter(pk__in=valid)
        if self.value() == "ended":
            return queryset.exclude(pk__in=valid)
        return queryset


class ConnectionPracticeFilter(ScopedPracticeFilter):
    practice_ods_field = "patient__practice__ods_code"


def connection_status(connection: Connection) -> str:
    """Connected, or Ended, as the patient's own page would say it: a connection whose key
    was revoked has ended too, whether or not it has been used since."""
    if connection.ended_at is None and connection.linkage_key.status == "active":
        return "Connected"
    return "Ended"


@admin.register(Connection)
class ConnectionAdmin(NhsNumberSearchMixin, PracticeScopedAdmin):
    """The apps paired with the practice's patients; each one's page ends it."""

    practice_field = "patient__practice"
    nhs_number_lookup = "patient__nhs_number"
    list_display = ("app_shown", "patient", "status_shown", "connected_shown", "last_used_shown")
    list_select_related = ("partner", "patient", "linkage_key")
    list_filter = (ConnectionStatusFilter, ConnectionPracticeFilter)
    search_fields = ("patient__surname", "partner__name")
    search_help_text = "Search by NHS number (with or without spaces), surname or app name"
    change_form_template = f"{TEMPLATES}/change_form.html"
    fields = (
        "partner",
        "patient",
        "account_id_shown",
        "created_at",
        "last_used_at",
        "status_shown",
        "ended_at",
        "ended_by",
        "ended_reason",
    )
    readonly_fields = fields

    @admin.display(description="status")
    def status_shown(self, connection: Connection) -> str:
        return connection_status(connection)

    @admin.display(description="app", ordering="partner__name")
    def app_shown(self, connection: Connection) -> str:
        return connection.partner.name

    @admin.display(description="connected", ordering="created_at")
    def connected_shown(self, connection: Connection) -> Any:
        return connection.created_at

    @admin.display(description="last used", ordering="last_used_at", empty_value="Not yet")
    def last_used_shown(self, connection: Connection) -> Any:
        return connection.last_used_at

    @admin.display(description="Account ID")
    def account_id_shown(self, connection: Connection) -> str:
        return connection.linkage_key.account_id

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/end/",
                self.admin_site.admin_view(self.end_view),
                name="im1_connection_end",
            ),
            path(
                "unlock-pairing/<int:patient_id>/",
                self.admin_site.admin_view(self.unlock_view),
                name="im1_connection_unlock_pairing",
            ),
        ]
        return own + super().get_urls()

    def has_end_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Staff of the patient's practice who may revoke the patient's key."""
        return staff_may(request, "revoke") and self.has_view_permission(request, obj)

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """The "End connection" button, while it is connected, for staff who may end it."""
        connected = obj is not None and connection_status(obj) == "Connected"
        return {"can_end": connected and self.has_end_permission(request, obj)}

    def end_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET says what will happen and asks why; POST ends the connection, or says why not."""
        connection = self.get_object(request, object_id)
        if not self.has_end_permission(request, connection):
            raise PermissionDenied
        form = EndConnectionForm(request.POST if request.method == "POST" else None)
        if connection_status(connection) != "Connected" or not form.is_valid():
            return self._end_page(request, connection, form)
        try:
            im1_connection_end(
                actor=staff_actor(request),
                connection=connection,
                reason=form.cleaned_data["reason"],
            )
        except ConnectionNotValidError:
            messages.error(request, "This connection had already ended. Nothing was changed.")
        else:
            messages.success(
                request,
                f"{connection.partner.name} disconnected. It can no longer see the patient's GP "
                "record.",
            )
        return HttpResponseRedirect(reverse("admin:im1_connection_change", args=[connection.pk]))

    def unlock_view(self, request: HttpRequest, patient_id: int) -> HttpResponse:
        """GET asks; POST lifts the patient's pairing lock (audited) and goes back to their
        page. Staff of the patient's practice who may revoke their key, as for ending."""
        patient = (
            RegisteredPatient.objects.select_related("practice")
            .filter(pk=patient_id, practice__in=practices_of(staff_of(request)))
            .first()
        )
        if patient is None or not staff_may(request, "revoke"):
            raise PermissionDenied
        patient_url = reverse("admin:linkage_registeredpatient_change", args=[patient.pk])
        if request.method != "POST":
            context = self.patient_page_context(request, patient, "Unlock app pairing")
            context["locked"] = patient_pairing_locked(patient)
            return TemplateResponse(request, f"{TEMPLATES}/unlock_pairing.html", context)
        unlocked = im1_pairing_unlock(actor=staff_actor(request), patient=patient)
        if unlocked:
            messages.success(request, "App pairing unlocked. The patient can connect apps again.")
        else:
            messages.info(request, "App pairing was not locked. Nothing was changed.")
        return HttpResponseRedirect(patient_url)

    def _end_page(
        self, request: HttpRequest, connection: Connection, form: EndConnectionForm
    ) -> TemplateResponse:
        context = self.patient_page_context(request, connection.patient, "End the connection")
        context.update(
            connection=connection, form=form, connected=connection_status(connection) == "Connected"
        )
        return TemplateResponse(request, f"{TEMPLATES}/end_connection.html", context)


def patient_pairing_locked(patient: RegisteredPatient) -> bool:
    account_ids = patient.linkage_keys.values_list("account_id", flat=True)
    return pairing_locked(ods_code=patient.practice.ods_code, account_ids=account_ids)


class PatientConnectionsInline(admin.TabularInline):  # type: ignore[type-arg]
    """The patient's page lists their connected apps, and says when pairing is locked: a
    read-only table, each row linking to the connection's own page where it is ended."""

    model = Connection
    template = f"{TEMPLATES}/patient_connections.html"
    extra = 0
    verbose_name = "connected app"
    verbose_name_plural = "Connected apps (IM1)"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        """The formset, with what the table shows: the patient's connections as their own
        page words them, and whether their pairing is locked."""
        formset: Any = super().get_formset(request, obj, **kwargs)
        formset.connections = im1_connections_of(patient=obj) if obj else []
        formset.pairing_locked = bool(obj) and patient_pairing_locked(obj)
        formset.may_unlock = staff_may(request, "revoke")
        return formset

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return practices_of(staff_of(request)).exists()

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


# The patient's page is linkage's, which never imports im1: im1 adds its table to it here.
RegisteredPatientAdmin.inlines = (*RegisteredPatientAdmin.inlines, PatientConnectionsInline)
