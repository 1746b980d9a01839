"""Access rules for patient pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts.models import IdentityProofingLevel, Patient
from accounts.session_user import session_sign_in_level


def patient_of(request: HttpRequest) -> Patient | None:
    return getattr(getattr(request, "user", None), "patient", None)


def signed_in_patient(request: HttpRequest) -> Patient:
    """The patient behind this request, at the level this session signed in with; staff
    accounts have none and get the 403 page.

    The account holds the latest sign-in's level, which another session of the same patient
    may have raised (a step-up in another browser). This session's own sign-in decides what it
    may see: a session signed in at P5 stays at P5, and is shown no NHS number ("Scopes and
    claims", note 2), whatever the account says. The instance is for reading only.
    """
    patient = patient_of(request)
    if patient is None:
        raise PermissionDenied
    signed_in_with = session_sign_in_level(request.session)
    if signed_in_with is not None and signed_in_with[0] != patient.identity_proofing_level:
        patient.identity_proofing_level, patient.vot = signed_in_with
        if patient.identity_proofing_level != IdentityProofingLevel.P9:
            patient.nhs_number = ""
    return patient


def identity_verified_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """P9-only features: a patient signed in at P5 is offered NHS login's step-up, and comes
    back to the page they asked for (Federation specification 5.1.6.3; NHS login's "Offering
    users medium and high verification" page)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not signed_in_patient(request).identity_verified:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:prove_who_you_are')}?{query}")
        return view(request, *args, **kwargs)

    return wrapped
