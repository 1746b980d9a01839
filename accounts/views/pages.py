"""The patient's own pages: their details, the step-up's explanation, and how to contact their
GP practice."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import patient_of, signed_in_patient
from accounts.gp_practices import gp_practice_shown
from accounts.models import Patient
from accounts.online_services import OnlineServicesCheck, patient_online_services_check
from accounts.presenters import (
    OnlineServicesProblemWording,
    PatientPresenter,
    online_services_problem_wording,
)
from accounts.sign_in_flow import sign_in_next_or_home


def _problem_wording(
    patient: Patient, check: OnlineServicesCheck
) -> OnlineServicesProblemWording | None:
    if check.problem is None:
        return None
    return online_services_problem_wording(
        check.problem, ods_code=patient.gp_ods_code, practice=check.practice
    )


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's details, as NHS login gave them at this sign-in, with the name
    of the GP practice their code names and, if this service cannot find their GP record,
    why (accounts/online_services.py)."""
    patient = signed_in_patient(request)
    check = patient_online_services_check(patient=patient)
    return render(
        request,
        "accounts/home.jinja",
        {
            "details": PatientPresenter(patient, practice=check.practice),
            "problem": _problem_wording(patient, check),
        },
    )


def online_services_problem_page(
    request: HttpRequest, patient: Patient, check: OnlineServicesCheck
) -> HttpResponse:
    """Instead of the step-up: why proving who they are would not help this patient."""
    return render(
        request,
        "accounts/online_services_problem.jinja",
        {"problem": _problem_wording(patient, check)},
    )


@require_GET
def prove_who_you_are(request: HttpRequest) -> HttpResponse:
    """Explains the step-up before sending a P5 patient to NHS login for P9; or, when this
    service could not find their GP record even at P9, says so instead (ADR 0021)."""
    patient = signed_in_patient(request)
    check = patient_online_services_check(patient=patient)
    if check.problem is not None:
        return online_services_problem_page(request, patient, check)
    return render(
        request,
        "accounts/prove_who_you_are.jinja",
        {"next": sign_in_next_or_home(request, request.GET.get("next"))},
    )


@login_not_required
@require_GET
def contact(request: HttpRequest) -> HttpResponse:
    """How to contact your GP practice: for a signed-in patient, their practice by name and
    code; for anyone else, where to find theirs. The practices hold no address or phone
    number, so the page says where to find them. Public: every page's footer links it."""
    patient = patient_of(request) if request.user.is_authenticated else None
    practice = gp_practice_shown(patient.gp_ods_code) if patient else None
    return render(
        request,
        "information/contact.jinja",
        {"patient": patient, "practice": practice},
    )
