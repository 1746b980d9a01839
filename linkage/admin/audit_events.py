"""The audit trail: read and exported as CSV by the staff of the practices it names, never
added to, changed or deleted here, by anyone (docs/adr/0007, "The audit").

On screen it reads in words (linkage/staff_presenters.py): who acted by name, what they did,
how it ended, and the patient by name and NHS number. The export keeps the stored codes, for
spreadsheets and scripts that count them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.urls import URLPattern, path
from django.utils import timezone

from linkage.admin.scoping import PracticeScopedAdmin, ScopedPracticeFilter, staff_actor, staff_of
from linkage.audit import SUCCESS, AuditAction, audit_event_record
from linkage.models import AuditEvent
from linkage.selectors import audit_events_named, ods_codes_of
from linkage.staff_presenters import (
    actor_type_display,
    audit_action_display,
    audit_actor_display,
    audit_outcome_display,
    person_display,
)

EXPORT_COLUMNS = (
    "occurred_at",
    "actor_type",
    "actor",
    "action",
    "outcome",
    "ods_code",
    "nhs_number",
    "request_id",
    "client_id",
)

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The value as a spreadsheet shows it, never runs it (OWASP, "CSV Injection"): a staff
    username or a caller's request id such as ``=HYPERLINK(...)`` or ``-2+3`` gets a leading
    apostrophe, so the practice manager who opens the export sees text, not a formula."""
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value


class _Echo:
    """A file-like object for csv.writer that hands back each row instead of storing it."""

    def write(self, value: str) -> str:
        return value


def audit_csv_rows(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The header, then one line per event, every cell made spreadsheet-safe; streamed, so a
    year of events is never held in memory."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in events:
        cells = (
            event.occurred_at.isoformat(),
            event.actor_type,
            event.actor,
            event.action,
            event.outcome,
            event.ods_code,
            event.nhs_number,
            event.request_id,
            event.client_id,
        )
        yield writer.writerow([spreadsheet_safe(cell) for cell in cells])


class AuditPracticeFilter(ScopedPracticeFilter):
    """Events name their practice by ODS code alone."""

    practice_ods_field = "ods_code"


class _WordedCodeFilter(admin.SimpleListFilter):
    """A filter on a stored code, offering the codes the staff member's events hold, each in
    words. The parameter is the one Django's own field filter used, so a link or an export
    kept from before still filters the same way."""

    field: str
    wording: staticmethod[[str], str]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        codes = model_admin.get_queryset(request).order_by().values_list(self.field, flat=True)
        worded = self.wording
        return sorted(((code, worded(code)) for code in set(codes)), key=lambda pair: pair[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        return queryset.filter(**{self.field: self.value()})


class AuditActionFilter(_WordedCodeFilter):
    title = "action"
    parameter_name = "action__exact"
    field = "action"
    wording = staticmethod(audit_action_display)


class AuditOutcomeFilter(_WordedCodeFilter):
    title = "outcome"
    parameter_name = "outcome__exact"
    field = "outcome"
    wording = staticmethod(audit_outcome_display)


class ActorTypeFilter(_WordedCodeFilter):
    title = "acting as"
    parameter_name = "actor_type__exact"
    field = "actor_type"
    wording = staticmethod(actor_type_display)


@admin.register(AuditEvent)
class AuditEventAdmin(PracticeScopedAdmin):
    """Read-only for everyone, superusers included; staff see their practices' events."""

    list_display = (
        "occurred_at",
        "actor_type_shown",
        "actor_shown",
        "action_shown",
        "outcome_shown",
        "ods_code",
        "patient_shown",
        "request_id",
    )
    list_filter = (
        AuditPracticeFilter,
        AuditActionFilter,
        AuditOutcomeFilter,
        ActorTypeFilter,
        ("occurred_at", admin.DateFieldListFilter),
    )
    # An event's page shows what its row in the list shows, and nothing can be changed.
    fields = list_display
    readonly_fields = fields
    change_list_template = "admin/linkage/auditevent/change_list.html"
    date_hierarchy = "occurred_at"

    @admin.display(description="acting as", ordering="actor_type")
    def actor_type_shown(self, event: AuditEvent) -> str:
        return actor_type_display(event.actor_type)

    @admin.display(description="who", ordering="actor")
    def actor_shown(self, event: AuditEvent) -> str:
        return audit_actor_display(
            actor_type=event.actor_type,
            actor=event.actor,
            actor_name=getattr(event, "actor_name", ""),
        )

    @admin.display(description="action", ordering="action")
    def action_shown(self, event: AuditEvent) -> str:
        return audit_action_display(event.action)

    @admin.display(description="outcome", ordering="outcome")
    def outcome_shown(self, event: AuditEvent) -> str:
        return audit_outcome_display(event.outcome)

    @admin.display(description="patient", ordering="nhs_number")
    def patient_shown(self, event: AuditEvent) -> str:
        """Ava Thompson (999 000 0018): the name as the practice's register has it, or the
        NHS number alone for one not on it (a refused request about someone else)."""
        return person_display(getattr(event, "patient_name", ""), event.nhs_number)

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        """Superusers also see which API client a change was made to: only they change
        clients, and only they see those events (which name no practice)."""
        if staff_of(request).is_superuser:
            return (*self.list_display, "client_id")
        return tuple(self.list_display)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if staff_of(request).is_superuser:
            return (*self.fields, "client_id")
        return tuple(self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Events name their practice by ODS code (the practice may not exist: a refused call),
        # so the scope is by code; a superuser also sees events with no practice at all.
        queryset = audit_events_named(admin.ModelAdmin.get_queryset(self, request))
        if staff_of(request).is_superuser:
            return queryset
        return queryset.filter(ods_code__in=ods_codes_of(staff_of(request)))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="linkage_auditevent_export",
            )
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The list as filtered on screen, as CSV. The export is itself audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        events = self.get_changelist_instance(request).get_queryset(request)
        audit_event_record(actor=staff_actor(request), action=AuditAction.EXPORT, outcome=SUCCESS)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(audit_csv_rows(events.iterator()), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
