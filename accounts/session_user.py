"""The signed-in patient, kept in their session as well as in the database.

App servers keep sessions in Redis (docs/operations.md). When PostgreSQL is briefly
unreachable (a restart, a failover), Django could not load the signed-in user and every
signed-in page answered 503. With a copy of the patient's details in the session, pages that
need nothing more (their home page, the step-up explanation, sign-out) keep working; pages
that need the database still answer 503 (docs/operations.md, "What happens when something fails").

The copy is written at each sign-in, step-up included, from the same NHS login claims the
database row was written from, and goes when the session does. It is used only when the
database cannot be reached, and only for the user id the session itself names.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import IdentityProofingLevel, Patient, User

logger = logging.getLogger(__name__)

PATIENT_COPY = "portal_patient"
_COPIED_FIELDS = (
    "nhs_login_sub",
    "nhs_number",
    "given_name",
    "family_name",
    "gp_ods_code",
    "identity_proofing_level",
    "vot",
)


def _nhs_number_at_p9(copy: dict[str, Any]) -> str:
    """The copy's NHS number, or none below P9: NHS login's traced NHS number must not be
    given or presented to a patient below P9 ("Scopes and claims", note 2), and a copy written
    before that rule must not bring one back."""
    if copy.get("identity_proofing_level") != IdentityProofingLevel.P9:
        return ""
    nhs_number = copy.get("nhs_number")
    return nhs_number if isinstance(nhs_number, str) else ""


def session_sign_in_level(session: SessionBase) -> tuple[str, str] | None:
    """The identity proofing level and ``vot`` this session signed in with, from its copy;
    None if the session holds no copy of the patient it is signed in as."""
    copy = session.get(PATIENT_COPY)
    if not isinstance(copy, dict) or copy.get("user_id") != str(session.get(SESSION_KEY)):
        return None
    level, vot = copy.get("identity_proofing_level"), copy.get("vot")
    if not isinstance(level, str) or not isinstance(vot, str):
        return None
    return level, vot


def session_patient_store(session: SessionBase, user: User) -> None:
    """Called at sign-in, after ``auth.login``."""
    patient: Patient = user.patient
    copy: dict[str, Any] = {field: getattr(patient, field) for field in _COPIED_FIELDS}
    copy["nhs_number"] = _nhs_number_at_p9(copy)
    copy["has_nhs_number"] = patient.has_nhs_number
    copy["user_id"] = str(user.pk)
    copy["birthdate"] = patient.birthdate.isoformat() if patient.birthdate else None
    session[PATIENT_COPY] = copy


def session_patient_user(session: SessionBase) -> User | None:
    """The signed-in patient's user, rebuilt from their session without the database; None
    if the session holds no patient, or a patient other than the user it is signed in as."""
    copy = session.get(PATIENT_COPY)
    if not isinstance(copy, dict) or copy.get("user_id") != str(session.get(SESSION_KEY)):
        return None
    user = User(pk=int(copy["user_id"]), is_active=True)
    birthdate, has_nhs_number = copy.get("birthdate"), copy.get("has_nhs_number")
    user.patient = Patient(
        user=user,
        birthdate=date.fromisoformat(birthdate) if birthdate else None,
        **{field: copy.get(field, "") for field in _COPIED_FIELDS if field != "nhs_number"},
        nhs_number=_nhs_number_at_p9(copy),
        has_nhs_number=has_nhs_number if isinstance(has_nhs_number, bool) else None,
    )
    return user


def _user(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    try:
        return get_user(request)
    except DatabaseError:
        user = session_patient_user(request.session)
        if user is None:
            raise
        logger.warning("Database unavailable: the signed-in patient comes from their session")
        return user


class SessionPatientAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, falling back to the session's copy of the patient
    when the database cannot be reached."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))  # type: ignore[assignment]
