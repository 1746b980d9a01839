"""The linkage API over HTTP with real signed client assertions: every errorCode of
docs/linkage-api.md, the token endpoint, idempotency, rate limits and the audit."""

from __future__ import annotations

import datetime
import json
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from core.rsa_keys import private_key_generate
from core.views import server_error
from linkage.api import OPENAPI_DOCUMENT
from linkage.api_auth import registered_public_key
from linkage.audit import Actor, ActorType
from linkage.models import ApiClient, AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import linkage_key_retrieve
from linkage.tests.conftest import (
    NHS_NUMBER,
    ODS_CODE,
    ApiCaller,
    assertion_for,
    create_body,
    retrieve_body,
)
from linkage.tests.factories import LinkageKeyFactory

pytestmark = pytest.mark.django_db

SCHEMAS = json.loads(OPENAPI_DOCUMENT.read_text())["components"]["schemas"]
JWT_BEARER_WRITTEN_OUT = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _error(response: Any) -> tuple[int, str]:
    """The status and errorCode of a refusal whose body is the OpenAPI document's Error."""
    Draft202012Validator(SCHEMAS["Error"]).validate(response.json())
    return response.status_code, response.json()["errorCode"]


def _oauth_error(response: Any) -> tuple[int, str]:
    """The status and error of a token endpoint refusal whose body is the document's
    OAuthError, with a description (RFC 6749, 5.2)."""
    Draft202012Validator(SCHEMAS["OAuthError"]).validate(response.json())
    assert response.json()["error_description"]
    return response.status_code, response.json()["error"]


def _token_form(api: ApiCaller, **changes: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": JWT_BEARER_WRITTEN_OUT,
        "client_assertion": assertion_for(api.client.client_id, api.private_key),
        **changes,
    }


def test_create_then_retrieve(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    created = nhs_login_api.create(create_body())
    retrieved = nhs_login_api.retrieve(retrieve_body())

    assert created.status_code == 201
    assert retrieved.status_code == 200
    assert retrieved.json() == created.json()
    body = created.json()
    assert set(body) == {"accountId", "linkageKey", "odsCode"}
    assert body["odsCode"] == ODS_CODE
    assert len(body["accountId"]) == 10
    assert body["accountId"].isdigit()
    assert len(body["linkageKey"]) == 15
    assert not set(body["linkageKey"]) & set("0O1Il")
    assert created["X-Request-ID"]
    assert "no-store" in created["Cache-Control"]


def test_key_is_stored_encrypted_not_in_clear(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    linkage_key = nhs_login_api.create(create_body()).json()["linkageKey"]

    stored = LinkageKey.objects.get()
    assert linkage_key not in stored.encrypted_key
    assert stored.encrypted_key.startswith("gAAAAA")  # a Fernet token


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(retrieve_body(nhsNumber="999 000 0018"), id="nhs-number-with-spaces"),
        pytest.param(retrieve_body(nhsNumber="999-000-0018"), id="nhs-number-with-hyphens"),
        pytest.param(retrieve_body(odsCode="a12345"), id="ods-code-lower-case"),
        pytest.param(retrieve_body(surname="obrien smith"), id="surname-case-spaces-apostrophe"),
        pytest.param(retrieve_body(surname="O\u2019BRIEN-SMITH"), id="surname-curly-apostrophe"),
        pytest.param(
            retrieve_body(surname="O'Brien-Smith", dateOfBirth="1985-03-05"), id="surname-and-dob"
        ),
    ],
)
def test_retrieve_accepts_the_forms_the_contract_allows(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, body: dict[str, str]
) -> None:
    LinkageKeyFactory.create(patient=registered_patient, account_id="5100000001")

    response = nhs_login_api.retrieve(body)

    assert response.status_code == 200
    assert response.json()["accountId"] == "5100000001"
    assert response.json()["linkageKey"] == "Kp3nV8cT2wJsBqR"


Setup = Callable[[RegisteredPatient], None]


