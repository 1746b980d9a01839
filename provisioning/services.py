"""Practice staff provisioning a registered patient's NHS login (docs/provisioning.md): who may
be provisioned, the request that is waiting, and the one audited service that asks NHS login.

The rules: the register must hold the patient's NHS number, and they must be alive and still
registered; a request NHS login accepted in the last 7 days is waiting for the patient, and is
not sent again (NHS login would answer ``11003``: its specification, 3.3.3). Each request, sent
or refused here, writes one audit event (linkage/audit.py, ``audited``), and each that NHS
login answered is kept with its answer (``ProvisioningRequest``), both in one transaction.
Two requests for one patient at once: the second is refused while the first is sent.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.presenters import date_display
from linkage.audit import Actor, AuditAction, AuditSubject, audited
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


SENDING_FOR_SECONDS = 60
IN_PROGRESS = NotProvisionable(
    "Someone else is sending a request for this patient to NHS login now. Wait a minute, then "
    "open this page again to see NHS login's answer.",
    audit_outcome="PROVISIONING_IN_PROGRESS",
)


CANNOT_LOCK = NotProvisionable(
    "The portal cannot send requests to NHS login at the moment. Nothing was sent. Try again "
    "in a few minutes; if this keeps happening, tell your system administrator.",
    audit_outcome="SERVICE_UNAVAILABLE",
)


def sending_lock_key(patient: RegisteredPatient) -> str:
    """The patient's row is unique in its database, which the name says (the test runs in
    parallel share one Redis, each with a database of its own)."""
    return f"provisioning-sending:{connection.settings_dict['NAME']}:{patient.pk}"


@contextmanager
def _sending(patient: RegisteredPatient) -> Iterator[NotProvisionable | None]:
    """None once this request holds the patient's sending lock, kept in the cache (shared by
    every app server) until its answer is recorded, so that two members of staff pressing at
    once send one request; else why not (the cache is down: fail closed). Nothing is held in
    the database meanwhile: the call to NHS login takes
    seconds, and a transaction open across it would block the database (SQLite, which `make
    run` uses, locks the whole file; the simulator writes to it to answer)."""
    key = sending_lock_key(patient)
    held = False
    try:
        held = bool(cache.add(key, 1, SENDING_FOR_SECONDS))
        refusal = None if held else IN_PROGRESS
    except Exception:  # django-redis raises its own connection errors
        refusal = CANNOT_LOCK
    try:
        yield refusal
    finally:
        if held:
            with suppress(Exception):
                cache.delete(key)


def nhs_login_provision(
    *, actor: Actor, patient: RegisteredPatient, email_address: str, phone_number: str
) -> ProvisioningResult:
    """Ask NHS login to provision the patient's account with the register's NHS number and
    date of birth, the practice's ODS code, and the email address and mobile number (E.164)
    the patient gave. Returns NHS login's answer, or why nothing was sent; never raises for
    either. One audit event whatever happens; an answer and its audit event are written in
    one transaction, after the call."""

    def audit(*, writes: bool = False) -> AbstractContextManager[AuditSubject]:
        return audited(
            actor,
            AuditAction.NHS_LOGIN_PROVISION,
            ods_code=patient.practice.ods_code,
            nhs_number=patient.nhs_number,
            writes=writes,
        )

    with _sending(patient) as not_held:
        # Read again once the lock is held: a request sent just before is seen as waiting.
        patient = RegisteredPatient.objects.select_related("practice").get(pk=patient.pk)
        refusal = not_held or provisioning_refusal(patient)
        if refusal is not None:
            with audit() as subject:
                subject.outcome = refusal.audit_outcome
            return ProvisioningResult(refusal=refusal)
        details = ProvisionDetails(
            nhs_number=patient.nhs_number,
            email_address=email_address,
            date_of_birth=patient.date_of_birth.isoformat(),
            ods_code=patient.practice.ods_code,
            phone_number=phone_number,
        )
        try:
            code = account_provision_call(details)
        except ProvisioningUnavailableError:
            code = NOT_ANSWERED
        except Exception:
            with audit():
                raise  # recorded as SERVICE_UNAVAILABLE, then the error goes on
        with audit(writes=True) as subject:
            if code != NOT_ANSWERED:
                ProvisioningRequest.objects.create(
                    patient=patient,
                    practice=patient.practice,
                    requested_by=actor.identifier[:255],
                    outcome=code,
                )
            subject.outcome = _audit_outcome(code)
        return ProvisioningResult(code=code)
