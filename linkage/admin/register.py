"""The practice register: staff search it and load it from CSV; nobody edits a row by hand.

The import is the rule of linkage/register_import.py (all rows or none, every problem listed
with its line), whether it comes from this page or from ``manage.py register_import``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from accounts.presenters import nhs_number_display
from core.uploads import upload_size_check
from linkage.admin.key_issue import PatientKeyAdmin
from linkage.admin.scoping import (
    NhsNumberSearchMixin,
    ScopedPracticeFilter,
    staff_actor,
    staff_of,
)
from linkage.models import Practice, RegisteredPatient
from linkage.register_import import (
    COLUMNS,
    HEADER,
    RegisterImportError,
    RegisterImportResult,
    register_import_text,
    register_template_csv,
)
from linkage.selectors import practices_of


class RegisterImportForm(forms.Form):
    practice = forms.ModelChoiceField(
        queryset=Practice.objects.none(), empty_label="Choose the practice"
    )
    file = forms.FileField(
        label="Register CSV",
        help_text="A CSV file with the columns below, the header row first.",
        validators=[upload_size_check],
    )

    def __init__(self, *args: Any, practices: QuerySet[Practice], **kwargs: Any) -> None:
        """Only the staff member's practices are offered; the one practice of someone who has
        one is chosen already, with nothing else to pick."""
        super().__init__(*args, **kwargs)
        field = self.fields["practice"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = practices
        only = list(practices[:2])
        if len(only) == 1:
            field.empty_label = None
            field.initial = only[0].pk


@dataclass(frozen=True)
class ImportProblems:
    """Why nothing was imported: the first problems, and how many more were not listed."""

    errors: tuple[str, ...] = ()
    not_shown: int = 0


def _register_import(
    request: HttpRequest, form: RegisterImportForm
) -> RegisterImportResult | ImportProblems:
    upload = form.cleaned_data["file"]
    try:
        text = upload.read().decode("utf-8-sig")
        return register_import_text(
            actor=staff_actor(request), practice=form.cleaned_data["practice"], text=text
        )
    except UnicodeDecodeError:
        return ImportProblems(errors=("The file is not UTF-8 text",))
    except RegisterImportError as error:
        return ImportProblems(
            errors=tuple(str(row_error) for row_error in error.errors),
            not_shown=error.errors_not_shown,
        )


@admin.register(RegisteredPatient)
class RegisteredPatientAdmin(NhsNumberSearchMixin, PatientKeyAdmin):
    """Scoped to the staff member's practices; a patient's page issues their first key
    (linkage/admin/key_issue.py)."""

    list_display = (
        "patient_shown",
        "date_of_birth",
        "registration_status",
        "deceased",
        "practice",
    )
    list_select_related = ("practice",)
    list_filter = (ScopedPracticeFilter, "registration_status", "deceased")
    search_fields = ("surname",)
    search_help_text = "Search by NHS number (with or without spaces) or surname"
    change_list_template = "admin/linkage/registeredpatient/change_list.html"
    fields = (
        "nhs_number_shown",
        "given_name",
        "surname",
        "date_of_birth",
        "registration_status",
        "registered_on",
        "registration_ended_on",
        "deceased",
        "practice",
        "updated_at",
    )
    readonly_fields = fields

    @admin.display(description="patient", ordering="surname")
    def patient_shown(self, patient: RegisteredPatient) -> str:
        """Ava Thompson (999 000 0018), as the patient's own page is titled."""
        return str(patient)

    @admin.display(description="NHS number", ordering="nhs_number")
    def nhs_number_shown(self, patient: RegisteredPatient) -> str:
        return nhs_number_display(patient.nhs_number)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="linkage_registeredpatient_import",
            ),
            path(
                "import/template.csv",
                self.admin_site.admin_view(self.import_template_view),
                name="linkage_registeredpatient_import_template",
            ),
        ]
        return own + super().get_urls()

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        """The CSV to fill in, its header row alone, for whoever may import."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        response = HttpResponse(register_template_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="register-template.csv"'
        return response

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """GET shows the form; POST imports the file into one of the staff member's practices,
        or lists why nothing was imported."""
        if not self.has_module_permission(request):
            raise PermissionDenied
        practices = practices_of(staff_of(request))
        form = RegisterImportForm(request.POST or None, request.FILES or None, practices=practices)
        problems = ImportProblems()
        if request.method == "POST" and form.is_valid():
            outcome = _register_import(request, form)
            if isinstance(outcome, RegisterImportResult):
                messages.success(
                    request,
                    f"Imported {outcome.created + outcome.updated} patients: "
                    f"{outcome.created} new, {outcome.updated} updated",
                )
                return HttpResponseRedirect(reverse("admin:linkage_registeredpatient_changelist"))
            problems = outcome
        return self._import_page(request, form, problems)

    def _import_page(
        self, request: HttpRequest, form: RegisterImportForm, problems: ImportProblems
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a practice register",
            "form": form,
            "import_errors": list(problems.errors),
            "import_errors_not_shown": problems.not_shown,
            "columns": COLUMNS,
            "header": ",".join(HEADER),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/linkage/registeredpatient/import.html", context)
