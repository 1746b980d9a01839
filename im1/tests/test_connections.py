"""GET /api/im1/v1/patient over a connection, and the connection's life: valid while nobody
ended it and its key is active; revoking or reissuing the key, the patient or staff end it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from im1.models import Connection
from im1.services import (
    KEY_REVOKED_REASON,
    im1_connection_end,
    im1_connection_of,
    im1_connections_of,
)
from im1.tests.conftest import PATIENT, Im1Partner
from linkage.audit import Actor, ActorType
from linkage.errors import LinkageError
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import linkage_key_reissue, linkage_key_revoke
from linkage.tests.conftest import NHS_NUMBER, ODS_CODE, SURNAME
from linkage.tests.factories import RegisteredPatientFactory

pytestmark = pytest.mark.django_db

Body = Callable[..., dict[str, str]]
STAFF = Actor(ActorType.STAFF, "reception-a12345")


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["errorCode"]


@pytest.fixture
def connection_token(partner: Im1Partner, pairing_body: Body) -> str:
    return partner.connect(pairing_body())


def test_a_partner_reads_the_patient_s_demographics_over_its_connection(
    partner: Im1Partner, connection_token: str
) -> None:
    before = timezone.now()

    response = partner.patient(connection_token)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "nhsNumber": NHS_NUMBER,
        "givenName": "Ava",
        "surname": SURNAME,
        "dateOfBirth": "1985-03-05",
        "odsCode": ODS_CODE,
        "practiceName": "Demo Surgery",
    }
    assert response["X-Request-ID"]
    assert "no-store" in response["Cache-Control"]
    last_used_at = Connection.objects.get().last_used_at
    assert last_used_at is not None
    assert last_used_at >= before


def test_the_demographics_are_the_register_s_as_it_is_now(
    partner: Im1Partner, connection_token: str, registered_patient: RegisteredPatient
) -> None:
    RegisteredPatient.objects.filter(pk=registered_patient.pk).update(surname="Brien")

    assert partner.patient(connection_token).json()["surname"] == "Brien"


@pytest.mark.parametrize(
    "presented",
    [
        pytest.param("x" * 43, id="unknown-token"),
        pytest.param("{token}x", id="token-with-a-character-more"),
        pytest.param("{token_upper}", id="token-in-another-case"),
    ],
)
def test_a_token_that_is_not_the_connection_s_is_refused(
    partner: Im1Partner, connection_token: str, presented: str
) -> None:
    token = presented.format(token=connection_token, token_upper=connection_token.upper())

    response = partner.patient(token)

    assert _error(response) == (403, "CONNECTION_NOT_VALID")
    assert Connection.objects.get().last_used_at is None


@pytest.mark.parametrize(
    ("presented", "message"),
    [
        pytest.param(None, "The IM1-Connection-Token header is required", id="no-header"),
        pytest.param(" ", "The IM1-Connection-Token header is required", id="blank"),
        pytest.param("t" * 256, "The IM1-Connection-Token header is too long", id="too-long"),
    ],
)
def test_a_missing_or_oversized_connection_token_is_an_invalid_request(
    partner: Im1Partner, presented: str | None, message: str
) -> None:
    response = partner.patient(presented)

    assert _error(response) == (400, "INVALID_REQUEST")
    assert response.json()["errorMessage"] == message


def test_another_partner_s_connection_token_is_refused(
    other_partner: Im1Partner, connection_token: str
) -> None:
    response = other_partner.patient(connection_token)

    assert _error(response) == (403, "CONNECTION_NOT_VALID")
    assert Connection.objects.get().last_used_at is None


def test_without_the_partner_s_bearer_token_nothing_is_read(
    partner: Im1Partner, connection_token: str
) -> None:
    response = partner.patient(connection_token, token="not-a-token-we-issued")

    assert _error(response) == (401, "UNAUTHORIZED")


def test_a_partner_whose_scope_was_withdrawn_reads_nothing(
    partner: Im1Partner, connection_token: str
) -> None:
    client = partner.caller.client
    client.scopes = ["linkage:read"]
    client.save()

    assert _error(partner.patient(connection_token)) == (403, "FORBIDDEN")


def test_only_get_reads(partner: Im1Partner, connection_token: str) -> None:
    response = partner.caller.http.post(
        PATIENT,
        headers={
            "Authorization": f"Bearer {partner.token()}",
            "IM1-Connection-Token": connection_token,
        },
    )

    assert response.status_code == 405


def test_a_practice_without_online_services_is_not_read(
    partner: Im1Partner, connection_token: str, practice: Practice
) -> None:
    Practice.objects.filter(pk=practice.pk).update(online_services_live=False)

    assert _error(partner.patient(connection_token)) == (403, "PRACTICE_NOT_LIVE")


def test_a_patient_no_longer_registered_is_not_read(
    partner: Im1Partner, connection_token: str, registered_patient: RegisteredPatient
) -> None:
    RegisteredPatient.objects.filter(pk=registered_patient.pk).update(deceased=True)

    assert _error(partner.patient(connection_token)) == (403, "PATIENT_NOT_ELIGIBLE")


# --- A key revoked or reissued ends its connections -----------------------------------------


def test_revoking_the_key_ends_every_connection_made_with_it(
    partner: Im1Partner,
    other_partner: Im1Partner,
    pairing_body: Body,
    linkage_key: LinkageKey,
) -> None:
    tokens = [partner.connect(pairing_body()), other_partner.connect(pairing_body())]
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5)):
        linkage_key_revoke(actor=STAFF, linkage_key=linkage_key, reason="Patient asked")
        revoked_at = LinkageKey.objects.get().revoked_at

    answers = [
        _error(caller.patient(token))
        for caller, token in zip((partner, other_partner), tokens, strict=True)
    ]

    assert answers == [(403, "CONNECTION_NOT_VALID")] * 2
    for connection in Connection.objects.all():
        assert connection.ended_at == revoked_at
        assert connection.ended_reason == KEY_REVOKED_REASON
        assert connection.ended_by == "system"


def test_reissuing_the_key_ends_the_connections_made_with_the_old_one(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    old_token = partner.connect(pairing_body())

    information = linkage_key_reissue(
        actor=STAFF, patient=linkage_key.patient, reason="Patient lost it"
    )
    new_token = partner.connect(pairing_body(linkageKey=information.linkage_key))

    assert _error(partner.patient(old_token)) == (403, "CONNECTION_NOT_VALID")
    assert partner.patient(new_token).status_code == 200
    assert _error(partner.pair(pairing_body())) == (403, "PAIRING_FAILED")


def test_a_connection_ended_with_its_key_shows_as_ended_before_it_is_next_used(
    partner: Im1Partner, connection_token: str, linkage_key: LinkageKey
) -> None:
    linkage_key_revoke(actor=STAFF, linkage_key=linkage_key, reason="Patient asked")

    (summary,) = im1_connections_of(patient=linkage_key.patient)

    assert summary.active is False
    assert summary.ended_at == LinkageKey.objects.get().revoked_at
    assert summary.ended_reason == KEY_REVOKED_REASON
    assert Connection.objects.get().ended_at is None  # recorded at its next use


# --- The patient's and staff's control -------------------------------------------------------


def test_the_patient_s_connections_are_listed_newest_first(
    partner: Im1Partner,
    other_partner: Im1Partner,
    pairing_body: Body,
    registered_patient: RegisteredPatient,
) -> None:
    first = partner.connect(pairing_body())
    other_partner.connect(pairing_body())
    partner.patient(first)
    RegisteredPatientFactory.create(practice=registered_patient.practice)

    summaries = im1_connections_of(patient=registered_patient)

    assert [summary.partner_name for summary in summaries] == [
        "Another IM1 app",
        "Example IM1 app",
    ]
    assert [summary.active for summary in summaries] == [True, True]
    assert summaries[0].last_used_at is None
    assert summaries[1].last_used_at is not None
    assert summaries[1].connected_at < summaries[0].connected_at


def test_the_patient_disconnects_an_app_and_its_token_is_refused(
    partner: Im1Partner, connection_token: str, registered_patient: RegisteredPatient
) -> None:
    patient_actor = Actor(ActorType.PATIENT, "nhs-login-sub-1", "request-9")
    connection = im1_connection_of(
        patient=registered_patient, connection_id=Connection.objects.get().pk
    )

    im1_connection_end(actor=patient_actor, connection=connection, reason="I stopped using it")

    assert _error(partner.patient(connection_token)) == (403, "CONNECTION_NOT_VALID")
    connection.refresh_from_db()
    assert connection.ended_at is not None
    assert connection.ended_by == "patient:nhs-login-sub-1"
    assert connection.ended_reason == "I stopped using it"
    (summary,) = im1_connections_of(patient=registered_patient)
    assert (summary.active, summary.ended_reason) == (False, "I stopped using it")
    event = AuditEvent.objects.get(action="im1_connection_end")
    assert (event.actor_type, event.outcome, event.nhs_number, event.ods_code) == (
        "patient",
        "SUCCESS",
        NHS_NUMBER,
        ODS_CODE,
    )
    assert event.request_id == "request-9"


def test_staff_end_a_connection_with_a_reason(connection_token: str, partner: Im1Partner) -> None:
    connection = Connection.objects.get()

    im1_connection_end(actor=STAFF, connection=connection, reason="Reported lost phone")

    assert _error(partner.patient(connection_token)) == (403, "CONNECTION_NOT_VALID")
    assert Connection.objects.get().ended_by == "staff:reception-a12345"


def test_ending_needs_a_reason_and_ends_nothing_without_one(connection_token: str) -> None:
    connection = Connection.objects.get()

    with pytest.raises(LinkageError) as refused:
        im1_connection_end(actor=STAFF, connection=connection, reason="  ")

    assert refused.value.error_code == "INVALID_REQUEST"
    assert Connection.objects.get().ended_at is None
    event = AuditEvent.objects.get(action="im1_connection_end")
    assert event.outcome == "INVALID_REQUEST"


def test_ending_a_connection_twice_is_refused_and_keeps_the_first_end(
    connection_token: str,
) -> None:
    connection = Connection.objects.get()
    im1_connection_end(actor=STAFF, connection=connection, reason="First")

    with pytest.raises(LinkageError) as refused:
        im1_connection_end(actor=STAFF, connection=connection, reason="Second")

    assert refused.value.error_code == "CONNECTION_NOT_VALID"
    assert Connection.objects.get().ended_reason == "First"


def test_a_patient_reaches_only_their_own_connections(
    connection_token: str, registered_patient: RegisteredPatient
) -> None:
    stranger = RegisteredPatientFactory.create(practice=registered_patient.practice)

    with pytest.raises(LinkageError) as refused:
        im1_connection_of(patient=stranger, connection_id=Connection.objects.get().pk)

    assert refused.value.error_code == "CONNECTION_NOT_VALID"
    assert im1_connections_of(patient=stranger) == []


# --- The audit -------------------------------------------------------------------------------


def test_every_read_is_audited_naming_the_patient_when_the_connection_is_valid(
    partner: Im1Partner, other_partner: Im1Partner, connection_token: str
) -> None:
    partner.patient(connection_token)
    other_partner.patient(connection_token)
    partner.patient(None)

    events = list(
        AuditEvent.objects.filter(action="im1_read")
        .order_by("pk")
        .values_list("actor", "outcome", "ods_code", "nhs_number")
    )
    assert events == [
        (partner.client_id, "SUCCESS", ODS_CODE, NHS_NUMBER),
        (other_partner.client_id, "CONNECTION_NOT_VALID", "", ""),
        (partner.client_id, "INVALID_REQUEST", "", ""),
    ]
