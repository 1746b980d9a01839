"""NHS login provisioning in the admin (docs/provisioning.md): on a registered patient's page,
"Provision NHS login" for staff of the patient's practice who hold
``provisioning.provision_nhs_login``; and the list of requests NHS login answered, scoped to
the staff member's practices like every practice page (docs/adr/0013).

The form's POST calls the one audited service (``nhs_login_provision``); an accepted request
redirects to the patient's page, so that a reload never sends it twice.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from linkage.admin.scoping import PracticeScopedAdmin, staff_actor, staff_of
from linkage.models import RegisteredPatient
from linkage.selectors import practices_of
from provisioning.forms import ProvisionForm
from provisioning.models import ProvisioningRequest
from provisioning.outcomes import StaffWording, outcome_display, staff_wording
from provisioning.services import (
    nhs_login_provision,
    pending_request_of,
    provisioning_refusal,
)

PERMISSION = "provisioning.provision_nhs_login"


@admin.register(ProvisioningRequest)
class ProvisioningRequestAdmin(PracticeScopedAdmin):
    list_display = ("patient", "requested_at", "requested_by", "outcome_shown")
    list_select_related = ("patient", "practice")
    fields = ("patient", "practice", "requested_at", "requested_by", "outcome_shown")
    readonly_fields = fields

    @admin.display(description="NHS login's answer")
    def outcome_shown(self, request_row: ProvisioningRequest) -> str:
        return outcome_display(request_row.outcome)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "patient/<int:patient_id>/",
                self.admin_site.admin_view(self.provision_view),
                name="provisioning_provisioningrequest_provision",
            )
        ]
        return own + super().get_urls()

    def _patient_to_provision(self, request: HttpRequest, patient_id: int) -> RegisteredPatient:
        """One of the staff member's practice's patients, if they hold the permission; else
        403, as for a patient who does not exist."""
        staff = staff_of(request)
        patient = (
            RegisteredPatient.objects.select_related("practice")
            .filter(practice__in=practices_of(staff), pk=patient_id)
            .first()
        )
        if patient is None or not staff.has_perm(PERMISSION):
            raise PermissionDenied
        return patient

    def provision_view(self, request: HttpRequest, patient_id: int) -> HttpResponse:
        """GET confirms the patient's details and asks for the email address and mobile
        number, or says why they cannot be provisioned; POST sends the request."""
        patient = self._patient_to_provision(request, patient_id)
        form = ProvisionForm(request.POST if request.method == "POST" else None)
        answer: StaffWording | None = None
        if request.method == "POST" and form.is_valid():
            result = nhs_login_provision(
                actor=staff_actor(request),
                patient=patient,
                email_address=form.cleaned_data["email_address"],
                phone_number=form.cleaned_data["mobile_number"],
            )
            if result.accepted:
                messages.success(request, staff_wording(result.code).message())
                return HttpResponseRedirect(_patient_url(patient))
            answer = (
                StaffWording(result.refusal.reason, "")
                if result.refusal
                else staff_wording(result.code)
            )
        return self._page(request, patient, form, answer)

    def _page(
        self,
        request: HttpRequest,
        patient: RegisteredPatient,
        form: ProvisionForm,
        answer: StaffWording | None,
    ) -> TemplateResponse:
        refusal = provisioning_refusal(patient)
        context = {
            **self.patient_page_context(request, patient, "Provision NHS login"),
            "form": form,
            "answer": answer,
            "refusal": refusal,
            "pending": pending_request_of(patient),
        }
        return TemplateResponse(request, "admin/provisioning/provision.html", context)


def _patient_url(patient: RegisteredPatient) -> str:
    return reverse("admin:linkage_registeredpatient_change", args=[patient.pk])
