"""The patient's own linkage details (NL01: "the patient ... must be able to create and
retrieve their linkage information"). P9 only: a P5 patient is stepped up first.

The patient is matched to the register by the NHS number and GP practice NHS login gave at
sign-in; nothing from the URL or the form chooses whose details are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import identity_verified_required, signed_in_patient
from accounts.models import Patient
from core.request_id import request_id_of
from linkage.audit import Actor, ActorType, AuditAction
from linkage.errors import (
    LinkageError,
    LinkageKeyExistsError,
    LinkageKeyNotFoundError,
)
from linkage.services import (
    LinkageInformation,
    linkage_key_create,
    linkage_key_retrieve,
)
from linkage.validation import age_on


@dataclass(frozen=True)
class LinkageState:
    """A page for a patient who cannot see linkage details, and what they can do instead."""

    title: str
    paragraphs: tuple[str, ...]
    can_create: bool = False


def _states(ods_code: str) -> dict[str, LinkageState]:
    practice = f"your GP practice ({ods_code})" if ods_code else "your GP practice"
    ask = "Ask your GP practice for your online services details: they will check who you are."
    return {
        "details_missing": LinkageState(
            "We cannot show your linkage details",
            (
                "NHS login did not give us your NHS number or your GP practice, so we cannot "
                "find your registration.",
                ask,
            ),
        ),
        "PRACTICE_NOT_FOUND": LinkageState(
            "Your GP practice does not use this service",
            (f"We cannot find {practice} on this system.", ask),
        ),
        "PRACTICE_NOT_LIVE": LinkageState(
            "Your GP practice does not offer this service yet",
            (f"{practice.capitalize()} has not switched on online services here.", ask),
        ),
        "PATIENT_NOT_FOUND": LinkageState(
            "We cannot find your registration",
            (
                f"We cannot find you on the register of {practice}, or your name or date of "
                "birth there is different from your NHS login.",
                ask,
            ),
        ),
        "PATIENT_NOT_ELIGIBLE": LinkageState(
            "Your registration at this practice has ended",
            (
                f"You are no longer registered at {practice}, so you cannot use its online "
                "services.",
                "If you have registered at another practice, ask them about online services.",
            ),
        ),
        "UNDER_MINIMUM_AGE": LinkageState(
            f"You need to be {settings.LINKAGE_MINIMUM_AGE} or over",
            (
                f"You can get a linkage key yourself from the age of "
                f"{settings.LINKAGE_MINIMUM_AGE}.",
                "Until then, your GP practice can tell you about online services for you.",
            ),
        ),
        "LINKAGE_KEY_NOT_FOUND": LinkageState(
            "You do not have a linkage key yet",
            (
                "A linkage key, with your Account ID and your practice's ODS code, lets an app "
                "connect to your GP record.",
                "You can create one now.",
            ),
            can_create=True,
        ),
        "LINKAGE_KEY_REVOKED": LinkageState(
            "Your linkage key has been cancelled",
            (
                "Your GP practice cancelled your linkage key, so apps can no longer use it.",
                "Ask your GP practice for a new one. They will check who you are first.",
            ),
        ),
    }


def _actor(request: HttpRequest, patient: Patient) -> Actor:
    return Actor(ActorType.PATIENT, patient.nhs_login_sub, request_id_of(request))


def _state_page(request: HttpRequest, patient: Patient, state: str) -> HttpResponse:
    return render(
        request,
        "linkage/state.jinja",
        {"state": _states(patient.gp_ods_code)[state]},
    )


def _details_page(
    request: HttpRequest, information: LinkageInformation, *, show_key: bool, created: bool = False
) -> HttpResponse:
    response = render(
        request,
        "linkage/details.jinja",
        {
            "account_id": information.account_id,
            "ods_code": information.ods_code,
            # The key reaches the page only when the patient asked to see it.
            "linkage_key": information.linkage_key if show_key else None,
            "created": created,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


def _retrieve(request: HttpRequest, action: AuditAction, *, show_key: bool) -> HttpResponse:
    patient = signed_in_patient(request)
    if not patient.nhs_number or not patient.gp_ods_code:
        return _state_page(request, patient, "details_missing")
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
        return _state_page(
            request, patient, "UNDER_MINIMUM_AGE" if too_young else "LINKAGE_KEY_NOT_FOUND"
        )
    except LinkageError as error:
        return _state_page(request, patient, error.error_code)
    return _details_page(request, information, show_key=show_key)


@require_GET
@identity_verified_required
def linkage_details(request: HttpRequest) -> HttpResponse:
    """Account ID and ODS code; the key stays hidden until asked for."""
    return _retrieve(request, AuditAction.VIEW, show_key=False)


@require_POST
@identity_verified_required
def linkage_key_show(request: HttpRequest) -> HttpResponse:
    """The patient chose to see their key: a POST, so the key is never in a URL or a cache."""
    return _retrieve(request, AuditAction.SHOW_KEY, show_key=True)


@require_GET
@never_cache
@identity_verified_required
def linkage_key_create_confirm(request: HttpRequest) -> HttpResponse:
    return render(request, "linkage/create_confirm.jinja")


@require_POST
@identity_verified_required
def linkage_key_create_submit(request: HttpRequest) -> HttpResponse:
    patient = signed_in_patient(request)
    if not patient.nhs_number or not patient.gp_ods_code or not patient.birthdate:
        return _state_page(request, patient, "details_missing")
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
        return _state_page(request, patient, error.error_code)
    return _details_page(request, information, show_key=True, created=True)