def _no_key(patient: RegisteredPatient) -> None:
    """The patient is registered and has no key."""


def _with_key(patient: RegisteredPatient) -> None:
    LinkageKeyFactory.create(patient=patient)


def _revoked(patient: RegisteredPatient) -> None:
    LinkageKeyFactory.create(patient=patient, status="revoked", revoked_reason="lost phone")


def _ended(patient: RegisteredPatient) -> None:
    RegisteredPatient.objects.filter(pk=patient.pk).update(registration_status="ended")


def _deceased(patient: RegisteredPatient) -> None:
    RegisteredPatient.objects.filter(pk=patient.pk).update(deceased=True)


def _offline(patient: RegisteredPatient) -> None:
    Practice.objects.filter(pk=patient.practice_id).update(online_services_live=False)


def _age(years: int, days: int = 0) -> Setup:
    def setup(patient: RegisteredPatient) -> None:
        today = timezone.localdate()
        born = today.replace(year=today.year - years) + datetime.timedelta(days=days)
        RegisteredPatient.objects.filter(pk=patient.pk).update(date_of_birth=born)

    return setup


ERROR_TABLE = [
    # (id, call, body, setup, status, errorCode)
    ("malformed-json", "retrieve", '{"nhsNumber": ', _no_key, 400, "INVALID_REQUEST"),
    ("not-an-object", "retrieve", "[]", _no_key, 400, "INVALID_REQUEST"),
    (
        "missing-nhs-number",
        "retrieve",
        retrieve_body(nhsNumber=None),
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "missing-surname-on-retrieve",
        "retrieve",
        retrieve_body(surname=None),
        _with_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "missing-dob-on-retrieve",
        "retrieve",
        retrieve_body(dateOfBirth=None),
        _with_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "empty-surname-on-retrieve",
        "retrieve",
        retrieve_body(surname="  "),
        _with_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "missing-surname-on-create",
        "create",
        create_body(surname=None),
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "unknown-field",
        "retrieve",
        {**retrieve_body(), "role": "admin"},
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "number-not-string",
        "retrieve",
        retrieve_body(nhsNumber=9990000018),
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    ("null-field", "create", {**create_body(), "surname": None}, _no_key, 400, "INVALID_REQUEST"),
    ("empty-required", "create", create_body(surname=" "), _no_key, 400, "INVALID_REQUEST"),
    (
        "control-characters",
        "retrieve",
        retrieve_body(surname="Smith\x00"),
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "duplicate-keys",
        "retrieve",
        '{"nhsNumber": "9990000018", "nhsNumber": "9990000026", "odsCode": "A12345"}',
        _no_key,
        400,
        "INVALID_REQUEST",
    ),
    (
        "bad-check-digit",
        "retrieve",
        retrieve_body(nhsNumber="9990000019"),
        _no_key,
        400,
        "INVALID_NHS_NUMBER",
    ),
    (
        "nhs-number-too-short",
        "create",
        create_body(nhsNumber="99900001"),
        _no_key,
        400,
        "INVALID_NHS_NUMBER",
    ),
    (
        "ods-code-five-characters",
        "retrieve",
        retrieve_body(odsCode="A1234"),
        _no_key,
        400,
        "INVALID_ODS_CODE",
    ),
    (
        "ods-code-punctuation",
        "create",
        create_body(odsCode="A1234!"),
        _no_key,
        400,
        "INVALID_ODS_CODE",
    ),
    (
        "impossible-date",
        "create",
        create_body(dateOfBirth="2023-02-30"),
        _no_key,
        400,
        "INVALID_DATE_OF_BIRTH",
    ),
    (
        "date-wrong-format",
        "retrieve",
        retrieve_body(dateOfBirth="05/03/1985"),
        _no_key,
        400,
        "INVALID_DATE_OF_BIRTH",
    ),
    (
        "date-in-future",
        "create",
        create_body(dateOfBirth="2999-01-01"),
        _no_key,
        400,
        "INVALID_DATE_OF_BIRTH",
    ),
    (
        "practice-not-found",
        "retrieve",
        retrieve_body(odsCode="Z99999"),
        _no_key,
        404,
        "PRACTICE_NOT_FOUND",
    ),
    ("practice-not-live", "create", create_body(), _offline, 403, "PRACTICE_NOT_LIVE"),
    (
        "practice-not-live-patient-unknown",
        "retrieve",
        retrieve_body(nhsNumber="9990000026"),
        _offline,
        403,
        "PRACTICE_NOT_LIVE",
    ),
    (
        "patient-not-registered",
        "retrieve",
        retrieve_body(nhsNumber="9990000026"),
        _no_key,
        404,
        "PATIENT_NOT_FOUND",
    ),
    (
        "surname-differs",
        "retrieve",
        retrieve_body(surname="Smith"),
        _with_key,
        404,
        "PATIENT_NOT_FOUND",
    ),
    (
        "dob-differs-on-retrieve",
        "retrieve",
        retrieve_body(dateOfBirth="1985-03-06"),
        _with_key,
        404,
        "PATIENT_NOT_FOUND",
    ),
    (
        "dob-differs",
        "create",
        create_body(dateOfBirth="1985-03-06"),
        _no_key,
        404,
        "PATIENT_NOT_FOUND",
    ),
    ("registration-ended", "retrieve", retrieve_body(), _ended, 403, "PATIENT_NOT_ELIGIBLE"),
    ("deceased", "create", create_body(), _deceased, 403, "PATIENT_NOT_ELIGIBLE"),
    ("fifteen", "create", None, _age(15), 403, "UNDER_MINIMUM_AGE"),
    ("sixteenth-birthday-tomorrow", "create", None, _age(16, days=1), 403, "UNDER_MINIMUM_AGE"),
    ("no-key-yet", "retrieve", retrieve_body(), _no_key, 404, "LINKAGE_KEY_NOT_FOUND"),
    ("key-revoked", "retrieve", retrieve_body(), _revoked, 403, "LINKAGE_KEY_REVOKED"),
    ("key-exists", "create", create_body(), _with_key, 409, "LINKAGE_KEY_EXISTS"),
]


@pytest.mark.parametrize(
    ("call", "body", "setup", "status", "error_code"),
    [pytest.param(*row[1:], id=row[0]) for row in ERROR_TABLE],
)
def test_each_error_code_with_its_status_and_one_audit_event(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    caplog: pytest.LogCaptureFixture,
    call: str,
    body: Any,
    setup: Setup,
    status: int,
    error_code: str,
) -> None:
    setup(registered_patient)
    registered_patient.refresh_from_db()
    if body is None:  # the age cases: the body carries the patient's actual date of birth
        body = create_body(dateOfBirth=registered_patient.date_of_birth.isoformat())
    token = nhs_login_api.token()
    before = AuditEvent.objects.count()

    response = getattr(nhs_login_api, call)(body, token=token)

    assert _error(response) == (status, error_code)
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.first().outcome == error_code  # type: ignore[union-attr]
    message = response.json()["errorMessage"]
    assert message
    for secret in (NHS_NUMBER, "9990000026", token, "Kp3nV8cT2wJsBqR"):
        assert secret not in message
        assert all(secret not in record.getMessage() for record in caplog.records)


def test_sixteenth_birthday_today_is_old_enough(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    _age(16)(registered_patient)
    registered_patient.refresh_from_db()

    response = nhs_login_api.create(
        create_body(dateOfBirth=registered_patient.date_of_birth.isoformat())
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("header", "status"),
    [
        pytest.param(None, 401, id="no-token"),
        pytest.param("Bearer not-a-token", 401, id="unknown-token"),
        pytest.param("Basic dXNlcjpwYXNz", 401, id="basic-auth"),
    ],
)
def test_requests_without_a_valid_token_are_unauthorized(
    nhs_login_api: ApiCaller, practice: Practice, header: str | None, status: int
) -> None:
    headers = {"Authorization": header} if header else {}
    # An address of its own: refusals without a token are counted per address and minute
    # (linkage/audit.py), so another test's count must not be this one's.
    address = f"198.18.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"

    response = nhs_login_api.http.post(
        "/api/v1/linkage/retrieve",
        json.dumps(retrieve_body()),
        content_type="application/json",
        headers=headers,
        REMOTE_ADDR=address,
    )

    assert _error(response) == (status, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")
    audited = AuditEvent.objects.get()
    assert (audited.outcome, audited.actor) == (
        "UNAUTHORIZED",
        f"unauthenticated {address} (1 this minute)",
    )


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param("Bearer {token}", id="as-usual"),
        pytest.param("bearer {token}", id="scheme-in-lower-case"),
        pytest.param("Bearer  {token}", id="two-spaces-as-rfc-6750-allows"),
    ],
)
def test_a_bearer_token_is_taken_as_rfc_6750_writes_it(
    nhs_login_api: ApiCaller, practice: Practice, authorization: str
) -> None:
    token = nhs_login_api.token()

    response = nhs_login_api.http.post(
        "/api/v1/linkage/retrieve",
        json.dumps(retrieve_body()),
        content_type="application/json",
        headers={"Authorization": authorization.format(token=token)},
    )

    assert _error(response) == (404, "PATIENT_NOT_FOUND")


@pytest.mark.parametrize("scheme", ["Basic", "Token", "MAC", ""])
def test_a_valid_token_under_another_scheme_is_unauthorized(
    nhs_login_api: ApiCaller, practice: Practice, scheme: str
) -> None:
    token = nhs_login_api.token()

    response = nhs_login_api.http.post(
        "/api/v1/linkage/retrieve",
        json.dumps(retrieve_body()),
        content_type="application/json",
        headers={"Authorization": f"{scheme} {token}"},
    )

    assert _error(response) == (401, "UNAUTHORIZED")


def test_token_stops_working_when_its_lifetime_is_over(
    nhs_login_api: ApiCaller, practice: Practice
) -> None:
    """Tokens live in the cache for LINKAGE_API_TOKEN_SECONDS (five minutes by default); the
    cache's own clock ends them, so the test shortens the lifetime rather than travel in time."""
    long_lived = nhs_login_api.token()
    with override_settings(LINKAGE_API_TOKEN_SECONDS=1):
        short_lived = nhs_login_api.token()
    time.sleep(1.1)

    assert nhs_login_api.retrieve(retrieve_body(), token=long_lived).status_code == 404
    assert _error(nhs_login_api.retrieve(retrieve_body(), token=short_lived)) == (
        401,
        "UNAUTHORIZED",
    )


def _disable_by_update(client: ApiClient) -> None:
    ApiClient.objects.filter(pk=client.pk).update(enabled=False)


def _disable_by_save(client: ApiClient) -> None:
    client.enabled = False
    client.save()


def _disable_by_delete(client: ApiClient) -> None:
    client.delete()


@pytest.mark.parametrize(
    "disable",
    [
        pytest.param(_disable_by_update, id="queryset-update-as-the-admin-action-does"),
        pytest.param(_disable_by_save, id="saved-disabled-as-the-admin-form-does"),
        pytest.param(_disable_by_delete, id="deleted"),
    ],
)
def test_disabled_client_is_refused_at_once(
    nhs_login_api: ApiCaller, practice: Practice, disable: Callable[[ApiClient], None]
) -> None:
    token = nhs_login_api.token()
    # A call first, so that the client's enabled state is cached (linkage.api_clients.state).
    assert _error(nhs_login_api.retrieve(retrieve_body(), token=token))[1] != "UNAUTHORIZED"

    disable(nhs_login_api.client)

    assert _error(nhs_login_api.retrieve(retrieve_body(), token=token)) == (401, "UNAUTHORIZED")
    assert nhs_login_api.token_response().status_code == 401


def test_read_only_client_cannot_create(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    reader = api_client_for("linkage:read")

    assert _error(reader.create(create_body())) == (403, "FORBIDDEN")
    assert not LinkageKey.objects.exists()
    assert AuditEvent.objects.get().outcome == "FORBIDDEN"


def test_create_only_client_cannot_retrieve(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    assert _error(api_client_for("linkage:create").retrieve(retrieve_body())) == (403, "FORBIDDEN")


def test_rate_limit_per_client_gives_429_with_retry_after(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    busy, other = api_client_for(name="busy"), api_client_for(name="other")
    busy_token, other_token = busy.token(), other.token()

    with override_settings(LINKAGE_API_RATE_LIMIT_PER_MINUTE=2):
        responses = [busy.retrieve(retrieve_body(), token=busy_token) for _ in range(3)]
        other_response = other.retrieve(retrieve_body(), token=other_token)

    assert [r.status_code for r in responses[:2]] == [404, 404]
    assert _error(responses[2]) == (429, "RATE_LIMITED")
    assert 1 <= int(responses[2]["Retry-After"]) <= 60
    assert other_response.status_code == 404  # each client has its own budget


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
)
def test_cache_unreachable_fails_closed(nhs_login_api: ApiCaller, practice: Practice) -> None:
    response = nhs_login_api.retrieve(retrieve_body(), token="any-token")

    assert _error(response) == (503, "SERVICE_UNAVAILABLE")
    assert nhs_login_api.token_response().status_code == 503


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("text/plain", json.dumps(retrieve_body()), id="text-plain"),
        pytest.param(
            "application/x-www-form-urlencoded",
            "nhsNumber=9990000018&odsCode=A12345",
            id="form-encoded",
        ),
    ],
)
def test_wrong_content_type_is_an_invalid_request(
    nhs_login_api: ApiCaller, practice: Practice, content_type: str, body: str
) -> None:
    response = nhs_login_api.retrieve(body, content_type=content_type)

    assert _error(response) == (400, "INVALID_REQUEST")
    assert "Content-Type" in response.json()["errorMessage"]


def test_huge_body_is_refused_with_413(nhs_login_api: ApiCaller, practice: Practice) -> None:
    response = nhs_login_api.retrieve({**retrieve_body(), "surname": "x" * 20000})

    assert _error(response) == (413, "INVALID_REQUEST")


def test_error_messages_name_the_field(nhs_login_api: ApiCaller, practice: Practice) -> None:
    message = nhs_login_api.retrieve({**retrieve_body(), "colour": "blue"}).json()["errorMessage"]

    assert message == "Unknown fields: colour"


def test_request_id_is_echoed_and_audited(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    response = nhs_login_api.retrieve(retrieve_body(), **{"X-Request-ID": "req-123"})

    assert response["X-Request-ID"] == "req-123"
    assert AuditEvent.objects.get().request_id == "req-123"


def test_get_is_not_allowed(nhs_login_api: ApiCaller) -> None:
    assert nhs_login_api.http.get("/api/v1/linkage/retrieve").status_code == 405


# --- Idempotency-Key ----------------------------------------------------------------------


def test_retried_create_with_the_same_idempotency_key_gets_the_first_reply(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    token = nhs_login_api.token()
    first = nhs_login_api.create(create_body(), token=token, **{"Idempotency-Key": "try-1"})
    again = nhs_login_api.create(create_body(), token=token, **{"Idempotency-Key": "try-1"})
    without = nhs_login_api.create(create_body(), token=token)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert _error(without) == (409, "LINKAGE_KEY_EXISTS")
    assert LinkageKey.objects.count() == 1
    assert AuditEvent.objects.count() == 3


def test_idempotency_key_reused_with_another_body_is_refused(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    nhs_login_api.create(create_body(), **{"Idempotency-Key": "try-2"})

    response = nhs_login_api.create(
        create_body(surname="OBRIEN-SMITH"), **{"Idempotency-Key": "try-2"}
    )

    assert _error(response) == (400, "INVALID_REQUEST")


# --- Token endpoint -----------------------------------------------------------------------


def test_token_endpoint_gives_a_five_minute_bearer_token_for_the_clients_scopes(
    api_client_for: Callable[..., ApiCaller],
) -> None:
    response = api_client_for("linkage:read").token_response()

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json()["token_type"] == "Bearer"
    assert response.json()["expires_in"] == 300
    assert response.json()["scope"] == "linkage:read"
    # 32 random bytes, url-safe (RFC 6750's b64token): 256 bits no one can guess.
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", response.json()["access_token"])


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param(
            {"aud": "https://elsewhere.example/token"}, "invalid_client", id="wrong-audience"
        ),
        pytest.param({"exp": 1}, "invalid_client", id="expired"),
        pytest.param({"exp": 4102444800}, "invalid_client", id="lives-too-long"),
        pytest.param({"jti": None}, "invalid_client", id="no-jti"),
        pytest.param({"sub": "someone-else"}, "invalid_client", id="sub-differs"),
        pytest.param(
            {"iss": "unknown-client", "sub": "unknown-client"},
            "invalid_client",
            id="unknown-client",
        ),
    ],
)
def test_token_endpoint_refuses_bad_assertions(
    nhs_login_api: ApiCaller, overrides: dict[str, Any], error: str
) -> None:
    response = nhs_login_api.token_response(**overrides)

    assert _oauth_error(response) == (401, error)


def test_token_endpoint_refuses_an_assertion_signed_by_another_key(
    nhs_login_api: ApiCaller,
) -> None:
    response = nhs_login_api.http.post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion_for(
                nhs_login_api.client.client_id, private_key_generate()
            ),
        },
    )

    assert _oauth_error(response) == (401, "invalid_client")


