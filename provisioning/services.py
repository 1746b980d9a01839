"""Practice staff provisioning a registered patient's NHS login (docs/provisioning.md): who may
be provisioned, the request that is waiting, and the one audited service that asks NHS login.

The rules: the register must hold the patient's NHS number, and they must be alive and still
registered; a request NHS login accepted in the last 7 days is waiting for the patient, and is
not sent again (NHS login would answer ``11003``: its specification, 3.3.3). Each request, sent
or refused here, writes one audit event (linkage/audit.py, ``audited``), and each that NHS
login answered is kept with its answer (``ProvisioningRequest``), both in one transaction.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from accounts.presenters import date_display
from linkage.audit import Actor, AuditAction, audited
from linkage.models import RegisteredPatient, RegistrationStatus
from provisioning.client import (
    ProvisionDetails,
    ProvisioningUnavailableError,
    account_provision_call,
    provisioning_configured,
)
from provisioning.models import ProvisioningRequest
from provisioning.outcomes import NOT_ANSWERED, SUCCESS_CODES

PENDING_FOR = datetime.timedelta(days=7)


@dataclass(frozen=True)
class NotProvisionable:
    """Why the patient cannot be provisioned, in words for staff."""

    reason: str
    audit_outcome: str = "NOT_ELIGIBLE"


def pending_request_of(patient: RegisteredPatient) -> ProvisioningRequest | None:
    """The request NHS login accepted for the patient in the last 7 days, if any."""
    return (
        ProvisioningRequest.objects.accepted()
        .filter(patient=patient, requested_at__gte=timezone.now() - PENDING_FOR)
        .first()
    )


def provisioning_refusal(patient: RegisteredPatient) -> NotProvisionable | None:
    """Why this patient cannot be sent to NHS login now, or None if they can."""
    if not provisioning_configured():
        return NotProvisionable("NHS login account provisioning is not set up for this portal.")
    if not patient.nhs_number:
        return NotProvisionable(
            "The register has no NHS number for this patient. NHS login needs one: update the "
            "register, then try again."
        )
    if patient.deceased:
        return NotProvisionable("The register records that this patient has died.")
    if patient.registration_status == RegistrationStatus.ENDED:
        return NotProvisionable("This patient's registration at the practice has ended.")
    pending = pending_request_of(patient)
    if pending is not None:
        sent = timezone.localdate(pending.requested_at)
        return NotProvisionable(
            f"NHS login sent this patient an email to set up their account on "
            f"{date_display(sent)}. It can be sent again from "
            f"{date_display(sent + PENDING_FOR)} if they have not used it.",
            audit_outcome="PROVISIONING_PENDING",
        )
    return None


@dataclass(frozen=True)
class ProvisioningResult:
    """NHS login's code (``create``, ``uplift``, an error code), ``NOT_ANSWERED``, or the
    reason the request was not sent."""

    code: str = ""
    refusal: NotProvisionable | None = None

    @property
    def accepted(self) -> bool:
        return self.code in SUCCESS_CODES


def _audit_outcome(code: str) -> str:
    if code in SUCCESS_CODES:
        return f"PROVISIONED_{code.upper()}"
    return code if code == NOT_ANSWERED else f"NHS_LOGIN_{code}"


def nhs_login_provision(
    *, actor: Actor, patient: RegisteredPatient, email_address: str, phone_number: str
) -> ProvisioningResult:
    """Ask NHS login to provision the patient's account with the register's NHS number and
    date of birth, the practice's ODS code, and the email address and mobile number (E.164)
    the patient gave. The patient's row is locked meanwhile, so that two members of staff
    pressing at once send one request. Returns NHS login's answer; never raises for one."""
    with audited(
        actor,
        AuditAction.NHS_LOGIN_PROVISION,
        ods_code=patient.practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ) as subject:
        locked = RegisteredPatient.objects.select_for_update().get(pk=patient.pk)
        refusal = provisioning_refusal(locked)
        if refusal is not None:
            subject.outcome = refusal.audit_outcome
            return ProvisioningResult(refusal=refusal)
        try:
            code = account_provision_call(
                ProvisionDetails(
                    nhs_number=locked.nhs_number,
                    email_address=email_address,
                    date_of_birth=locked.date_of_birth.isoformat(),
                    ods_code=patient.practice.ods_code,
                    phone_number=phone_number,
                )
            )
        except ProvisioningUnavailableError:
            subject.outcome = NOT_ANSWERED
            return ProvisioningResult(code=NOT_ANSWERED)
        ProvisioningRequest.objects.create(
            patient=locked,
            practice=patient.practice,
            requested_by=actor.identifier[:255],
            outcome=code,
        )
        subject.outcome = _audit_outcome(code)
        return ProvisioningResult(code=code)
