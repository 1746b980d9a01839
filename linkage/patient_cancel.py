"""A patient cancels their own linkage key, from the portal's pages, when they think someone
else knows it (docs/linkage-api.md, "Terms": a revoked key is kept, with who revoked it, when
and why, and never served again). They can then get a new one at once: create after a
revocation issues a new key with the same Account ID (linkage/services.py; docs/adr/0023).

The cancel is linkage_key_revoke's, with the patient as its actor: the same rules, the same
one audit event in the same transaction, the same refusal of a key revoked twice. The key is
found as the patient's own retrieve finds it, from the NHS number and GP practice NHS login
gave at sign-in, never from an id in a URL or a form."""

from __future__ import annotations

from linkage.audit import Actor, ActorType, AuditAction, audited
from linkage.errors import LinkageError, LinkageKeyNotFoundError
from linkage.models import LinkageKey, LinkageKeyStatus
from linkage.selectors import registration_with_keys
from linkage.services import linkage_key_revoke
from linkage.validation import request_nhs_number, request_ods_code

# Kept with the key and shown to staff in the admin: why it stopped working.
CANCELLED_BY_THE_PATIENT = "Cancelled by the patient"


def linkage_key_cancel(*, actor: Actor, nhs_number: str, ods_code: str) -> None:
    """Cancel the patient's active key at their practice. Refused with LINKAGE_KEY_REVOKED
    when it is cancelled already (a double click, a second tab: revoke's own rule), with
    LINKAGE_KEY_NOT_FOUND when they never had one, and with the register's refusals as their
    retrieve meets them; each refusal is one audit event, a refused revoke."""
    if actor.type != ActorType.PATIENT:
        raise ValueError("Only a patient cancels their own key; staff revoke in the admin")
    key = _own_key(actor=actor, nhs_number=nhs_number, ods_code=ods_code)
    linkage_key_revoke(actor=actor, linkage_key=key, reason=CANCELLED_BY_THE_PATIENT)


def _own_key(*, actor: Actor, nhs_number: str, ods_code: str) -> LinkageKey:
    """The patient's active key or, with none active, their latest, whose revoke is then
    refused by the revoke itself. No key at all, or no registration to find one by, is
    refused here and recorded as the revoke it stopped."""
    try:
        registration = registration_with_keys(
            ods_code=request_ods_code(ods_code), nhs_number=request_nhs_number(nhs_number)
        )
        keys = registration.patient.linkage_keys.select_related("practice")
        key = (
            keys.filter(status=LinkageKeyStatus.ACTIVE).first()
            or keys.order_by("-created_at", "-pk").first()
        )
        if key is None:
            raise LinkageKeyNotFoundError
    except LinkageError:
        with audited(actor, AuditAction.REVOKE, ods_code=ods_code, nhs_number=nhs_number):
            raise
    return key
