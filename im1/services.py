"""IM1 pairing, reading the paired record, and the patient's and staff's control of both
(docs/im1-api.md, docs/adr/0025).

NHS login gives an IM1-paired app the patient's linkage information (its
``gp_integration_credentials`` claim) for the app to use "for subsequent IM1 interactions".
Here the app's supplier, an API client with the ``im1:pair`` scope, presents it with the
patient's surname and date of birth; if they match an active key, it gets a connection token
for that patient's record. Every call writes one audit event (``audited``, linkage/audit.py);
neither the key nor the token is ever written to it or to a log.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from im1.errors import ConnectionNotValidError, PairingFailedError, PairingLockedError
from im1.guard import (
    PairingAttempt,
    pairing_failure_record,
    pairing_limits_check,
    pairing_lock_check,
    pairing_locks_lift,
    pairing_success_record,
)
from im1.models import Connection
from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, AuditAction, audited
from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.errors import InvalidRequestError, PracticeNotLiveError, PracticeNotServedError
from linkage.keys import account_id_is_well_formed, linkage_key_is_well_formed
from linkage.models import ApiClient, LinkageKey, LinkageKeyStatus, RegisteredPatient
from linkage.services import patient_eligibility_check
from linkage.validation import (
    request_date_of_birth,
    request_ods_code,
    request_reason,
    surnames_match,
)

# What a connection that ended with its key says, once it is first found so.
KEY_REVOKED_REASON = "The linkage key it was made with was revoked"


@dataclass(frozen=True)
class Pairing:
    """A new connection: its token, handed to the partner once and kept only as a hash."""

    connection_token: str
    account_id: str
    ods_code: str

    def __repr__(self) -> str:  # never print the token, even in a traceback
        return f"Pairing(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


@dataclass(frozen=True)
class PatientDemographics:
    """The patient as the practice's register holds them: what a paired partner reads."""

    nhs_number: str
    given_name: str
    surname: str
    date_of_birth: date
    ods_code: str
    practice_name: str

    def __repr__(self) -> str:  # no NHS number in a traceback
        return f"PatientDemographics(ods_code={self.ods_code!r})"


@dataclass(frozen=True)
class ConnectionSummary:
    """One connection as the patient's and staff's pages show it."""

    connection_id: int
    partner_name: str
    connected_at: datetime
    last_used_at: datetime | None
    active: bool
    ended_at: datetime | None
    ended_reason: str


def connection_token_hash(connection_token: str) -> str:
    """What is kept of a connection token. SHA-256 without a salt is enough: the token is 256
    random bits, so there is nothing to guess, and an unsalted hash is what finds it again."""
    return hashlib.sha256(connection_token.encode()).hexdigest()


def _account_id(raw: str) -> str:
    account_id = raw.strip()
    if not account_id_is_well_formed(account_id):
        raise InvalidRequestError("accountId must be 1 to 20 digits")
    return account_id


def _linkage_key(raw: str) -> str:
    if not linkage_key_is_well_formed(raw):
        raise InvalidRequestError("linkageKey must be 1 to 64 printable characters")
    return raw


@functools.cache
def _decoy(encryption_keys: tuple[str, ...]) -> str:
    """A key encrypted as a stored one is, decrypted when no account matches, so that a
    missing account costs the same work as a wrong key."""
    return linkage_key_encrypt(secrets.token_urlsafe(12))


def _account_key(attempt: PairingAttempt) -> LinkageKey | None:
    """The account's active key, if the account exists at the practice and has one."""
    return (
        LinkageKey.objects.select_related("patient", "practice")
        .filter(
            practice__ods_code=attempt.ods_code,
            account_id=attempt.account_id,
            status=LinkageKeyStatus.ACTIVE,
        )
        .first()
    )


def _details_match(key: LinkageKey | None, linkage_key: str, surname: str, born: date) -> bool:
    """Whether the key and the patient's surname and date of birth are those given. Each is
    compared whatever the others gave, and the key in constant time once decrypted; with no
    key, a decoy is decrypted and compared, so that no account costs what a wrong key does."""
    encrypted = key.encrypted_key if key else _decoy(tuple(settings.LINKAGE_ENCRYPTION_KEYS))
    key_matches = hmac.compare_digest(linkage_key_decrypt(encrypted).encode(), linkage_key.encode())
    surname_matches = surnames_match(surname, key.patient.surname if key else "")
    born_matches = key is not None and born == key.patient.date_of_birth
    return key is not None and key_matches & surname_matches & born_matches


def im1_pairing_create(
    *,
    actor: Actor,
    practices: PracticeBinding,
    address: str,
    account_id: str,
    linkage_key: str,
    ods_code: str,
    surname: str,
    date_of_birth: str,
) -> Pairing:
    """Pair the partner ``actor`` with the patient whose active linkage key these details
    match, at a practice the partner is bound to and whose online services are live; the
    patient still registered. Refused alike (PAIRING_FAILED) whichever detail is wrong or
    whether the account exists; PAIRING_LOCKED, before the key is looked at, once the account
    has failed too often in a row; RATE_LIMITED past a window's failures (im1/guard.py).
    ``address`` is the caller's client address (core/client_address.py)."""
    attempted: list[PairingAttempt] = []
    try:
        with audited(
            actor, AuditAction.IM1_PAIR, ods_code=ods_code, nhs_number="", writes=True
        ) as subject:
            ods_code, account_id = request_ods_code(ods_code), _account_id(account_id)
            linkage_key, born = _linkage_key(linkage_key), request_date_of_birth(date_of_birth)
            if not practices.serves(ods_code):
                raise PracticeNotServedError
            attempt = PairingAttempt(actor.identifier, address, ods_code, account_id)
            pairing_limits_check(attempt)
            attempted.append(attempt)
            pairing_lock_check(attempt)
            key = _account_key(attempt)
            if key is not None:  # the audit names whose account was tried, matched or not
                subject.nhs_number = key.patient.nhs_number
            if not _details_match(key, linkage_key, surname, born) or key is None:
                raise PairingFailedError
            if not key.practice.online_services_live:
                raise PracticeNotLiveError
            patient_eligibility_check(key.patient)
            connection_token = secrets.token_urlsafe(32)
            Connection.objects.create(
                partner=ApiClient.objects.get(client_id=actor.identifier),
                patient=key.patient,
                linkage_key=key,
                token_hash=connection_token_hash(connection_token),
            )
            pairing_success_record(attempt)
            return Pairing(connection_token, account_id, ods_code)
    except (PairingFailedError, PairingLockedError) as refusal:
        pairing_failure_record(attempted[0], locked=isinstance(refusal, PairingLockedError))
        raise