def test_token_endpoint_refuses_a_replayed_assertion(nhs_login_api: ApiCaller) -> None:
    assertion = assertion_for(nhs_login_api.client.client_id, nhs_login_api.private_key)
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    }

    first = nhs_login_api.http.post("/api/oauth2/token", form)
    replay = nhs_login_api.http.post("/api/oauth2/token", form)

    assert first.status_code == 200
    assert _oauth_error(replay) == (401, "invalid_client")
    assert "jti has been used before" in replay.json()["error_description"]


def test_an_assertion_is_remembered_for_as_long_as_it_could_be_replayed(
    nhs_login_api: ApiCaller,
) -> None:
    """The longest-lived assertion the endpoint takes (exp 300 s ahead) is still accepted 30 s
    after its exp (the leeway): its jti must be remembered until then. The clock stands still
    at each step, and the memory cache's expiry reads the same clock."""
    now = int(time.time())
    form = _token_form(
        nhs_login_api,
        client_assertion=assertion_for(
            nhs_login_api.client.client_id, nhs_login_api.private_key, iat=now, exp=now + 300
        ),
    )
    with time_machine.travel(now, tick=False):
        first = nhs_login_api.http.post("/api/oauth2/token", form)
    with time_machine.travel(now + 329, tick=False):
        replay = nhs_login_api.http.post("/api/oauth2/token", form)

    assert first.status_code == 200
    assert _oauth_error(replay) == (401, "invalid_client")


