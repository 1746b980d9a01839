"""Creating, retrieving, revoking and reissuing linkage information (IDS68 NL01;
docs/adr/0007). The API, the patient's pages, the admin and the commands all call these
functions, so each rule exists once. Every call writes exactly one audit event (``audited``,
linkage/audit.py).

The API clients' registration is in linkage/api_clients/, a practice's online services in
linkage/practices.py, and the register read on the hot path in linkage/selectors.py."""

from __future__ import annotations

import logging
from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType, AuditAction, audited
from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.errors import (
    InvalidRequestError,
    LinkageError,
    LinkageKeyExistsError,
    LinkageKeyNotFoundError,
    LinkageKeyRevokedError,
    PatientNotEligibleError,
    PatientNotFoundError,
    PracticeNotServedError,
    UnderMinimumAgeError,
)
from linkage.idempotency import IdempotentRequest, idempotent_record, idempotent_remember
from linkage.keys import (
    LinkageInformation,
    account_id_is_well_formed,
    linkage_key_generate,
    linkage_key_insert,
    linkage_key_is_well_formed,
)
from linkage.models import (
    IdempotentCreate,
    LinkageKey,
    LinkageKeyStatus,
    Practice,
    RegisteredPatient,
    RegistrationStatus,
)
from linkage.selectors import Registration, registration_with_keys
from linkage.validation import (
    age_on,
    request_date_of_birth,
    request_nhs_number,
    request_ods_code,
    request_reason,
    surnames_match,
)

logger = logging.getLogger(__name__)


def _matching_registration(
    ods_code: str, nhs_number: str, surname: str | None, date_of_birth: date | None
) -> Registration:
    """The patient at a live practice, or the contract's error. One error, after the same one
    query, for "not registered" and "details differ", so the register cannot be probed by the
    answer or by its timing."""
    registration = registration_with_keys(ods_code=ods_code, nhs_number=nhs_number)
    patient = registration.patient
    if surname is not None and not surnames_match(surname, patient.surname):
        raise PatientNotFoundError
    if date_of_birth is not None and date_of_birth != patient.date_of_birth:
        raise PatientNotFoundError
    return registration


def _served(actor: Actor, practices: PracticeBinding | None, ods_code: str) -> None:
    """An API client reaches only the practices it is bound to (docs/adr/0007); one given no
    binding reaches none. Checked before the register is read. Patients, staff and the system
    are limited elsewhere (their own record; their practices in the admin)."""
    if actor.type != ActorType.API_CLIENT:
        return
    if not (practices or PracticeBinding()).serves(ods_code):
        raise PracticeNotServedError


def _identified(actor: Actor, surname: str | None, date_of_birth: str | date | None) -> None:
    """An API client names the patient by surname and date of birth as well as NHS number on
    every call (NHS login has both from PDS), so the NHS number and ODS code alone never
    reach a key (docs/adr/0007)."""
    if actor.type != ActorType.API_CLIENT:
        return
    if surname is None or not surname.strip():
        raise InvalidRequestError("surname is required")
    if date_of_birth is None or (isinstance(date_of_birth, str) and not date_of_birth.strip()):
        raise InvalidRequestError("dateOfBirth is required")


def patient_eligibility_check(patient: RegisteredPatient) -> None:
    """Online services only for a patient still registered and alive: PATIENT_NOT_ELIGIBLE
    otherwise. Also asked at every IM1 pairing and read (im1/services.py)."""
    if patient.deceased or patient.registration_status != RegistrationStatus.REGISTERED:
        raise PatientNotEligibleError


def _information(key: LinkageKey, practice: Practice) -> LinkageInformation:
    return LinkageInformation(
        account_id=key.account_id,
        linkage_key=linkage_key_decrypt(key.encrypted_key),
        ods_code=practice.ods_code,
    )


def _issue(
    *, actor: Actor, practice: Practice, patient: RegisteredPatient, previous_account_id: str | None
) -> tuple[LinkageKey, LinkageInformation]:
    """A new active key. The patient keeps their Account ID across reissues; a first key gets a
    new one."""
    linkage_key = linkage_key_generate()
    try:
        # Part of the caller's transaction (audited, writes=True): a refusal here undoes the
        # whole action, so the key needs no savepoint of its own.
        with transaction.atomic(savepoint=False):
            key = linkage_key_insert(
                patient=patient,
                practice=practice,
                account_id=previous_account_id,
                encrypted_key=linkage_key_encrypt(linkage_key),
                created_by=str(actor),
            )
    except IntegrityError as error:
        # Another request created the patient's key first: the database kept only one.
        raise LinkageKeyExistsError from error
    return key, LinkageInformation(key.account_id, linkage_key, practice.ods_code)


