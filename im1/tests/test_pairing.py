"""POST /api/im1/v1/pairings over HTTP with real signed client assertions: a partner pairs with
the details NHS login gave it, and every wrong detail is refused alike."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection as database

from im1.models import Connection, PairingGuard
from im1.tests.conftest import (
    LINKAGE_KEY,
    PAIRINGS,
    Im1Partner,
    fresh_address,
    random_account_id,
)
from linkage.audit import Actor, ActorType
from linkage.crypto import linkage_key_encrypt
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import linkage_key_revoke
from linkage.tests.conftest import NHS_NUMBER, ODS_CODE
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail

pytestmark = pytest.mark.django_db

Body = Callable[..., dict[str, str]]
STAFF = Actor(ActorType.STAFF, "reception-a12345")


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["errorCode"]


def test_a_partner_pairs_with_the_details_nhs_login_gave_it(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    response = partner.pair(pairing_body())

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"connectionToken", "accountId", "odsCode"}
    assert body["accountId"] == linkage_key.account_id
    assert body["odsCode"] == ODS_CODE
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", body["connectionToken"])
    assert response["X-Request-ID"]
    assert "no-store" in response["Cache-Control"]
    connection = Connection.objects.get()
    assert connection.partner == partner.caller.client
    assert connection.patient == linkage_key.patient
    assert connection.linkage_key == linkage_key
    assert connection.ended_at is None
    assert connection.last_used_at is None


def test_the_connection_token_is_kept_only_as_its_sha256(
    partner: Im1Partner, pairing_body: Body
) -> None:
    connection_token = partner.connect(pairing_body())

    connection = Connection.objects.get()
    assert connection.token_hash == hashlib.sha256(connection_token.encode()).hexdigest()
    with database.cursor() as cursor:
        cursor.execute("SELECT * FROM im1_connection")
        row = cursor.fetchone()
    assert not any(connection_token in str(column) for column in row)


def test_each_pairing_gets_a_token_of_its_own(partner: Im1Partner, pairing_body: Body) -> None:
    tokens = {partner.connect(pairing_body()) for _ in range(3)}

    assert len(tokens) == 3
    assert Connection.objects.count() == 3


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"surname": "obrien smith"}, id="surname-case-spaces-apostrophe"),
        pytest.param({"surname": "O\u2019BRIEN-SMITH"}, id="surname-curly-apostrophe"),
        pytest.param({"odsCode": ODS_CODE.lower()}, id="ods-code-lower-case"),
        pytest.param({"accountId": " {account_id} "}, id="account-id-with-spaces"),
    ],
)
def test_the_details_are_matched_as_the_linkage_services_match_them(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey, changes: dict[str, str]
) -> None:
    changes = {
        name: value.format(account_id=linkage_key.account_id) for name, value in changes.items()
    }

    response = partner.pair(pairing_body(**changes))

    assert response.status_code == 201, response.content


def _other_practice_with_the_same_account(linkage_key: LinkageKey) -> dict[str, str]:
    other = PracticeFactory.create(ods_code="B23456")
    LinkageKeyFactory.create(
        patient=RegisteredPatientFactory.create(practice=other),
        account_id=random_account_id(),
        encrypted_key=linkage_key_encrypt("Zr8bN4kLq2WsT6y"),
    )
    return {"odsCode": "B23456"}


def _revoked(linkage_key: LinkageKey) -> dict[str, str]:
    linkage_key_revoke(actor=STAFF, linkage_key=linkage_key, reason="Patient asked")
    return {}


WRONG_DETAILS: dict[str, Callable[[LinkageKey], dict[str, str]]] = {
    "wrong-key": lambda key: {"linkageKey": "Hq4vT7mWz9KpR3t"},
    "key-in-another-case": lambda key: {"linkageKey": LINKAGE_KEY.lower()},
    "key-with-a-character-more": lambda key: {"linkageKey": LINKAGE_KEY + "a"},
    "unknown-account": lambda key: {"accountId": random_account_id()},
    "account-at-another-practice": _other_practice_with_the_same_account,
    "unknown-practice": lambda key: {"odsCode": "Z99999"},
    "wrong-surname": lambda key: {"surname": "Smith"},
    "wrong-date-of-birth": lambda key: {"dateOfBirth": "1985-03-06"},
    "revoked-key": _revoked,
}


@pytest.mark.parametrize("wrong", list(WRONG_DETAILS))
def test_every_wrong_detail_gets_the_same_refusal(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey, wrong: str
) -> None:
    response = partner.pair(pairing_body(**WRONG_DETAILS[wrong](linkage_key)))

    assert response.status_code == 403
    assert response.json() == {
        "errorCode": "PAIRING_FAILED",
        "errorMessage": "The details given do not match an account that can be paired",
    }
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "error_code"),
    [
        pytest.param({"accountId": "51000x0001"}, "INVALID_REQUEST", id="account-id-not-digits"),
        pytest.param({"accountId": "1" * 21}, "INVALID_REQUEST", id="account-id-too-long"),
        pytest.param({"linkageKey": "k" * 65}, "INVALID_REQUEST", id="key-too-long"),
        pytest.param({"odsCode": "A1234"}, "INVALID_ODS_CODE", id="ods-code-too-short"),
        pytest.param({"dateOfBirth": "05/03/1985"}, "INVALID_DATE_OF_BIRTH", id="date-written"),
        pytest.param({"dateOfBirth": "2999-01-01"}, "INVALID_DATE_OF_BIRTH", id="date-future"),
        pytest.param({"surname": " "}, "INVALID_REQUEST", id="surname-blank"),
        pytest.param({"nhsNumber": NHS_NUMBER}, "INVALID_REQUEST", id="unknown-field"),
    ],
)
def test_a_malformed_request_is_refused_and_counts_as_no_failure(
    partner: Im1Partner, pairing_body: Body, changes: dict[str, str], error_code: str
) -> None:
    response = partner.pair(pairing_body(**changes))

    assert _error(response) == (400, error_code)
    assert not PairingGuard.objects.exists()
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param(json.dumps({"accountId": 5100000001}), id="number-not-string"),
    ],
)
def test_a_body_that_is_not_the_pairing_object_is_an_invalid_request(
    partner: Im1Partner, raw: str
) -> None:
    assert _error(partner.pair(raw)) == (400, "INVALID_REQUEST")


def test_a_body_over_16_kb_is_refused_as_too_large(partner: Im1Partner, pairing_body: Body) -> None:
    assert _error(partner.pair(pairing_body(surname="x" * 17_000))) == (413, "INVALID_REQUEST")


def test_a_client_without_the_im1_pair_scope_cannot_pair(
    partner_for: Callable[..., Im1Partner], pairing_body: Body
) -> None:
    nhs_login = partner_for("linkage:read", "linkage:create", name="NHS login")

    response = nhs_login.pair(pairing_body())

    assert _error(response) == (403, "FORBIDDEN")
    assert not Connection.objects.exists()


def test_a_partner_cannot_read_or_create_linkage_keys(
    partner: Im1Partner, registered_patient: RegisteredPatient, linkage_key: LinkageKey
) -> None:
    body = {
        "nhsNumber": NHS_NUMBER,
        "odsCode": ODS_CODE,
        "surname": registered_patient.surname,
        "dateOfBirth": "1985-03-05",
    }

    retrieved = partner.caller.retrieve(body, token=partner.token())
    created = partner.caller.create(body, token=partner.token())

    assert _error(retrieved) == (403, "FORBIDDEN")
    assert _error(created) == (403, "FORBIDDEN")


def test_without_a_valid_bearer_token_nothing_is_paired(
    partner: Im1Partner, pairing_body: Body
) -> None:
    response = partner.pair(pairing_body(), token="not-a-token-we-issued")

    assert _error(response) == (401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Connection.objects.exists()


def test_a_partner_not_bound_to_the_practice_is_forbidden_and_counts_as_no_failure(
    partner_for: Callable[..., Im1Partner], pairing_body: Body
) -> None:
    PracticeFactory.create(ods_code="B23456")
    bound_elsewhere = partner_for(ods_codes=("B23456",))

    response = bound_elsewhere.pair(pairing_body())

    assert _error(response) == (403, "FORBIDDEN")
    assert response.json()["errorMessage"] == "This client is not bound to that practice"
    assert not PairingGuard.objects.exists()


def test_a_practice_without_online_services_is_said_only_to_a_partner_with_every_detail(
    partner: Im1Partner, pairing_body: Body, practice: Practice
) -> None:
    Practice.objects.filter(pk=practice.pk).update(online_services_live=False)

    right = partner.pair(pairing_body())
    wrong = partner.pair(pairing_body(linkageKey="Hq4vT7mWz9KpR3t"))

    assert _error(right) == (403, "PRACTICE_NOT_LIVE")
    assert _error(wrong) == (403, "PAIRING_FAILED")
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"deceased": True}, id="deceased"),
        pytest.param(
            {"registration_status": "ended", "registration_ended_on": datetime.date(2026, 1, 5)},
            id="registration-ended",
        ),
    ],
)
def test_a_patient_no_longer_eligible_is_said_only_to_a_partner_with_every_detail(
    partner: Im1Partner,
    pairing_body: Body,
    registered_patient: RegisteredPatient,
    change: dict[str, Any],
) -> None:
    RegisteredPatient.objects.filter(pk=registered_patient.pk).update(**change)

    right = partner.pair(pairing_body())
    wrong = partner.pair(pairing_body(surname="Smith"))

    assert _error(right) == (403, "PATIENT_NOT_ELIGIBLE")
    assert _error(wrong) == (403, "PAIRING_FAILED")
    assert not Connection.objects.exists()


def test_only_post_pairs(partner: Im1Partner) -> None:
    response = partner.caller.http.get(
        PAIRINGS, headers={"Authorization": f"Bearer {partner.token()}"}
    )

    assert response.status_code == 405


# --- The audit -------------------------------------------------------------------------------


def _events() -> list[tuple[str, str, str, str, str]]:
    return list(
        AuditEvent.objects.order_by("pk").values_list(
            "actor_type", "actor", "action", "outcome", "nhs_number"
        )
    )


def test_every_attempt_is_audited_naming_the_patient_whose_account_was_tried(
    partner: Im1Partner, pairing_body: Body
) -> None:
    partner.pair(pairing_body())
    partner.pair(pairing_body(linkageKey="Hq4vT7mWz9KpR3t"))
    partner.pair(pairing_body(accountId=random_account_id()))
    partner.pair(pairing_body(odsCode="A1234"))

    client_id = partner.client_id
    assert _events() == [
        ("api_client", client_id, "im1_pair", "SUCCESS", NHS_NUMBER),
        ("api_client", client_id, "im1_pair", "PAIRING_FAILED", NHS_NUMBER),
        ("api_client", client_id, "im1_pair", "PAIRING_FAILED", ""),
        ("api_client", client_id, "im1_pair", "INVALID_ODS_CODE", ""),
    ]
    assert set(AuditEvent.objects.values_list("ods_code", flat=True)) == {ODS_CODE, ""}
    assert all(event.request_id for event in AuditEvent.objects.all())


def test_neither_the_key_nor_the_token_is_in_the_audit(
    partner: Im1Partner, pairing_body: Body
) -> None:
    connection_token = partner.connect(pairing_body())
    partner.patient(connection_token)

    with database.cursor() as cursor:
        cursor.execute("SELECT * FROM linkage_auditevent")
        rows = cursor.fetchall()
    assert len(rows) == 2
    assert not any(
        LINKAGE_KEY in str(column) or connection_token in str(column)
        for row in rows
        for column in row
    )


@pytest.mark.django_db(transaction=True)
def test_a_pairing_whose_audit_cannot_be_written_makes_no_connection(
    partner: Im1Partner, pairing_body: Body
) -> None:
    with audit_writes_fail() as refused:
        response = partner.pair(pairing_body())

    assert refused
    assert _error(response) == (503, "SERVICE_UNAVAILABLE")
    assert not Connection.objects.exists()


def test_a_refusal_before_the_token_is_known_is_audited_for_the_address(
    partner: Im1Partner, pairing_body: Body
) -> None:
    address = fresh_address()

    partner.pair(pairing_body(), token="not-a-token-we-issued", remote_addr=address)

    (event,) = AuditEvent.objects.all()
    assert event.action == "im1_pair"
    assert event.outcome == "UNAUTHORIZED"
    assert event.actor == f"unauthenticated {address} (1 this minute)"