def test_token_endpoint_takes_the_rfc_7523_assertion_type_written_out(
    nhs_login_api: ApiCaller,
) -> None:
    response = nhs_login_api.http.post("/api/oauth2/token", _token_form(nhs_login_api))

    assert response.status_code == 200, response.content


def test_token_endpoint_names_every_scope_of_the_client_separated_by_spaces(
    api_client_for: Callable[..., ApiCaller],
) -> None:
    response = api_client_for("linkage:read", "linkage:create").token_response()

    assert response.json()["scope"] == "linkage:create linkage:read"


def test_token_endpoint_refuses_a_client_whose_registered_key_is_not_rsa(
    nhs_login_api: ApiCaller,
) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ApiClient.objects.filter(pk=nhs_login_api.client.pk).update(
        public_key_pem=ec_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    response = nhs_login_api.token_response()

    assert _oauth_error(response) == (401, "invalid_client")
    assert "not an RSA key" in response.json()["error_description"]


@pytest.mark.parametrize(
    ("form", "error"),
    [
        pytest.param({"grant_type": "password"}, "unsupported_grant_type", id="password-grant"),
        pytest.param(
            {"client_assertion_type": "urn:other"}, "invalid_request", id="assertion-type"
        ),
        pytest.param({"client_assertion": ""}, "invalid_request", id="no-assertion"),
    ],
)
def test_token_endpoint_refuses_malformed_requests(
    nhs_login_api: ApiCaller, form: dict[str, str], error: str
) -> None:
    response = nhs_login_api.http.post("/api/oauth2/token", _token_form(nhs_login_api, **form))

    assert _oauth_error(response) == (400, error)


def test_token_endpoint_refuses_a_request_without_an_assertion(
    nhs_login_api: ApiCaller,
) -> None:
    form = _token_form(nhs_login_api)
    del form["client_assertion"]

    response = nhs_login_api.http.post("/api/oauth2/token", form)

    assert _oauth_error(response) == (400, "invalid_request")


# --- Concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: real concurrency")
def test_two_hundred_concurrent_creates_leave_one_active_key(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    token = nhs_login_api.token()

    def create(attempt: int) -> tuple[int, str]:
        try:
            headers = {"Idempotency-Key": "same-retry"} if attempt % 2 else {}
            response = nhs_login_api.create(create_body(), token=token, **headers)
            return response.status_code, json.dumps(response.json())
        finally:
            connection.close()

    with (
        override_settings(LINKAGE_API_RATE_LIMIT_PER_MINUTE=10_000),
        ThreadPoolExecutor(32) as pool,
    ):
        results = list(pool.map(create, range(200)))

    created = [body for status, body in results if status == 201]
    assert LinkageKey.objects.filter(status="active").count() == 1
    assert {status for status, _ in results} <= {201, 409}
    assert len(set(created)) == 1  # every 201 is the same reply: the winner's
    assert AuditEvent.objects.filter(action="create").count() == 200
    information = linkage_key_retrieve(
        actor=Actor(ActorType.SYSTEM, "test"), nhs_number=NHS_NUMBER, ods_code=ODS_CODE
    )
    assert json.loads(created[0])["linkageKey"] == information.linkage_key


def test_a_clients_registered_key_is_parsed_once_not_at_every_token_request(
    nhs_login_api: ApiCaller,
) -> None:
    registered_public_key.cache_clear()

    for _ in range(3):
        assert nhs_login_api.token_response().status_code == 200

    assert registered_public_key.cache_info().misses == 1
    assert registered_public_key.cache_info().hits == 2


@pytest.mark.parametrize(
    ("path", "content_type", "status"),
    [
        pytest.param("/api/v1/openapi.json", "application/json", 503, id="under-the-api"),
        pytest.param("/home/", "text/html; charset=utf-8", 503, id="a-page"),
    ],
)
def test_a_database_failure_no_endpoint_handled_answers_in_the_interface_s_own_form(
    rf: Any, path: str, content_type: str, status: int
) -> None:
    """The API's endpoints answer their own database failures; anything that escapes them
    still reaches an API client as the contract's 503 body, never the patient's page."""
    request = rf.get(path)
    try:
        raise OperationalError("the database went away")
    except OperationalError:
        response = server_error(request)

    assert (response.status_code, response["Content-Type"]) == (status, content_type)
    if content_type == "application/json":
        assert json.loads(response.content) == {
            "errorCode": "SERVICE_UNAVAILABLE",
            "errorMessage": "The service is unavailable: try again later",
        }
    else:
        assert b"Sorry, the service is unavailable" in response.content
