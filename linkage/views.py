"""The patient's own linkage details (NL01: "the patient ... must be able to create and
retrieve their linkage information"), and cancelling a key they think someone else knows.
P9 only: a P5 patient is stepped up first.

The patient is matched to the register by the NHS number and GP practice NHS login gave at
sign-in; nothing from the URL or the form chooses whose details are shown.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import identity_verified_required, signed_in_patient
from accounts.models import Patient
from core.form_posts import require_post_from
from core.request_id import request_id_of
from linkage.audit import Actor, ActorType, AuditAction
from linkage.errors import (
    LinkageError,
    LinkageKeyExistsError,
    LinkageKeyNotFoundError,
    LinkageKeyRevokedError,
)
from linkage.keys import LinkageInformation
from linkage.page_sections import details_page_sections
from linkage.patient_cancel import linkage_key_cancel
from linkage.presenters import (
    CANCELLED_BY_PATIENT,
    DETAILS_MISSING,
    linkage_details_for,
    linkage_refusal_for,
)
from linkage.selectors import linkage_key_cancelled_by_patient_on, practice_name_of
from linkage.services import linkage_key_create, linkage_key_retrieve
from linkage.validation import age_on


def _actor(request: HttpRequest, patient: Patient) -> Actor:
    return Actor(ActorType.PATIENT, patient.nhs_login_sub, request_id_of(request))


def _refusal_page(
    request: HttpRequest, patient: Patient, reason: str, *, cancelled_on: date | None = None
) -> HttpResponse:
    refusal = linkage_refusal_for(reason, ods_code=patient.gp_ods_code, cancelled_on=cancelled_on)
    return render(request, "linkage/refusal.jinja", {"refusal": refusal})


def _revoked_page(request: HttpRequest, patient: Patient) -> HttpResponse:
    """A key the patient cancelled themselves can be replaced at once; one their practice
    cancelled is the practice's to replace."""
    cancelled_on = linkage_key_cancelled_by_patient_on(
        nhs_number=patient.nhs_number, ods_code=patient.gp_ods_code
    )
    if cancelled_on is None:
        return _refusal_page(request, patient, "LINKAGE_KEY_REVOKED")
    return _refusal_page(request, patient, CANCELLED_BY_PATIENT, cancelled_on=cancelled_on)


def _details_page(
    request: HttpRequest,
    patient: Patient,
    information: LinkageInformation,
    *,
    show_key: bool,
    created: bool = False,
) -> HttpResponse:
    details = linkage_details_for(
        information,
        patient_names=(patient.given_name, patient.family_name),
        practice_name=practice_name_of(information.ods_code),
        # The key reaches the page only when the patient asked to see it.
        show_key=show_key,
        today=timezone.localdate(),
    )
    sections = details_page_sections(
        request, nhs_number=patient.nhs_number, ods_code=information.ods_code
    )
    context = {"details": details, "created": created, "sections": sections}
    response = render(request, "linkage/details.jinja", context)
    response["Cache-Control"] = "no-store"
    return response


def _retrieve(request: HttpRequest, action: AuditAction, *, show_key: bool) -> HttpResponse:
    patient = signed_in_patient(request)
    if not patient.nhs_number or not patient.gp_ods_code:
        return _refusal_page(request, patient, DETAILS_MISSING)
    try:
        information = linkage_key_retrieve(
            actor=_actor(request, patient),
            nhs_number=patient.nhs_number,
            ods_code=patient.gp_ods_code,
            action=action,
        )
    except LinkageKeyNotFoundError:
        # Say now that a key cannot be created, rather than after the patient asks for one.
        too_young = patient.birthdate is not None and (
            age_on(patient.birthdate, timezone.localdate()) < settings.LINKAGE_MINIMUM_AGE
        )
        return _refusal_page(
            request, patient, "UNDER_MINIMUM_AGE" if too_young else "LINKAGE_KEY_NOT_FOUND"
        )
    except LinkageKeyRevokedError:
        return _revoked_page(request, patient)
    except LinkageError as error:
        return _refusal_page(request, patient, error.error_code)
    return _details_page(request, patient, information, show_key=show_key)


@require_GET
@identity_verified_required
def linkage_details(request: HttpRequest) -> HttpResponse:
    """Account ID and GP practice code; the key stays hidden until asked for."""
    return _retrieve(request, AuditAction.VIEW, show_key=False)


@require_post_from("linkage:details")
@identity_verified_required
def linkage_key_show(request: HttpRequest) -> HttpResponse:
    """The patient chose to see their key: a POST, so the key is never in a URL or a cache."""
    return _retrieve(request, AuditAction.SHOW_KEY, show_key=True)


@require_GET
@never_cache
@identity_verified_required
def linkage_key_create_confirm(request: HttpRequest) -> HttpResponse:
    return render(request, "linkage/create_confirm.jinja")


@require_post_from("linkage:create_confirm")
@identity_verified_required
def linkage_key_create_submit(request: HttpRequest) -> HttpResponse:
    patient = signed_in_patient(request)
    if not patient.nhs_number or not patient.gp_ods_code or not patient.birthdate:
        return _refusal_page(request, patient, DETAILS_MISSING)
    try:
        information = linkage_key_create(
            actor=_actor(request, patient),
            nhs_number=patient.nhs_number,
            ods_code=patient.gp_ods_code,
            surname=patient.family_name,
            date_of_birth=patient.birthdate,
        )
    except LinkageKeyExistsError:
        # Created already (a second tab, a double click): show what exists.
        return HttpResponseRedirect(reverse("linkage:details"))
    except LinkageError as error:
        return _refusal_page(request, patient, error.error_code)
    return _details_page(request, patient, information, show_key=True, created=True)


@require_http_methods(["GET", "POST"])
@never_cache
@identity_verified_required
def linkage_key_cancel_confirm(request: HttpRequest) -> HttpResponse:
    """The patient cancels a key they think someone else knows. GET asks first, and is what a
    refreshed or shared address shows; the POST, with its CSRF token, cancels, and the details
    page then says so and offers a new key."""
    if request.method != "POST":
        return render(request, "linkage/cancel_confirm.jinja")
    patient = signed_in_patient(request)
    if not patient.nhs_number or not patient.gp_ods_code:
        return _refusal_page(request, patient, DETAILS_MISSING)
    try:
        linkage_key_cancel(
            actor=_actor(request, patient),
            nhs_number=patient.nhs_number,
            ods_code=patient.gp_ods_code,
        )
    except (LinkageKeyRevokedError, LinkageKeyNotFoundError):
        # Cancelled already (a double click, a second tab) or never made: the page says which.
        pass
    except LinkageError as error:
        return _refusal_page(request, patient, error.error_code)
    return HttpResponseRedirect(reverse("linkage:details"))
