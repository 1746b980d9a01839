"""A patient's page in the admin: staff issue a first key to a registered patient who has none,
and read the new key once, on a letter to print for the patient (docs/adr/0024).

The key is made by ``linkage_key_create`` with a staff actor, under the rules every create
meets (registered and alive, at least LINKAGE_MINIMUM_AGE, no active key, online services
on; linkage/services.py), and is audited like any create. The POST redirects to the letter
page (linkage/admin/key_handover.py), so a reload never issues a second key.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from linkage.admin.key_handover import new_key_hand_over, new_key_take
from linkage.admin.key_permissions import staff_may
from linkage.admin.scoping import PracticeScopedAdmin, staff_actor, staff_of
from linkage.errors import LinkageError
from linkage.models import LinkageKey, LinkageKeyStatus, RegisteredPatient
from linkage.services import linkage_key_create
from linkage.staff_key_presenters import key_letter_for, staff_key_refusal

TEMPLATES = "admin/linkage/registeredpatient"


class PatientKeyAdmin(PracticeScopedAdmin):
    """The patient's page, with its "Issue a linkage key" button and the new key's letter."""

    change_form_template = f"{TEMPLATES}/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<path:object_id>/issue-key/",
                self.admin_site.admin_view(self.issue_key_view),
                name="linkage_registeredpatient_issue_key",
            ),
            path(
                "<path:object_id>/new-key-letter/",
                self.admin_site.admin_view(self.key_letter_view),
                name="linkage_registeredpatient_key_letter",
            ),
        ]
        return own + super().get_urls()

    def has_issue_key_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Staff of the patient's practice with ``linkage.issue_linkagekey``."""
        return staff_may(request, "issue") and self.has_view_permission(request, obj)

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """The patient's active key, and the Issue button for staff who may use it; and the
        "Provision NHS login" button for staff who hold that permission (provisioning/admin.py
        serves its page; named here by permission and URL only)."""
        return {
            "active_key": _active_key(obj) if obj else None,
            "can_issue_key": obj is not None and self.has_issue_key_permission(request, obj),
            "can_provision_nhs_login": obj is not None
            and self.has_view_permission(request, obj)
            and staff_of(request).has_perm("provisioning.provision_nhs_login"),
        }

    def _patient_to_issue(self, request: HttpRequest, object_id: str) -> RegisteredPatient:
        """One of the staff member's practice's patients, if they may issue keys; else 403, as
        for a patient who does not exist."""
        patient = self.get_object(request, object_id)
        if patient is None or not self.has_issue_key_permission(request, patient):
            raise PermissionDenied
        return patient  # type: ignore[no-any-return]

    def issue_key_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET says what will happen; POST issues the key and goes to its letter."""
        patient = self._patient_to_issue(request, object_id)
        if request.method != "POST":
            context = self.patient_page_context(request, patient, "Issue a linkage key")
            context["active_key"] = _active_key(patient)
            return TemplateResponse(request, f"{TEMPLATES}/issue_key.html", context)
        try:
            information = linkage_key_create(
                actor=staff_actor(request),
                nhs_number=patient.nhs_number,
                ods_code=patient.practice.ods_code,
                surname=patient.surname,
                date_of_birth=patient.date_of_birth,
            )
        except LinkageError as error:
            messages.error(request, staff_key_refusal(error.error_code, action="issue"))
            return HttpResponseRedirect(_patient_url(patient))
        new_key_hand_over(
            request.session, patient_id=patient.pk, information=information, reissued=False
        )
        return HttpResponseRedirect(
            reverse("admin:linkage_registeredpatient_key_letter", args=[patient.pk])
        )

    def key_letter_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The new key, once: its letter while the handover lasts, then never again here."""
        patient = self.get_object(request, object_id)
        if patient is None:
            raise PermissionDenied
        new_key = new_key_take(request.session, patient_id=patient.pk)
        context = self.patient_page_context(request, patient, "New linkage key")
        if new_key is not None:
            context["letter"] = key_letter_for(
                practice_name=patient.practice.name,
                ods_code=new_key.ods_code,
                given_name=patient.given_name,
                surname=patient.surname,
                issued_on=new_key.issued_on,
                account_id=new_key.account_id,
                linkage_key=new_key.linkage_key,
                reissued=new_key.reissued,
            )
        response = TemplateResponse(request, f"{TEMPLATES}/key_letter.html", context)
        response["Cache-Control"] = "no-store"
        return response


def _active_key(patient: RegisteredPatient) -> LinkageKey | None:
    return patient.linkage_keys.filter(status=LinkageKeyStatus.ACTIVE).first()


def _patient_url(patient: RegisteredPatient) -> str:
    return reverse("admin:linkage_registeredpatient_change", args=[patient.pk])
