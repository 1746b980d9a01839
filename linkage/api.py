"""The linkage JSON API (docs/linkage-api.md, "Calls"): thin views over the services.

Each request: a request id; the bearer token and its scope; the client's rate limit; a strict
JSON body (unknown, repeated or mistyped fields refused, 16 KB at most); one service call; the
contract's error body for every refusal. Never the key, a token or an NHS number in a message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Any, TypedDict

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.client_address import client_rate_limit_key
from core.request_id import request_id_of
from linkage.api_auth import (
    ApiPrincipal,
    CacheUnavailableError,
    OAuthError,
    api_address_retry_after,
    api_rate_limit,
    api_token_issue,
)
from linkage.api_call_checks import api_call_authenticate
from linkage.api_clients.state import PracticeBinding
from linkage.audit import (
    UNAUTHENTICATED,
    Actor,
    ActorType,
    AuditAction,
    audit_event_record,
    audit_refusal_aggregate,
)
from linkage.errors import (
    BodyTooLargeError,
    ForbiddenError,
    InvalidRequestError,
    LinkageError,
    RateLimitedError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from linkage.idempotency import IdempotentRequest
from linkage.keys import LinkageInformation
from linkage.services import linkage_key_create, linkage_key_retrieve

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_FIELD_LENGTH = 255
OPENAPI_DOCUMENT = Path(__file__).resolve().parent / "openapi.json"
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# A field's value is at most MAX_FIELD_LENGTH characters, none of them a control character
# (U+0000 to U+001F, U+007F): one match instead of a test of each character.
_FIELD_VALUE = re.compile(rf"[^\x00-\x1f\x7f]{{0,{MAX_FIELD_LENGTH}}}")


@dataclass(frozen=True)
class Field:
    name: str
    required: bool


# Surname and date of birth on retrieve as on create: the NHS number and ODS code alone never
# reach a key (docs/adr/0007).
RETRIEVE_FIELDS = (
    Field("nhsNumber", True),
    Field("odsCode", True),
    Field("surname", True),
    Field("dateOfBirth", True),
)
CREATE_FIELDS = (
    Field("nhsNumber", True),
    Field("odsCode", True),
    Field("surname", True),
    Field("dateOfBirth", True),
    Field("emailAddress", False),
    Field("phoneNumber", False),
)


_WWW_AUTHENTICATE = 'Bearer realm="linkage", error="invalid_token"'


def error_response(error: LinkageError) -> JsonResponse:
    """A LinkageError answered with the contract's error body (docs/linkage-api.md, "Errors"):
    its own code, message and status. An UNAUTHORIZED answer says how to authenticate (RFC
    6750, 3); a rate limit says when to come back (RFC 6585, 4)."""
    response = JsonResponse(
        {"errorCode": error.error_code, "errorMessage": error.error_message}, status=error.status
    )
    if isinstance(error, UnauthorizedError):
        response["WWW-Authenticate"] = _WWW_AUTHENTICATE
    if isinstance(error, RateLimitedError):
        response["Retry-After"] = str(error.retry_after)
    return response


def service_unavailable_response() -> JsonResponse:
    """The contract's 503, for a database failure that reached no endpoint's own handling
    (core.views.server_error, ``SERVICE_UNAVAILABLE_ANSWERS``)."""
    return error_response(ServiceUnavailableError())


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InvalidRequestError(f"Fields given more than once: {', '.join(repeated)}")
    return dict(pairs)


def json_body(request: HttpRequest, fields: tuple[Field, ...]) -> dict[str, str]:
    """The body as the fields allow: an object of strings, nothing unknown or missing."""
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise InvalidRequestError("Content-Type must be application/json")
    too_large = BodyTooLargeError(f"The body must be at most {MAX_BODY_BYTES} bytes")
    # The declared length first, so a large body is refused unread; Django's own limit
    # (DATA_UPLOAD_MAX_MEMORY_SIZE) would otherwise answer with an HTML page.
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared_length = 0
    if declared_length > MAX_BODY_BYTES:
        raise too_large
    try:
        raw = request.body
    except RequestDataTooBig as error:
        raise too_large from error
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    try:
        body = json.loads(raw, object_pairs_hook=_refuse_duplicates)
    except InvalidRequestError:
        raise
    except (ValueError, RecursionError) as error:
        raise InvalidRequestError("The body is not valid JSON") from error
    if not isinstance(body, dict):
        raise InvalidRequestError("The body must be a JSON object")
    allowed = {field.name for field in fields}
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequestError(f"Unknown fields: {', '.join(unknown)}")
    for field in fields:
        if field.name not in body:
            if field.required:
                raise InvalidRequestError(f"{field.name} is required")
            continue
        value = body[field.name]
        if not isinstance(value, str):
            raise InvalidRequestError(f"{field.name} must be a string")
        if field.required and not value.strip():
            raise InvalidRequestError(f"{field.name} must not be empty")
        if not _FIELD_VALUE.fullmatch(value):
            raise InvalidRequestError(
                f"{field.name} must be at most {MAX_FIELD_LENGTH} printable characters"
            )
    return body


def _information_body(information: LinkageInformation) -> dict[str, str]:
    return {
        "accountId": information.account_id,
        "linkageKey": information.linkage_key,
        "odsCode": information.ods_code,
    }


# The view gets the practices its client is bound to, for the service to enforce.
ApiView = Callable[[HttpRequest, Actor, PracticeBinding], HttpResponse]


def _audit_refusal(actor: Actor, action: AuditAction, outcome: str, *, address: str) -> None:
    """One row for each refusal of a client that authenticated; refusals of callers that did
    not (no or a bad token, the address over its limit) are counted per address instead, so
    that anyone can no longer write a permanent row with each request (linkage/audit.py)."""
    try:
        if actor.identifier == UNAUTHENTICATED:
            audit_refusal_aggregate(
                address=address, action=action, outcome=outcome, request_id=actor.request_id
            )
        else:
            audit_event_record(actor=actor, action=action, outcome=outcome)
    except DatabaseError:
        logger.error("Audit event not written: the database is unavailable")


def linkage_api(
    scope: str, action: AuditAction, *, method: str = "POST"
) -> Callable[[ApiView], Callable[[HttpRequest], HttpResponse]]:
    """Everything a linkage endpoint, or another API on the same bearer tokens (the IM1
    API's, im1/api.py), does before and after its one service call; ``method`` is the one
    HTTP method it answers.

    A call refused before it reaches the service (token, scope, rate limit, malformed body) is
    audited here; the service audits every call that reaches it. The client address's own
    limit comes first, before the token is looked up or anything is written, as anyone may
    call without a token (docs/operations.md, "Behind a load balancer").
    """

    def decorate(view: ApiView) -> Callable[[HttpRequest], HttpResponse]:
        @login_not_required
        @csrf_exempt  # bearer-token API: no cookies, so no cross-site request forgery
        @never_cache
        @require_http_methods([method])
        @wraps(view)
        def wrapped(request: HttpRequest) -> HttpResponse:
            request_id = request_id_of(request)
            actor = Actor(ActorType.API_CLIENT, UNAUTHENTICATED, request_id)
            address = client_rate_limit_key(request)
            try:
                principal: ApiPrincipal = api_call_authenticate(
                    request.headers.get("Authorization", ""), address=address, scope=scope
                )
                actor = Actor(ActorType.API_CLIENT, principal.client_id, request_id)
                if scope not in principal.scopes:
                    raise ForbiddenError(f"The token lacks the {scope} scope")
                api_rate_limit(principal)
                response = view(request, actor, principal.practices)
            except LinkageError as error:
                # A service records its own refusals; one refused before any service (the
                # address's limit, the token, its scope, the client's limit, the body, the
                # Idempotency-Key) is recorded here.
                if not error.audited:
                    _audit_refusal(actor, action, error.error_code, address=address)
                return error_response(error)
            except (DatabaseError, CacheUnavailableError) as error:
                logger.error("Linkage API unavailable: %s", type(error).__name__)
                return error_response(ServiceUnavailableError())
            return response

        return wrapped

    return decorate


class _PatientNamed(TypedDict):
    nhs_number: str
    ods_code: str
    surname: str
    date_of_birth: str


def _patient_named(body: dict[str, str]) -> _PatientNamed:
    """The patient as every call names them: the body's camelCase to the services' names."""
    return _PatientNamed(
        nhs_number=body["nhsNumber"],
        ods_code=body["odsCode"],
        surname=body["surname"],
        date_of_birth=body["dateOfBirth"],
    )


@linkage_api("linkage:read", AuditAction.RETRIEVE)
def linkage_retrieve(
    request: HttpRequest, actor: Actor, practices: PracticeBinding
) -> HttpResponse:
    """POST /api/v1/linkage/retrieve"""
    body = json_body(request, RETRIEVE_FIELDS)
    information = linkage_key_retrieve(actor=actor, practices=practices, **_patient_named(body))
    return JsonResponse(_information_body(information))


def _idempotency_key(request: HttpRequest) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise InvalidRequestError("Idempotency-Key must be 1 to 255 printable characters")
    return key


@linkage_api("linkage:create", AuditAction.CREATE)
def linkage_create(request: HttpRequest, actor: Actor, practices: PracticeBinding) -> HttpResponse:
    """POST /api/v1/linkage"""
    body = json_body(request, CREATE_FIELDS)
    idempotency_key = _idempotency_key(request)
    idempotent = (
        IdempotentRequest(
            client_id=actor.identifier,
            idempotency_key=idempotency_key,
            request_hash=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
        )
        if idempotency_key
        else None
    )
    information = linkage_key_create(
        actor=actor, practices=practices, idempotent=idempotent, **_patient_named(body)
    )
    return JsonResponse(_information_body(information), status=201)


def _token_refusal(
    request: HttpRequest, address: str, error: OAuthError, *, retry_after: int | None = None
) -> HttpResponse:
    """RFC 6749's error body (5.2). Refused before any client authenticated, so counted per
    address, not a row each."""
    _audit_refusal(
        Actor(ActorType.API_CLIENT, UNAUTHENTICATED, request_id_of(request)),
        AuditAction.TOKEN_REQUEST,
        error.error,
        address=address,
    )
    response = JsonResponse(
        {"error": error.error, "error_description": error.description}, status=error.status
    )
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _token_answer(request: HttpRequest, address: str) -> HttpResponse:
    retry_after = api_address_retry_after(
        address,
        endpoint="token",
        limit=settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
    )
    if retry_after is not None:
        too_many = OAuthError(
            "temporarily_unavailable",
            "Too many token requests from this address: try again later",
            status=429,
        )
        return _token_refusal(request, address, too_many, retry_after=retry_after)
    try:
        return JsonResponse(api_token_issue(request.POST))
    except OAuthError as error:
        return _token_refusal(request, address, error)


@login_not_required
@csrf_exempt  # machine clients authenticate with a signed assertion, not cookies
@require_POST
def api_token(request: HttpRequest) -> HttpResponse:
    """POST /api/oauth2/token: client credentials with an RS512 client assertion.

    The client address's limit comes before the assertion is parsed, its key fetched or its
    ``jti`` written: each request otherwise costs an RS512 verification and a cache write,
    whoever sends it. Over it, 429 with Retry-After and RFC 6749's ``temporarily_unavailable``.
    Every refusal is audited in aggregate per address (``audit_refusal_aggregate``): a stolen
    or forged assertion tried again and again shows in the trail without filling it.
    """
    try:
        response = _token_answer(request, client_rate_limit_key(request))
    except (DatabaseError, CacheUnavailableError):
        response = JsonResponse(
            {"error": "temporarily_unavailable", "error_description": "Try again later"}, status=503
        )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


@login_not_required
@require_GET
def openapi_document(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of this API, kept in the repository and tested against it."""
    return HttpResponse(OPENAPI_DOCUMENT.read_bytes(), content_type="application/json")
