"""The linkage API under abuse, beyond linkage/tests/test_api.py's error table: every field with
every wrong JSON type, bodies too big for Django itself, hostile text, and scope escalation.
Every refusal is the contract's JSON error, never a 500 and never an HTML page."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from linkage.api import CREATE_FIELDS, RETRIEVE_FIELDS
from linkage.models import ApiClient, AuditEvent, LinkageKey, RegisteredPatient
from linkage.tests.conftest import NHS_NUMBER, ApiCaller, create_body, retrieve_body
from linkage.tests.factories import LinkageKeyFactory

pytestmark = pytest.mark.django_db

WRONG_TYPES = {
    "integer": 9990000018,
    "float": 1.5,
    "true": True,
    "null": None,
    "list": ["9990000018"],
    "object": {"value": "9990000018"},
}


def _error(response: Any) -> tuple[int, str]:
    assert response["Content-Type"] == "application/json", response.content[:200]
    return response.status_code, response.json()["errorCode"]


@pytest.mark.parametrize(
    ("call", "field", "value"),
    [
        pytest.param(call, field.name, value, id=f"{call}-{field.name}-{kind}")
        for call, fields in (("retrieve", RETRIEVE_FIELDS), ("create", CREATE_FIELDS))
        for field in fields
        for kind, value in WRONG_TYPES.items()
    ],
)
def test_every_field_with_a_wrong_json_type_is_an_invalid_request_naming_it(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    call: str,
    field: str,
    value: Any,
) -> None:
    body = {**(create_body() if call == "create" else retrieve_body()), field: value}

    response = getattr(nhs_login_api, call)(body)

    assert _error(response) == (400, "INVALID_REQUEST")
    assert field in response.json()["errorMessage"]
    assert not LinkageKey.objects.exists()


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(16 * 1024 + 1, id="just-over-16-KB"),
        pytest.param(3 * 1024 * 1024, id="3-MB-over-djangos-own-limit"),
    ],
)
def test_a_body_too_big_is_413_in_the_contracts_json(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, size: int
) -> None:
    padding = "x" * (size - len(json.dumps(create_body(emailAddress=""))))
    body = json.dumps(create_body(emailAddress=padding))
    assert len(body) == size

    response = nhs_login_api.create(body)

    assert _error(response) == (413, "INVALID_REQUEST")
    assert not LinkageKey.objects.exists()
    assert AuditEvent.objects.get().outcome == "INVALID_REQUEST"


HOSTILE_SURNAMES = [
    pytest.param("' OR '1'='1", id="sql-tautology"),
    pytest.param("O'Brien-Smith'; DROP TABLE linkage_linkagekey; --", id="sql-drop-table"),
    pytest.param(
        "O'Brien-Smith\" UNION SELECT encrypted_key FROM linkage_linkagekey --", id="sql-union"
    ),
    pytest.param("%", id="sql-like-wildcard"),
    pytest.param("O\u2019Brien\u202eSmith", id="right-to-left-override"),
    pytest.param("O'Brien\u200bSmith", id="zero-width-space"),
    pytest.param("\U0001f600", id="emoji"),
    pytest.param("\ud800", id="lone-surrogate"),
    pytest.param("\u0000", id="nul"),
    pytest.param("Smith\r\nX-Injected: 1", id="crlf"),
    pytest.param("\x7f", id="delete-character"),
]


@pytest.mark.parametrize("surname", HOSTILE_SURNAMES)
def test_hostile_text_never_matches_a_patient_or_breaks_the_api(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, surname: str
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    response = nhs_login_api.retrieve(retrieve_body(surname=surname))

    assert _error(response) in {(400, "INVALID_REQUEST"), (404, "PATIENT_NOT_FOUND")}
    assert "linkageKey" not in response.json()
    assert LinkageKey.objects.filter(status="active").count() == 1  # the table is still there


@pytest.mark.parametrize(
    ("nhs_number", "error_code"),
    [
        pytest.param("' OR 1=1 --", "INVALID_NHS_NUMBER", id="sql-in-nhs-number"),
        pytest.param("9990000018' --", "INVALID_NHS_NUMBER", id="sql-after-valid-number"),
        pytest.param(
            "".join(chr(0x0660 + int(d)) for d in NHS_NUMBER),
            "INVALID_NHS_NUMBER",
            id="arabic-indic-digits",
        ),
        pytest.param("9990000010", "INVALID_NHS_NUMBER", id="check-digit-would-be-10"),
        pytest.param("999000001\uff18", "INVALID_NHS_NUMBER", id="one-full-width-digit"),
    ],
)
def test_nhs_numbers_that_are_not_ascii_digits_with_a_valid_check_digit_are_refused(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    nhs_number: str,
    error_code: str,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    response = nhs_login_api.retrieve(retrieve_body(nhsNumber=nhs_number))

    assert _error(response) == (400, error_code)


@pytest.mark.parametrize(
    "date_of_birth",
    [
        pytest.param("2023-02-30", id="30-february"),
        pytest.param("2023-02-29", id="29-february-not-a-leap-year"),
        pytest.param("1985-13-05", id="month-13"),
        pytest.param("1985-3-5", id="no-leading-zeros"),
        pytest.param("19850305", id="no-hyphens"),
        pytest.param("1985-03-05T00:00:00", id="a-datetime"),
        pytest.param("0000-01-01", id="year-zero"),
        pytest.param("\uff11985-03-05", id="full-width-digit"),
    ],
)
def test_dates_that_are_not_real_iso_dates_are_refused(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, date_of_birth: str
) -> None:
    response = nhs_login_api.create(create_body(dateOfBirth=date_of_birth))

    assert _error(response) == (400, "INVALID_DATE_OF_BIRTH")
    assert not LinkageKey.objects.exists()


# --- Scope escalation ---------------------------------------------------------------------


def test_asking_the_token_endpoint_for_more_scope_gives_only_the_registered_scope(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    reader = api_client_for("linkage:read")
    from core.client_assertion import JWT_BEARER
    from linkage.tests.conftest import assertion_for

    response = reader.http.post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion_for(reader.client.client_id, reader.private_key),
            "scope": "linkage:read linkage:create",
        },
    )
    token = response.json()["access_token"]

    assert response.json()["scope"] == "linkage:read"
    assert _error(reader.create(create_body(), token=token)) == (403, "FORBIDDEN")
    assert not LinkageKey.objects.exists()


def test_a_scope_claim_in_the_assertion_grants_nothing(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    reader = api_client_for("linkage:read")

    response = reader.token_response(scope="linkage:create", scopes=["linkage:create"])

    assert response.json()["scope"] == "linkage:read"
    token = response.json()["access_token"]
    assert _error(reader.create(create_body(), token=token)) == (403, "FORBIDDEN")


def test_a_scope_withdrawn_from_a_client_stops_working_at_once(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    """Like disabling a client: a token issued before the change must not outlive it."""
    token = nhs_login_api.token()
    ApiClient.objects.update(scopes=["linkage:read"])

    response = nhs_login_api.create(create_body(), token=token)

    assert _error(response) == (403, "FORBIDDEN")
    assert not LinkageKey.objects.exists()
    assert nhs_login_api.retrieve(retrieve_body(), token=token).status_code == 404


def test_a_token_is_bound_to_its_client_not_to_a_client_id_the_caller_names(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    reader = api_client_for("linkage:read", name="reader")
    api_client_for("linkage:read", "linkage:create", name="creator")
    token = reader.token()

    response = reader.create(create_body(), token=token, **{"X-Client-ID": "creator"})

    assert _error(response) == (403, "FORBIDDEN")
    assert AuditEvent.objects.get().actor == reader.client.client_id
