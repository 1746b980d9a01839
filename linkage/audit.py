"""Who did what to whose linkage information (docs/linkage-api.md, "Audit").

Written after the action's own transaction, success or failure, so that a refused request is
recorded even though nothing else was written. Never the key, a token or the request body.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from core.nhs_identifiers import InvalidValueError, nhs_number_normalise, ods_code_normalise
from core.rate_limit import RateLimitUnavailableError, rate_limit_count
from linkage.errors import LinkageError
from linkage.models import AuditEvent

logger = logging.getLogger(__name__)


class ActorType(StrEnum):
    API_CLIENT = "api_client"
    PATIENT = "patient"
    STAFF = "staff"
    SYSTEM = "system"


class AuditAction(StrEnum):
    RETRIEVE = "retrieve"
    CREATE = "create"
    REVOKE = "revoke"
    REISSUE = "reissue"
    VIEW = "view"
    SHOW_KEY = "show_key"
    IMPORT = "register_import"
    ROTATE_ENCRYPTION = "rotate_encryption"
    EXPORT = "audit_export"
    TOKEN_REQUEST = "token_request"  # noqa: S105 (an action's name, not a secret)
    # Staff changing who may reach linkage information (docs/adr/0013).
    ONLINE_SERVICES_ON = "online_services_on"
    ONLINE_SERVICES_OFF = "online_services_off"
    API_CLIENT_REGISTER = "api_client_register"
    API_CLIENT_CHANGE = "api_client_change"
    API_CLIENT_DISABLE = "api_client_disable"
    # IM1 partners pairing with a patient's record and reading it (docs/im1-api.md).
    IM1_PAIR = "im1_pair"
    IM1_READ = "im1_read"
    IM1_CONNECTION_END = "im1_connection_end"
    IM1_UNLOCK = "im1_unlock"
    # Practice staff asking NHS login to provision a patient's account (docs/provisioning.md).
    NHS_LOGIN_PROVISION = "nhs_login_provision"


SUCCESS = "SUCCESS"


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API client's id, a patient's NHS login sub, a staff username."""

    type: ActorType
    identifier: str
    request_id: str = ""

    def __str__(self) -> str:
        return f"{self.type}:{self.identifier}"


_AUDIT_COLUMNS = [
    "occurred_at",
    "actor_type",
    "actor",
    "action",
    "outcome",
    "ods_code",
    "nhs_number",
    "client_id",
    "request_id",
]
# Written out: an ORM create spent more Python on the model's save machinery than PostgreSQL
# spent on the insert, once in every API call (docs/adr/0008). Only ever an INSERT: the rows
# are append-only (linkage/models.py).
_AUDIT_INSERT = (
    f'INSERT INTO "{AuditEvent._meta.db_table}" ({", ".join(_AUDIT_COLUMNS)}) '  # noqa: S608
    f"VALUES ({', '.join(['%s'] * len(_AUDIT_COLUMNS))}) RETURNING id"
)


def audit_event_record(
    *,
    actor: Actor,
    action: AuditAction,
    outcome: str,
    ods_code: str = "",
    nhs_number: str = "",
    client_id: str = "",
) -> AuditEvent:
    """``client_id`` names the API client a staff member registered, changed or disabled."""
    values = (
        timezone.now(),
        str(actor.type),
        actor.identifier[:255],
        str(action),
        str(outcome),
        ods_code[:10],
        nhs_number[:10],
        client_id[:64],
        actor.request_id[:64],
    )
    with connection.cursor() as cursor:
        cursor.execute(_AUDIT_INSERT, values)
        (pk,) = cursor.fetchone()
    event = AuditEvent.from_db(DEFAULT_DB_ALIAS, ["id", *_AUDIT_COLUMNS], (pk, *values))
    # As Model.save would: whatever listens for new events still hears of this one.
    post_save.send(
        sender=AuditEvent, instance=event, created=True, raw=False, using=event._state.db
    )
    return event


def _valid_or_empty(normalise: Callable[[str], str], raw: str) -> str:
    try:
        return normalise(raw)
    except InvalidValueError:
        return ""


@dataclass
class AuditSubject:
    """Whose information an ``audited`` action is about. A caller that learns the patient only
    part-way (an IM1 pairing names an account, not an NHS number) sets ``nhs_number`` once it
    knows it, and the record names them whatever the outcome. An action that ends without an
    error yet not in success (another service's answer, say) sets ``outcome`` to record it."""

    ods_code: str
    nhs_number: str
    outcome: str = SUCCESS


@contextmanager
def audited(
    actor: Actor, action: AuditAction, *, ods_code: str, nhs_number: str, writes: bool = False
) -> Iterator[AuditSubject]:
    """Record an action on a patient's linkage information once it is over, whatever its
    outcome: every service in linkage/services.py runs inside one, so each call writes exactly
    one audit event. Only valid identifiers are recorded: garbage from a caller is not kept.

    An action that ``writes`` commits together with the record of its success, or not at all:
    no key is created, revoked or reissued without its audit event, and a create that failed
    leaves nothing behind to turn its retry into LINKAGE_KEY_EXISTS (the OpenAPI document's
    503 SERVICE_UNAVAILABLE: "nothing was written"). A refusal is recorded after the rollback."""

    subject = AuditSubject(ods_code=ods_code, nhs_number=nhs_number)

    def record(outcome: str) -> None:
        audit_event_record(
            actor=actor,
            action=action,
            outcome=outcome,
            ods_code=_valid_or_empty(ods_code_normalise, subject.ods_code),
            nhs_number=_valid_or_empty(nhs_number_normalise, subject.nhs_number),
        )

    outcome = SUCCESS
    together: AbstractContextManager[Any] = transaction.atomic() if writes else nullcontext()
    try:
        with together:
            yield subject
            record(subject.outcome)  # a success must never go unrecorded
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


UNAUTHENTICATED = "unauthenticated"


def audit_refusal_aggregate(
    *, address: str, action: AuditAction, outcome: str, request_id: str = ""
) -> AuditEvent | None:
    """Record a refusal of a caller that never authenticated, in aggregate per address.

    Anyone can send a request without a valid token, and a row for each would let them fill
    the audit trail as fast as they can send (docs/operations.md, "Behind a load balancer").
    The refusals are counted in the cache per address, action, outcome and minute; a row is
    written at the 1st, 10th, 100th... refusal of that minute, its actor naming the address
    and the count reached ("unauthenticated 203.0.113.7 (100 this minute)"). So a minute's
    flood from one address costs a handful of rows, and the largest count of the minute gives
    its size to within a factor of ten.

    Why log-spaced rows rather than one row carrying an exact count: audit rows are
    append-only (never updated, linkage/models.py), and a count kept in the cache and written
    once the minute ends needs something to run when it ends; the portal has no scheduler, and
    a flush that never ran would lose the refusals from the trail. Here every row is written
    by the refusal that reaches its count, so nothing depends on a later request or a job.
    Callers that did authenticate keep one row per call. Returns the row written, if any.
    """
    try:
        count = rate_limit_count(f"audit-refusals:{action}:{outcome}:{address}")
    except RateLimitUnavailableError:
        logger.error("Refusal not audited: the cache is unavailable")
        return None
    if str(count).rstrip("0") != "1":  # 1, 10, 100, 1000...
        return None
    return audit_event_record(
        actor=Actor(
            ActorType.API_CLIENT, f"{UNAUTHENTICATED} {address} ({count} this minute)", request_id
        ),
        action=action,
        outcome=outcome,
    )
