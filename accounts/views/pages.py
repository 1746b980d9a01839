"""The signed-in patient's own pages: their details, and the step-up's explanation."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import signed_in_patient
from accounts.gp_practices import gp_practice_shown
from accounts.presenters import PatientPresenter
from accounts.sign_in_flow import sign_in_next_or_home


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's details, as NHS login gave them at this sign-in, with the name
    of the GP practice their code names."""
    patient = signed_in_patient(request)
    details = PatientPresenter(patient, practice=gp_practice_shown(patient.gp_ods_code))
    return render(request, "accounts/home.jinja", {"details": details})


@require_GET
def prove_who_you_are(request: HttpRequest) -> HttpResponse:
    """Explains the step-up before sending a P5 patient to NHS login for P9."""
    signed_in_patient(request)
    return render(
        request,
        "accounts/prove_who_you_are.jinja",
        {"next": sign_in_next_or_home(request, request.GET.get("next"))},
    )
