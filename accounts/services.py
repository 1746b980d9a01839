"""Business rules about who the user is."""

from __future__ import annotations

import logging
import uuid
from datetime import date
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from accounts.models import IdentityProofingLevel, Patient, User
from accounts.selectors import patient_with_user_locked
from core.nhs_identifiers import nhs_number_is_valid, ods_code_is_valid

logger = logging.getLogger(__name__)


def _text(claims: dict[str, Any], name: str, max_length: int = 255) -> str:
    value = claims.get(name)
    return value[:max_length] if isinstance(value, str) else ""


def _birthdate(claims: dict[str, Any]) -> date | None:
    try:
        return date.fromisoformat(claims["birthdate"])
    except (KeyError, TypeError, ValueError):
        return None


def _gp_ods_code(claims: dict[str, Any]) -> str:
    details = claims.get("gp_registration_details")
    code = details.get("gp_ods_code") if isinstance(details, dict) else None
    return code if isinstance(code, str) and ods_code_is_valid(code) else ""


def patient_profile_from_claims(
    *, id_token_claims: dict[str, Any], userinfo: dict[str, Any]
) -> dict[str, Any]:
    """The patient's profile as NHS login released it at this sign-in.

    Userinfo is the fuller source; the ID token supplies what userinfo does not carry (``vot``).
    A claim NHS login did not release this time is cleared, not kept from an earlier sign-in.

    The NHS number is kept from a P9 sign-in only. NHS login releases it at P5 too, but it is
    the number NHS login traced, which "must not be given or presented" to a patient below P9
    (NHS login's "Scopes and claims", note 2): a P5 sign-in stores none, and clears one an
    earlier P9 sign-in stored, so nothing can show or use it for a P5 session. Only whether
    NHS login gave one is kept at every level.
    """
    claims = {**id_token_claims, **userinfo}
    vot = str(id_token_claims["vot"])
    # The signed vot, checked against what we asked for, is the level of this sign-in.
    identity_proofing_level = vot.split(".")[0]
    nhs_number = _text(claims, "nhs_number")
    if nhs_number and not nhs_number_is_valid(nhs_number):
        logger.warning("NHS login sent an NHS number without a valid check digit; not stored")
        nhs_number = ""
    return {
        # Whether there is one is kept at every level, to tell a P5 patient without one before
        # they prove who they are (accounts/online_services.py); the number only at P9.
        "has_nhs_number": bool(nhs_number),
        "nhs_number": nhs_number if identity_proofing_level == IdentityProofingLevel.P9 else "",
        "given_name": _text(claims, "given_name"),
        "family_name": _text(claims, "family_name"),
        "birthdate": _birthdate(claims),
        "email": _text(claims, "email", 320),
        "phone_number": _text(claims, "phone_number", 32),
        "gp_ods_code": _gp_ods_code(claims),
        "identity_proofing_level": identity_proofing_level,
        "vot": vot,
    }


def patient_sign_in(*, id_token_claims: dict[str, Any], userinfo: dict[str, Any]) -> User:
    """Find or create the patient for this NHS login ``sub`` and refresh their profile.

    Two sign-ins of the same patient at once create one account: the unique ``sub`` decides,
    and the loser of the race updates the winner's row.
    """
    sub = id_token_claims["sub"]
    profile = patient_profile_from_claims(id_token_claims=id_token_claims, userinfo=userinfo)
    now = timezone.now()
    with transaction.atomic():
        # The user read in the same query (the sign-in returns it); only the patient's row
        # locked, as before (accounts/selectors.py).
        patient = patient_with_user_locked(sub)
        if patient is None:
            try:
                with transaction.atomic():
                    user = User.objects.create_user(username=f"patient-{uuid.uuid4()}")
                    Patient.objects.create(
                        user=user, nhs_login_sub=sub, last_signed_in_at=now, **profile
                    )
                    return user
            except IntegrityError:
                patient = Patient.objects.select_for_update().get(nhs_login_sub=sub)
        for field, value in profile.items():
            setattr(patient, field, value)
        patient.last_signed_in_at = now
        _signed_in_profile_write(patient, (*profile, "last_signed_in_at"))
        return patient.user


_PATIENT_FIELDS = {field.name: field for field in Patient._meta.concrete_fields}


@cache
def _profile_update_sql(vendor: str, fields: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(_PATIENT_FIELDS[name].column)} = %s" for name in fields)
    return (
        f"UPDATE {quote(Patient._meta.db_table)} SET {columns} "  # noqa: S608
        f"WHERE {quote(Patient._meta.pk.column)} = %s"
    )


def _signed_in_profile_write(patient: Patient, fields: tuple[str, ...]) -> None:
    """The refreshed profile's columns, written out: the ORM's save built a statement of every
    column on each sign-in (docs/adr/0031). Each value prepared as the field would prepare it
    for a save, and post_save sent as Model.save sends it, with the fields it wrote."""
    values = [
        _PATIENT_FIELDS[name].get_db_prep_save(getattr(patient, name), connection)
        for name in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_profile_update_sql(connection.vendor, fields), [*values, patient.pk])
    post_save.send(
        sender=Patient,
        instance=patient,
        created=False,
        update_fields=frozenset(fields),
        raw=False,
        using=DEFAULT_DB_ALIAS,
    )