def linkage_key_retrieve(
    *,
    actor: Actor,
    nhs_number: str,
    ods_code: str,
    surname: str | None = None,
    date_of_birth: str | date | None = None,
    practices: PracticeBinding | None = None,
    action: AuditAction = AuditAction.RETRIEVE,
) -> LinkageInformation:
    """The patient's active linkage information at the practice. ``action`` says, in the audit,
    why it was read: an API retrieve, a patient's page view, a patient showing their key.

    An API client must give ``surname`` and ``date_of_birth``, matched as create matches them,
    and ``practices``, the practices it is bound to; a patient's own pages name their own
    record from NHS login and need neither."""
    with audited(actor, action, ods_code=ods_code, nhs_number=nhs_number):
        nhs_number, ods_code = request_nhs_number(nhs_number), request_ods_code(ods_code)
        _identified(actor, surname, date_of_birth)
        born = request_date_of_birth(date_of_birth) if date_of_birth is not None else None
        _served(actor, practices, ods_code)
        registration = _matching_registration(ods_code, nhs_number, surname, born)
        patient_eligibility_check(registration.patient)
        if registration.active_encrypted_key is not None:
            return LinkageInformation(
                account_id=registration.active_account_id or "",
                linkage_key=linkage_key_decrypt(registration.active_encrypted_key),
                ods_code=ods_code,
            )
        if registration.latest_status == LinkageKeyStatus.REVOKED:
            raise LinkageKeyRevokedError
        raise LinkageKeyNotFoundError


def _idempotent_answer(
    *,
    actor: Actor,
    practices: PracticeBinding | None,
    record: IdempotentCreate,
    idempotent: IdempotentRequest,
) -> LinkageInformation:
    """The first answer again, while its key is active and the client still serves the
    practice; a different body under the same key is refused."""
    if record.request_hash != idempotent.request_hash:
        raise InvalidRequestError("This Idempotency-Key was used with a different request")
    return _active_key_answer(actor=actor, practices=practices, linkage_key=record.linkage_key)


def linkage_key_create(
    *,
    actor: Actor,
    nhs_number: str,
    ods_code: str,
    surname: str,
    date_of_birth: str | date,
    practices: PracticeBinding | None = None,
    idempotent: IdempotentRequest | None = None,
) -> LinkageInformation:
    """A first linkage key for an eligible patient of at least the minimum age. An API client
    gives ``practices``, the practices it is bound to, and may make the create ``idempotent``:
    the key and the record of its request commit together, a retry gets the first answer (one
    audit event for each call, as for any create), and a retry that lost a race to its twin
    gets the twin's answer, recorded once, as the LINKAGE_KEY_EXISTS its own attempt met."""
    record = idempotent_record(idempotent) if idempotent is not None else None
    if record is not None and idempotent is not None:
        key = record.linkage_key
        with audited(
            actor,
            AuditAction.CREATE,
            ods_code=key.practice.ods_code,
            nhs_number=key.patient.nhs_number,
        ):
            return _idempotent_answer(
                actor=actor, practices=practices, record=record, idempotent=idempotent
            )
    try:
        return _linkage_key_create(
            actor=actor,
            nhs_number=nhs_number,
            ods_code=ods_code,
            surname=surname,
            date_of_birth=date_of_birth,
            practices=practices,
            idempotent=idempotent,
        )
    except LinkageKeyExistsError:
        # A concurrent retry with the same Idempotency-Key may have won: give its answer,
        # unaudited, because this call is already recorded (as LINKAGE_KEY_EXISTS).
        record = idempotent_record(idempotent) if idempotent is not None else None
        if record is None or idempotent is None:
            raise
        try:
            return _idempotent_answer(
                actor=actor, practices=practices, record=record, idempotent=idempotent
            )
        except LinkageError as error:
            error.audited = True
            raise


