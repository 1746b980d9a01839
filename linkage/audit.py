"""Who did what to whose linkage information (shared/linkage-api.md, "Audit").

Written after the action's own transaction, success or failure, so that a refused request is
recorded even though nothing else was written. Never the key, a token or the request body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from linkage.models import AuditEvent


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


SUCCESS = "SUCCESS"


@dataclass(frozen=True)
class Actor:
    """Who is acting: an API client's id, a patient's NHS login sub, a staff username."""

    type: ActorType
    identifier: str
    request_id: str = ""

    def __str__(self) -> str:
        return f"{self.type}:{self.identifier}"


def audit_event_record(
    *, actor: Actor, action: AuditAction, outcome: str, ods_code: str = "", nhs_number: str = ""
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor=actor.identifier[:255],
        action=action,
        outcome=outcome,
        ods_code=ods_code[:10],
        nhs_number=nhs_number[:10],
        request_id=actor.request_id[:64],
    )
