"""Creating, retrieving, revoking and reissuing linkage information (IDS68 NL01;
docs/adr/0007). The API, the patient's pages, the admin and the commands all call these
functions, so each rule exists once. Every call writes exactly one audit event.

Also here, what decides who reaches that information: the API clients (their rules, their
registration, changes and disabling) and a practice's online services. A change made by staff
writes one audit event per client or practice changed, in the change's own transaction."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.rsa_keys import rsa_public_key_pem_from
from linkage.audit import SUCCESS, Actor, ActorType, AuditAction, audit_event_record
from linkage.client_state import PracticeBinding, api_client_state_forget
from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.errors import (
    InvalidDateOfBirthError,
    InvalidNhsNumberError,
    InvalidOdsCodeError,
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
from linkage.models import (
    API_SCOPES,
    ApiClient,
    IdempotentCreate,
    LinkageKey,
    LinkageKeyStatus,
    Practice,
    RegisteredPatient,
    RegistrationStatus,
)
from linkage.selectors import Registration, registration_with_keys
from linkage.validation import (
    InvalidValueError,
    age_on,
    date_of_birth_parse,
    nhs_number_normalise,
    ods_code_normalise,
    surnames_match,
)

logger = logging.getLogger(__name__)

# No 0 O 1 I l: keys are read aloud and typed from paper.
LINKAGE_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
LINKAGE_KEY_LENGTH = 15
ACCOUNT_ID_DIGITS = 10


@dataclass(frozen=True)
class LinkageInformation:
    account_id: str
    linkage_key: str = ""  # empty where a caller must not see it
    ods_code: str = ""

    def __repr__(self) -> str:  # never print the key, even in a traceback
        return f"LinkageInformation(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


def _safe(normalise: Callable[[str], str], raw: str) -> str:
    try:
        return normalise(raw)
    except InvalidValueError:
        return ""


@contextmanager
def _audited(
    actor: Actor, action: AuditAction, *, ods_code: str, nhs_number: str, writes: bool = False
) -> Iterator[None]:
    """Record the outcome once the action is over, whatever it was. Only valid identifiers
    are recorded: garbage from a caller is not kept.

    An action that ``writes`` commits together with the record of its success, or not at all:
    no key is created, revoked or reissued without its audit event, and a create that failed
    leaves nothing behind to turn its retry into LINKAGE_KEY_EXISTS (the OpenAPI document's
    503 SERVICE_UNAVAILABLE: "nothing was written"). A refusal is recorded after the rollback."""

    def record(outcome: str) -> None:
        audit_event_record(
            actor=actor,
            action=action,
            outcome=outcome,
            ods_code=_safe(ods_code_normalise, ods_code),
            nhs_number=_safe(nhs_number_normalise, nhs_number),
        )

    outcome = SUCCESS
    together: AbstractContextManager[Any] = transaction.atomic() if writes else nullcontext()
    try:
        with together:
            yield
            record(SUCCESS)  # a success must never go unrecorded
    except LinkageError as error:
        outcome = error.error_code
        error.audited = True
        raise
    except Exception:
        outcome = "SERVICE_UNAVAILABLE"
        raise
    finally:
        if outcome != SUCCESS:
            # Nowhere to write (the database is down): the action has failed anyway, and its
            # own error is the one to report.
            with suppress(Exception):
                record(outcome)


def _nhs_number(raw: str) -> str:
    try:
        return nhs_number_normalise(raw)
    except InvalidValueError as error:
        raise InvalidNhsNumberError from error


def _ods_code(raw: str) -> str:
    try:
        return ods_code_normalise(raw)
    except InvalidValueError as error:
        raise InvalidOdsCodeError from error


def _date_of_birth(raw: str | date) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date_of_birth_parse(raw)
    except InvalidValueError as error:
        raise InvalidDateOfBirthError from error


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


def _eligible(patient: RegisteredPatient) -> None:
    if patient.deceased or patient.registration_status != RegistrationStatus.REGISTERED:
        raise PatientNotEligibleError


def _information(key: LinkageKey, practice: Practice) -> LinkageInformation:
    return LinkageInformation(
        account_id=key.account_id,
        linkage_key=linkage_key_decrypt(key.encrypted_key),
        ods_code=practice.ods_code,
    )


def _new_account_id(practice: Practice) -> str:
    while True:
        candidate = "".join(secrets.choice("0123456789") for _ in range(ACCOUNT_ID_DIGITS))
        if not LinkageKey.objects.filter(practice=practice, account_id=candidate).exists():
            return candidate


def linkage_key_generate() -> str:
    return "".join(secrets.choice(LINKAGE_KEY_ALPHABET) for _ in range(LINKAGE_KEY_LENGTH))


def _issue(
    *, actor: Actor, practice: Practice, patient: RegisteredPatient, previous_account_id: str | None
) -> tuple[LinkageKey, LinkageInformation]:
    """A new active key. The patient keeps their Account ID across reissues; a first key gets a
    new one."""
    linkage_key = linkage_key_generate()
    try:
        # Part of the caller's transaction (_audited, writes=True): a refusal here undoes the
        # whole action, so the key needs no savepoint of its own.
        with transaction.atomic(savepoint=False):
            key = LinkageKey.objects.create(
                patient=patient,
                practice=practice,
                account_id=previous_account_id or _new_account_id(practice),
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
    with _audited(actor, action, ods_code=ods_code, nhs_number=nhs_number):
        nhs_number, ods_code = _nhs_number(nhs_number), _ods_code(ods_code)
        _identified(actor, surname, date_of_birth)
        born = _date_of_birth(date_of_birth) if date_of_birth is not None else None
        _served(actor, practices, ods_code)
        registration = _matching_registration(ods_code, nhs_number, surname, born)
        _eligible(registration.patient)
        if registration.active_encrypted_key is not None:
            return LinkageInformation(
                account_id=registration.active_account_id or "",
                linkage_key=linkage_key_decrypt(registration.active_encrypted_key),
                ods_code=ods_code,
            )
        if registration.latest_status == LinkageKeyStatus.REVOKED:
            raise LinkageKeyRevokedError
        raise LinkageKeyNotFoundError


@dataclass(frozen=True)
class IdempotentRequest:
    """A create sent with an ``Idempotency-Key`` (docs/linkage-api.md, "Calls"): the client,
    its key, and a hash of the body, so that a retry gets the first answer and a different
    body under the same key is refused."""

    client_id: str
    idempotency_key: str
    request_hash: str


def _idempotent_record(idempotent: IdempotentRequest) -> IdempotentCreate | None:
    return (
        IdempotentCreate.objects.select_related("linkage_key__practice", "linkage_key__patient")
        .filter(client_id=idempotent.client_id, idempotency_key=idempotent.idempotency_key)
        .first()
    )


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
    record = _idempotent_record(idempotent) if idempotent is not None else None
    if record is not None and idempotent is not None:
        key = record.linkage_key
        with _audited(
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
        record = _idempotent_record(idempotent) if idempotent is not None else None
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
    with _audited(actor, AuditAction.CREATE, ods_code=ods_code, nhs_number=nhs_number, writes=True):
        nhs_number, ods_code = _nhs_number(nhs_number), _ods_code(ods_code)
        born = _date_of_birth(date_of_birth)
        _served(actor, practices, ods_code)
        registration = _matching_registration(ods_code, nhs_number, surname, born)
        patient = registration.patient
        _eligible(patient)
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
            _idempotent_remember(idempotent, key)
        return information


def _idempotent_remember(idempotent: IdempotentRequest, key: LinkageKey) -> None:
    """In the create's own transaction: the key is never kept without its request's record."""
    try:
        with transaction.atomic():
            IdempotentCreate.objects.create(
                client_id=idempotent.client_id,
                idempotency_key=idempotent.idempotency_key,
                request_hash=idempotent.request_hash,
                linkage_key=key,
            )
    except IntegrityError:
        # The same Idempotency-Key, at the same moment, for another patient's body: the
        # first record stands, and this create stands as an ordinary one.
        logger.warning("Idempotency-Key recorded twice; the first record stands")


def _revoke(key: LinkageKey, *, actor: Actor, reason: str) -> None:
    updated = LinkageKey.objects.filter(pk=key.pk, status=LinkageKeyStatus.ACTIVE).update(
        status=LinkageKeyStatus.REVOKED,
        revoked_at=timezone.now(),
        revoked_by=str(actor)[:255],
        revoked_reason=reason,
    )
    if not updated:
        raise LinkageKeyRevokedError("The linkage key was already revoked")


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidRequestError("Give a reason")
    return reason


def linkage_key_revoke(*, actor: Actor, linkage_key: LinkageKey, reason: str) -> None:
    """Stop serving a key. It is kept, with who, when and why, and never served again."""
    patient = linkage_key.patient
    with _audited(
        actor,
        AuditAction.REVOKE,
        ods_code=linkage_key.practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        _revoke(linkage_key, actor=actor, reason=_reason(reason))


def linkage_key_reissue(
    *, actor: Actor, patient: RegisteredPatient, reason: str
) -> LinkageInformation:
    """Revoke the patient's active key, if any, and issue a new one with the same Account ID."""
    practice = patient.practice
    with _audited(
        actor,
        AuditAction.REISSUE,
        ods_code=practice.ods_code,
        nhs_number=patient.nhs_number,
        writes=True,
    ):
        reason = _reason(reason)
        _eligible(patient)
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
    with _audited(
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


@dataclass(frozen=True)
class BrokenRule:
    """A rule an API client breaks, and the field at fault (the service's parameter, the admin
    form's field; for a rule about two fields, the first)."""

    field: str
    message: str


class ApiClientRulesError(ValueError):
    """Every rule an API client breaks, each with its field: a form shows each by its field, a
    command prints them all."""

    def __init__(self, broken: Sequence[BrokenRule]) -> None:
        self.broken = tuple(broken)
        super().__init__("; ".join(rule.message for rule in self.broken))


@dataclass(frozen=True)
class CheckedApiClient:
    """An API client's details once they keep the rules, as they are to be stored."""

    name: str
    public_key_pem: str
    jwks_url: str
    scopes: list[str]
    practices: list[Practice]
    all_practices: bool

    def stored_fields(self) -> dict[str, Any]:
        """The ApiClient fields these set; the practices, a many-to-many, are set apart."""
        return {
            "name": self.name,
            "public_key_pem": self.public_key_pem,
            "jwks_url": self.jwks_url,
            "scopes": self.scopes,
            "all_practices": self.all_practices,
        }


def api_client_rules_check(
    *,
    name: str,
    public_key_pem: str,
    jwks_url: str,
    scopes: Sequence[str],
    ods_codes: Sequence[str] = (),
    all_practices: bool = False,
) -> CheckedApiClient:
    """The rules of every API client, registered on the command line or in admin, or changed in
    admin (docs/adr/0007): a name; one source of its signing keys, either a public key (RSA
    of at least 2048 bits, as RS512 needs: RFC 7518 3.3) or a JWKS URL over https, never both;
    scopes among ``API_SCOPES``; and a binding to the practices it serves or, explicitly, to
    all of them. Raises ApiClientRulesError naming every rule broken."""
    broken: list[BrokenRule] = []
    if not name.strip():
        broken.append(BrokenRule("name", "A client needs a name"))
    if bool(public_key_pem) == bool(jwks_url):
        broken.append(BrokenRule("public_key_pem", "Give either a public key or a JWKS URL"))
    elif public_key_pem:
        try:
            public_key_pem = rsa_public_key_pem_from(public_key_pem.encode())
        except ValueError as error:
            broken.append(BrokenRule("public_key_pem", str(error)))
    elif not jwks_url.startswith("https://"):
        broken.append(BrokenRule("jwks_url", "The JWKS URL must use https"))
    if not scopes or set(scopes) - set(API_SCOPES):
        broken.append(BrokenRule("scopes", f"Scopes must be some of {', '.join(API_SCOPES)}"))
    practices: list[Practice] = []
    try:
        practices = _practices_named(ods_codes)
    except ValueError as error:
        broken.append(BrokenRule("practices", str(error)))
    else:
        if all_practices == bool(practices):
            broken.append(
                BrokenRule(
                    "practices", "Bind the client either to its practices or to all practices"
                )
            )
    if broken:
        raise ApiClientRulesError(broken)
    return CheckedApiClient(
        name=name.strip(),
        public_key_pem=public_key_pem,
        jwks_url=jwks_url,
        scopes=sorted(set(scopes)),
        practices=practices,
        all_practices=all_practices,
    )


def _client_id_free(client_id: str, *, other_than: ApiClient | None = None) -> None:
    taken = ApiClient.objects.filter(client_id=client_id)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise ValueError(f"A client with the id {client_id} is registered already")


def _api_client_audited(
    actor: Actor, action: AuditAction, client_id: str, *, previous_client_id: str = ""
) -> None:
    """One audit event naming the client (in the caller's transaction), and its cached state
    forgotten once the change commits: forgotten earlier, a call in between could read the row
    as it was and cache it again for a minute (linkage/client_state.py)."""
    audit_event_record(actor=actor, action=action, outcome=SUCCESS, client_id=client_id)
    forgotten = [client_id, previous_client_id] if previous_client_id else [client_id]
    transaction.on_commit(lambda: api_client_state_forget(forgotten))


def api_client_register(
    *,
    name: str,
    client_id: str,
    public_key_pem: str,
    jwks_url: str,
    scopes: Sequence[str],
    ods_codes: Sequence[str] = (),
    all_practices: bool = False,
    enabled: bool = True,
    actor: Actor | None = None,
) -> ApiClient:
    """Register a system allowed to call the linkage API, bound to the practices it serves
    (``ods_codes``) or, explicitly, to all of them (docs/adr/0007). Raises ValueError naming
    the rule (ApiClientRulesError for those of api_client_rules_check).

    Registered by an ``actor`` (a staff member, in admin), the registration is audited in its
    own transaction. The command line and the local set-up give none: they are run by whoever
    runs manage.py on the server, not through the portal."""
    _client_id_free(client_id)
    checked = api_client_rules_check(
        name=name,
        public_key_pem=public_key_pem,
        jwks_url=jwks_url,
        scopes=scopes,
        ods_codes=ods_codes,
        all_practices=all_practices,
    )
    with transaction.atomic():
        client = ApiClient.objects.create(
            client_id=client_id, enabled=enabled, **checked.stored_fields()
        )
        client.practices.set(checked.practices)
        if actor is not None:
            _api_client_audited(actor, AuditAction.API_CLIENT_REGISTER, client_id)
    return client


def api_client_change(
    *,
    actor: Actor,
    client: ApiClient,
    name: str,
    client_id: str,
    public_key_pem: str,
    jwks_url: str,
    scopes: Sequence[str],
    ods_codes: Sequence[str] = (),
    all_practices: bool = False,
    enabled: bool = True,
) -> ApiClient:
    """Change a registered client, under the rules it was registered under: its keys, scopes,
    binding, name, id, or whether it is enabled. One audit event, in the change's own
    transaction, and none for a save that changes nothing; the client's cached state is
    forgotten under its old id and its new one, so a token issued to the old id is refused on
    its next call."""
    _client_id_free(client_id, other_than=client)
    checked = api_client_rules_check(
        name=name,
        public_key_pem=public_key_pem,
        jwks_url=jwks_url,
        scopes=scopes,
        ods_codes=ods_codes,
        all_practices=all_practices,
    )
    fields = {"client_id": client_id, "enabled": enabled, **checked.stored_fields()}
    practice_pks = {practice.pk for practice in checked.practices}
    with transaction.atomic():
        stored = ApiClient.objects.select_for_update().get(pk=client.pk)
        if all(getattr(stored, field) == value for field, value in fields.items()) and (
            set(stored.practices.values_list("pk", flat=True)) == practice_pks
        ):
            return stored
        previous_client_id = stored.client_id
        for field, value in fields.items():
            setattr(stored, field, value)
        stored.save()
        stored.practices.set(checked.practices)
        _api_client_audited(
            actor, AuditAction.API_CLIENT_CHANGE, client_id, previous_client_id=previous_client_id
        )
    return stored


def _practices_named(ods_codes: Sequence[str]) -> list[Practice]:
    codes = set()
    for raw in ods_codes:
        try:
            codes.add(ods_code_normalise(raw))
        except InvalidValueError as error:
            raise ValueError(f"{raw!r} is not an ODS code") from error
    practices = list(Practice.objects.filter(ods_code__in=codes))
    missing = sorted(codes - {practice.ods_code for practice in practices})
    if missing:
        raise ValueError(f"No practice with the ODS code {', '.join(missing)} uses this system")
    return practices


def linkage_key_load(
    *, actor: Actor, patient: RegisteredPatient, account_id: str, linkage_key: str
) -> None:
    """Store linkage information that already exists elsewhere (a migration from another GP
    system, the demo data): keys up to 64 characters, punctuation allowed."""
    if not 1 <= len(linkage_key) <= 64 or not linkage_key.isprintable():
        raise InvalidRequestError("A linkage key is 1 to 64 printable characters")
    if not (account_id.isascii() and account_id.isdigit()) or len(account_id) > 20:
        raise InvalidRequestError("An Account ID is up to 20 digits")
    practice = patient.practice
    with _audited(
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


def practice_online_services_switch(
    *, actor: Actor, practices: QuerySet[Practice], live: bool
) -> int:
    """Switch the practices' online services on or off: while off, every retrieve and create
    at the practice is refused with PRACTICE_NOT_LIVE. Each practice changed gets one audit
    event, in the same transaction as the change; one already so is left alone, unrecorded.
    Returns how many changed."""
    action = AuditAction.ONLINE_SERVICES_ON if live else AuditAction.ONLINE_SERVICES_OFF
    with transaction.atomic():
        changing = list(
            Practice.objects.select_for_update()
            .filter(pk__in=list(practices.values_list("pk", flat=True)))
            .exclude(online_services_live=live)
        )
        Practice.objects.filter(pk__in=[practice.pk for practice in changing]).update(
            online_services_live=live
        )
        for practice in changing:
            audit_event_record(
                actor=actor, action=action, outcome=SUCCESS, ods_code=practice.ods_code
            )
    return len(changing)


def api_client_disable(*, actor: Actor, clients: QuerySet[ApiClient]) -> int:
    """Disable the API clients: their tokens are refused from their very next call. Each
    client disabled gets one audit event, in the same transaction; one already disabled is left
    alone, unrecorded. Returns how many were disabled. Their cached state is forgotten once the
    change commits (``_api_client_audited``)."""
    with transaction.atomic():
        disabling = list(
            ApiClient.objects.select_for_update().filter(
                pk__in=list(clients.values_list("pk", flat=True)), enabled=True
            )
        )
        ApiClient.objects.filter(pk__in=[client.pk for client in disabling]).update(enabled=False)
        for client in disabling:
            _api_client_audited(actor, AuditAction.API_CLIENT_DISABLE, client.client_id)
    return len(disabling)