def _linkage_key_create(
    *,
    actor: Actor,
    nhs_number: str,
    ods_code: str,
    surname: str,
    date_of_birth: str | date,
    practices: PracticeBinding | None,
    idempotent: IdempotentRequest | None,
) -> LinkageInformation:
    with audited(actor, AuditAction.CREATE, ods_code=ods_code, nhs_number=nhs_number, writes=True):
        nhs_number, ods_code = request_nhs_number(nhs_number), request_ods_code(ods_code)
        born = request_date_of_birth(date_of_birth)
        _served(actor, practices, ods_code)
        registration = _matching_registration(ods_code, nhs_number, surname, born)
        patient = registration.patient
        patient_eligibility_check(patient)
        if age_on(patient.date_of_birth, timezone.localdate()) < settings.LINKAGE_MINIMUM_AGE:
            raise UnderMinimumAgeError
        if registration.active_encrypted_key is not None:
            raise LinkageKeyExistsError
        key, information = _issue(
            actor=actor,
            practice=patient.practice,
            patient=patient,
            previous_account_id=registration.latest_account_id,
        )
        if idempotent is not None:
            idempotent_remember(idempotent, key)
        return information


def _revoke(key: LinkageKey, *, actor: Actor, reason: str) -> None:
    updated = LinkageKey.objects.filter(pk=key.pk, status=LinkageKeyStatus.ACTIVE).update(
        status=LinkageKeyStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_by=str(actor)[:255],
        revoked_reason=reason,
    )
    if not updated:
        raise LinkageKeyRevokedError("The linkage key was already revoked")


def linkage_key_revoke(*, actor: Actor, linkage_key: LinkageKey, reason: str) -> None:
    """Stop serving a key. It is kept, with who, when and why, and never served again."""
    patient = linkage_key.patient
    with audited(
        actor,
        AuditAction.REVOKE,
        ods_code=linkage_key.practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        _revoke(linkage_key, actor=actor, reason=request_reason(reason))


def linkage_key_reissue(
    *, actor: Actor, patient: RegisteredPatient, reason: str
) -> LinkageInformation:
    """Revoke the patient's active key, if any, and issue a new one with the same Account ID."""
    practice = patient.practice
    with audited(
        actor,
        AuditAction.REISSUE,
        ods_code=practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        reason = request_reason(reason)
        patient_eligibility_check(patient)
        with transaction.atomic():
            active = patient.linkage_keys.select_for_update().filter(status=LinkageKeyStatus.ACTIVE)
            for key in active:
                _revoke(key, actor=actor, reason=reason)
            previous = patient.linkage_keys.order_by("-created_at", "-pk").first()
            _key, information = _issue(
                actor=actor,
                practice=practice,
                patient=patient,
                previous_account_id=previous.account_id if previous else None,
            )
            return information


def _active_key_information(
    *,
    actor: Actor,
    action: AuditAction,
    linkage_key: LinkageKey,
    practices: PracticeBinding | None = None,
) -> LinkageInformation:
    with audited(
        actor,
        action,
        ods_code=linkage_key.practice.ods_code,
        nhs_number=linkage_key.patient.nhs_number,
    ):
        return _active_key_answer(actor=actor, practices=practices, linkage_key=linkage_key)


def _active_key_answer(
    *, actor: Actor, practices: PracticeBinding | None, linkage_key: LinkageKey
) -> LinkageInformation:
    """A key's information as it is now, while it is active and the caller serves its
    practice (not audited: the caller is)."""
    _served(actor, practices, linkage_key.practice.ods_code)
    linkage_key.refresh_from_db()
    if linkage_key.status != LinkageKeyStatus.ACTIVE:
        raise LinkageKeyRevokedError
    return _information(linkage_key, linkage_key.practice)


def linkage_key_load(
    *, actor: Actor, patient: RegisteredPatient, account_id: str, linkage_key: str
) -> None:
    """Store linkage information that already exists elsewhere (a migration from another GP
    system, the demo data): keys up to 64 characters, punctuation allowed."""
    if not linkage_key_is_well_formed(linkage_key):
        raise InvalidRequestError("A linkage key is 1 to 64 printable characters")
    if not account_id_is_well_formed(account_id):
        raise InvalidRequestError("An Account ID is up to 20 digits")
    practice = patient.practice
    with audited(
        actor,
        AuditAction.CREATE,
        ods_code=practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        if patient.linkage_keys.filter(status=LinkageKeyStatus.ACTIVE).exists():
            raise LinkageKeyExistsError
        LinkageKey.objects.create(
            patient=patient,
            practice=practice,
            account_id=account_id,
            encrypted_key=linkage_key_encrypt(linkage_key),
            created_by=str(actor),
        )


def linkage_key_reveal(*, actor: Actor, linkage_key: LinkageKey) -> LinkageInformation:
    """A staff member chose to see a patient's active key (to read it to them, say)."""
    return _active_key_information(
        actor=actor, action=AuditAction.SHOW_KEY, linkage_key=linkage_key
    )
