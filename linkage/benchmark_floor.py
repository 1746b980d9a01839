"""`make bench`'s floors: what a retrieve and a create cannot do without, and nothing else.

The bare view (core.views.benchmark_baseline) shows what the stack costs with no work of ours.
These show what the guarantees cost with none of our rules: the checks' one Redis script (the
address's and the client's rate limits, which hold across servers, and the token, read on
every call so that a removed one is refused), the one read of the register, the audit event
that is written before the answer, the key's encryption at rest. A retrieve or a create
measured beside its floor in the same run shows how much of its cost is the portal's own
logic (validation, matching, eligibility, the answer's wording) and how much is the price of
those guarantees (docs/capacity.md, docs/adr/0030).

Only for the benchmark: wired when ``BENCHMARK_BASELINE_ENABLED``, which production refuses.
No body is checked beyond what the read needs and no rule is applied; a refusal by the checks
or the register read is answered as the API answers it. The create floor rolls its
transaction back, so that the same patients serve every call and the register is left as it
was.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.client_address import client_rate_limit_key
from core.request_id import request_id_of
from linkage.api import error_response
from linkage.api_call_checks import api_call_authenticate
from linkage.audit import SUCCESS, Actor, ActorType, AuditAction, audit_event_record
from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.errors import LinkageError
from linkage.keys import linkage_key_generate, linkage_key_insert
from linkage.models import LinkageKey
from linkage.selectors import Registration, registration_with_keys


def _guarded(request: HttpRequest, scope: str) -> tuple[Actor, Registration]:
    """The checks' Redis script, then the register read: a retrieve's and a create's first two
    round trips, as they make them."""
    principal = api_call_authenticate(
        request.headers.get("Authorization", ""),
        address=client_rate_limit_key(request),
        scope=scope,
    )
    body = json.loads(request.body)
    registration = registration_with_keys(ods_code=body["odsCode"], nhs_number=body["nhsNumber"])
    return Actor(ActorType.API_CLIENT, principal.client_id, request_id_of(request)), registration


def _audit(actor: Actor, action: AuditAction, registration: Registration) -> None:
    patient = registration.patient
    audit_event_record(
        actor=actor,
        action=action,
        outcome=SUCCESS,
        ods_code=patient.practice.ods_code,
        nhs_number=patient.nhs_number,
    )


@login_not_required
@csrf_exempt  # bearer-token calls, as the API's
@require_POST
def retrieve_floor(request: HttpRequest) -> JsonResponse:
    """POST /api/bench/retrieve-floor: a retrieve's three round trips and the key's
    decryption, for a patient who has an active key."""
    try:
        actor, registration = _guarded(request, "linkage:read")
    except LinkageError as error:
        return error_response(error)
    _audit(actor, AuditAction.RETRIEVE, registration)
    return JsonResponse(
        {
            "accountId": registration.active_account_id,
            "linkageKey": linkage_key_decrypt(registration.active_encrypted_key or ""),
            "odsCode": registration.patient.practice.ods_code,
        }
    )


@login_not_required
@csrf_exempt
@require_POST
def create_floor(request: HttpRequest) -> JsonResponse:
    """POST /api/bench/create-floor: a create's round trips (the script; the transaction's
    start, the register read, the key's insert, the audit insert, its end) and the new key's
    encryption, for a patient with no active key; rolled back at the end."""
    try:
        with transaction.atomic():
            actor, registration = _guarded(request, "linkage:create")
            key, linkage_key = _key_inserted(actor, registration)
            _audit(actor, AuditAction.CREATE, registration)
            transaction.set_rollback(True)
    except LinkageError as error:
        return error_response(error)
    # The answer a create gives, for a key that no longer exists.
    return JsonResponse(
        {
            "accountId": key.account_id,
            "linkageKey": linkage_key,
            "odsCode": registration.patient.practice.ods_code,
        },
        status=201,
    )


def _key_inserted(actor: Actor, registration: Registration) -> tuple[LinkageKey, str]:
    """A new key, encrypted and inserted as a create inserts it."""
    patient = registration.patient
    linkage_key = linkage_key_generate()
    key = linkage_key_insert(
        patient=patient,
        practice=patient.practice,
        account_id=registration.latest_account_id,
        encrypted_key=linkage_key_encrypt(linkage_key),
        created_by=str(actor),
    )
    return key, linkage_key


# Included by the portal's URLs when BENCHMARK_BASELINE_ENABLED (citizen_portal/portal_urls.py).
urlpatterns = [
    path("api/bench/retrieve-floor", retrieve_floor),
    path("api/bench/create-floor", create_floor),
]
