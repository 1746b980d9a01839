"""A patient's P9 sign-in unlocks pairing with their accounts (docs/adr/0025, "Unlocking").

A locked account is one that someone failed to pair with too often; the patient proving who
they are to NHS login at P9, and so to this portal, is the sign that they still hold their
details and may try again. Connected to django.contrib.auth's ``user_logged_in``, which the
NHS login sign-in sends, so that accounts never imports im1. Never in the way of the sign-in
itself: a failure here is logged and the patient is signed in all the same.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import IdentityProofingLevel, Patient
from core.request_id import request_id_of
from im1.guard import registration_pairing_locked
from im1.services import im1_pairing_unlock
from linkage.audit import Actor, ActorType
from linkage.errors import LinkageError
from linkage.models import RegisteredPatient

logger = logging.getLogger(__name__)


def _p9_registration(profile: Patient) -> tuple[str, str] | None:
    """The NHS number and practice a P9 sign-in proved, which the register may hold: None
    below P9, or without either."""
    if profile.identity_proofing_level != IdentityProofingLevel.P9:
        return None
    if not profile.nhs_number or not profile.gp_ods_code:
        return None
    return profile.nhs_number, profile.gp_ods_code


@receiver(user_logged_in, dispatch_uid="im1_pairing_unlocked_at_p9_sign_in")
def pairing_unlocked_at_p9_sign_in(
    sender: type[Any], request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Unlock the patient's locked accounts, if any (an audit event only then)."""
    try:
        profile = user.patient
    except (AttributeError, ObjectDoesNotExist):
        return  # staff
    registration = _p9_registration(profile)
    if registration is None:
        return
    nhs_number, ods_code = registration
    try:
        if not registration_pairing_locked(nhs_number=nhs_number, ods_code=ods_code):
            return
        patient = (
            RegisteredPatient.objects.select_related("practice")
            .filter(nhs_number=nhs_number, practice__ods_code=ods_code)
            .first()
        )
        if patient is None:
            return
        request_id = request_id_of(request) if request is not None else ""
        actor = Actor(ActorType.PATIENT, profile.nhs_login_sub, request_id)
        im1_pairing_unlock(actor=actor, patient=patient)
        logger.info("IM1 pairing unlocked by the patient's P9 sign-in")
    except (DatabaseError, LinkageError) as error:
        logger.error("IM1 pairing not unlocked at sign-in: %s", type(error).__name__)
