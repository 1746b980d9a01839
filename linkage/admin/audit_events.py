"""The audit trail: read and exported as CSV by the staff of the practices it names, never
added to, changed or deleted here, by anyone (docs/adr/0007, "The audit")."""

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

from accounts.presenters import nhs_number_display
from linkage.admin.scoping import PracticeScopedAdmin, ScopedPracticeFilter, staff_actor, staff_of
from linkage.audit import SUCCESS, AuditAction, audit_event_record
from linkage.models import AuditEvent
from linkage.selectors import ods_codes_of

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


@admin.register(AuditEvent)
class AuditEventAdmin(PracticeScopedAdmin):
    """Read-only for everyone, superusers included; staff see their practices' events."""

    list_display = (
        "occurred_at",
        "actor_type",
        "actor",
        "action",
        "outcome",
        "ods_code",
        "nhs_number_shown",
        "request_id",
    )
    list_filter = (
        AuditPracticeFilter,
        "action",
        "outcome",
        "actor_type",
        ("occurred_at", admin.DateFieldListFilter),
    )
    change_list_template = "admin/linkage/auditevent/change_list.html"
    date_hierarchy = "occurred_at"

    @admin.display(description="NHS number", ordering="nhs_number")
    def nhs_number_shown(self, event: AuditEvent) -> str:
        return nhs_number_display(event.nhs_number) if event.nhs_number else ""

    def get_list_display(self, request: HttpRequest) -> tuple[str, ...]:
        """Superusers also see which API client a change was made to: only they change
        clients, and only they see those events (which name no practice)."""
        if staff_of(request).is_superuser:
            return (*self.list_display, "client_id")
        return tuple(self.list_display)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Events name their practice by ODS code (the practice may not exist: a refused call),
        # so the scope is by code; a superuser also sees events with no practice at all.
        queryset = admin.ModelAdmin.get_queryset(self, request)
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