def _connections_with_revoked_keys_end(token_hash: str) -> None:
    """Record the end of a connection found unusable because its key is no longer active
    (revoked, or reissued), at the time the key was revoked. Lazily, at its first use since:
    the linkage services revoke with one conditional UPDATE and send no signal (docs/adr/0025).
    """
    revoked_at = LinkageKey.objects.filter(pk=OuterRef("linkage_key_id")).values("revoked_at")
    Connection.objects.filter(token_hash=token_hash, ended_at__isnull=True).exclude(
        linkage_key__status=LinkageKeyStatus.ACTIVE
    ).update(
        ended_at=Coalesce(Subquery(revoked_at), Value(timezone.now())),
        ended_by="system",
        ended_reason=KEY_REVOKED_REASON,
    )


def im1_patient_read(*, actor: Actor, connection_token: str) -> PatientDemographics:
    """The register's demographics of the patient on the other end of the partner's valid
    connection (not ended, its key still active); its last use is now. Another partner's
    token, an ended one and an unknown one are refused alike (CONNECTION_NOT_VALID)."""
    token_hash = connection_token_hash(connection_token)
    try:
        with audited(
            actor, AuditAction.IM1_READ, ods_code="", nhs_number="", writes=True
        ) as subject:
            connection = (
                Connection.objects.valid()
                .select_related("patient__practice")
                .filter(token_hash=token_hash, partner__client_id=actor.identifier)
                .first()
            )
            if connection is None:
                raise ConnectionNotValidError
            patient, practice = connection.patient, connection.patient.practice
            subject.ods_code, subject.nhs_number = practice.ods_code, patient.nhs_number
            if not practice.online_services_live:
                raise PracticeNotLiveError
            patient_eligibility_check(patient)
            Connection.objects.filter(pk=connection.pk).update(last_used_at=timezone.now())
            return PatientDemographics(
                nhs_number=patient.nhs_number,
                given_name=patient.given_name,
                surname=patient.surname,
                date_of_birth=patient.date_of_birth,
                ods_code=practice.ods_code,
                practice_name=practice.name,
            )
    except ConnectionNotValidError:
        _connections_with_revoked_keys_end(token_hash)
        raise


def im1_connections_of(*, patient: RegisteredPatient) -> list[ConnectionSummary]:
    """The patient's connections, newest first, for their own page or their practice's staff
    (who reach the patient through their practices). A read, so not audited. A connection
    whose key was revoked shows as ended then, whether or not it has been used since."""
    connections = patient.im1_connections.select_related("partner", "linkage_key")
    summaries = []
    for connection in connections.order_by("-created_at", "-pk"):
        key = connection.linkage_key
        key_ended = key.status != LinkageKeyStatus.ACTIVE and connection.ended_at is None
        summaries.append(
            ConnectionSummary(
                connection_id=connection.pk,
                partner_name=connection.partner.name,
                connected_at=connection.created_at,
                last_used_at=connection.last_used_at,
                active=connection.ended_at is None and not key_ended,
                ended_at=key.revoked_at if key_ended else connection.ended_at,
                ended_reason=KEY_REVOKED_REASON if key_ended else connection.ended_reason,
            )
        )
    return summaries


def im1_connection_of(*, patient: RegisteredPatient, connection_id: int) -> Connection:
    """The patient's own connection by its id (from a form), never another patient's:
    CONNECTION_NOT_VALID for an id that is not theirs."""
    connection = patient.im1_connections.filter(pk=connection_id).first()
    if connection is None:
        raise ConnectionNotValidError("No such connection")
    return connection


def im1_connection_end(*, actor: Actor, connection: Connection, reason: str) -> None:
    """End a connection: the patient disconnecting an app, or staff ending it. Its token is
    refused from then on; the record is kept with who ended it, when and why."""
    patient = connection.patient
    with audited(
        actor,
        AuditAction.IM1_CONNECTION_END,
        ods_code=patient.practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        reason = request_reason(reason)
        ended = Connection.objects.filter(pk=connection.pk, ended_at__isnull=True).update(
            ended_at=timezone.now(), ended_by=str(actor)[:255], ended_reason=reason
        )
        if not ended:
            raise ConnectionNotValidError("The connection has already ended")
        connection.refresh_from_db()


def im1_pairing_unlock(*, actor: Actor, patient: RegisteredPatient) -> int:
    """Unlock pairing with the patient's accounts (every Account ID their keys have had at
    their practice), their failures in a row forgotten: staff once they have spoken to the
    patient, or the patient's own P9 sign-in (im1/signals.py). How many were locked."""
    practice = patient.practice
    with audited(
        actor,
        AuditAction.IM1_UNLOCK,
        ods_code=practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        account_ids = set(patient.linkage_keys.values_list("account_id", flat=True))
        return pairing_locks_lift(actor=actor, ods_code=practice.ods_code, account_ids=account_ids)
