"""The IM1 pairing API (docs/im1-api.md): thin views over im1/services.py, on the linkage
API's bearer tokens, address and client limits, error body and refusal audit (``linkage_api``,
linkage/api.py)."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from core.client_address import client_rate_limit_key
from im1.services import im1_pairing_create, im1_patient_read
from linkage.api import Field, json_body, linkage_api
from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, AuditAction
from linkage.errors import InvalidRequestError

OPENAPI_DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
CONNECTION_TOKEN_HEADER = "IM1-Connection-Token"  # noqa: S105 (a header name, not a secret)
MAX_CONNECTION_TOKEN_LENGTH = 255

# The linkage information as NHS login gave it to the partner (gp_integration_credentials),
# with the surname and date of birth the partner holds for the patient.
PAIRING_FIELDS = (
    Field("accountId", True),
    Field("linkageKey", True),
    Field("odsCode", True),
    Field("surname", True),
    Field("dateOfBirth", True),
)


@linkage_api("im1:pair", AuditAction.IM1_PAIR)
def im1_pairing(request: HttpRequest, actor: Actor, practices: PracticeBinding) -> HttpResponse:
    """POST /api/im1/v1/pairings"""
    body = json_body(request, PAIRING_FIELDS)
    pairing = im1_pairing_create(
        actor=actor,
        practices=practices,
        address=client_rate_limit_key(request),
        account_id=body["accountId"],
        linkage_key=body["linkageKey"],
        ods_code=body["odsCode"],
        surname=body["surname"],
        date_of_birth=body["dateOfBirth"],
    )
    answer = {
        "connectionToken": pairing.connection_token,
        "accountId": pairing.account_id,
        "odsCode": pairing.ods_code,
    }
    return JsonResponse(answer, status=201)


def _connection_token(request: HttpRequest) -> str:
    token = request.headers.get(CONNECTION_TOKEN_HEADER, "").strip()
    if not token:
        raise InvalidRequestError(f"The {CONNECTION_TOKEN_HEADER} header is required")
    if len(token) > MAX_CONNECTION_TOKEN_LENGTH:
        raise InvalidRequestError(f"The {CONNECTION_TOKEN_HEADER} header is too long")
    return token


@linkage_api("im1:pair", AuditAction.IM1_READ, method="GET")
def im1_patient(request: HttpRequest, actor: Actor, practices: PracticeBinding) -> HttpResponse:
    """GET /api/im1/v1/patient"""
    patient = im1_patient_read(actor=actor, connection_token=_connection_token(request))
    return JsonResponse(
        {
            "nhsNumber": patient.nhs_number,
            "givenName": patient.given_name,
            "surname": patient.surname,
            "dateOfBirth": patient.date_of_birth.isoformat(),
            "odsCode": patient.ods_code,
            "practiceName": patient.practice_name,
        }
    )


@login_not_required
@require_GET
def im1_openapi_document(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of the IM1 API, kept in the repository and tested
    against it (im1/tests/test_openapi.py)."""
    return HttpResponse(OPENAPI_DOCUMENT.read_bytes(), content_type="application/json")
