"""How many queries the hot paths make: a change that adds one shows up here
(docs/adr/0008); and that "not registered" and "details differ" make the same ones, so that
the register cannot be probed by timing (docs/security.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType
from linkage.errors import PatientNotFoundError
from linkage.keys import LinkageInformation
from linkage.models import ApiClient, RegisteredPatient
from linkage.services import linkage_key_create, linkage_key_retrieve
from linkage.tests.conftest import (
    DATE_OF_BIRTH,
    NHS_NUMBER,
    ODS_CODE,
    SURNAME,
    ApiCaller,
    create_body,
    retrieve_body,
)
from linkage.tests.factories import LinkageKeyFactory

pytestmark = pytest.mark.django_db

ACTOR = Actor(ActorType.API_CLIENT, "nhs-login")
EVERY_PRACTICE = PracticeBinding(all_practices=True)
NOT_REGISTERED = "9990000026"  # synthetic, valid check digit, on no register


def test_retrieve_service_reads_once_and_writes_one_audit_event(
    registered_patient: RegisteredPatient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    # The patient, their practice and their keys in one query; the audit event.
    with django_assert_num_queries(2):
        information = linkage_key_retrieve(
            actor=ACTOR,
            nhs_number=NHS_NUMBER,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=DATE_OF_BIRTH,
            practices=EVERY_PRACTICE,
        )

    assert information.linkage_key


def test_create_service_reads_once_checks_the_account_id_and_writes_the_key_and_audit(
    registered_patient: RegisteredPatient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # In a test the key's own transaction is a savepoint: two more statements than in service.
    with django_assert_num_queries(3 + 2):
        information = linkage_key_create(
            actor=ACTOR,
            nhs_number=NHS_NUMBER,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=DATE_OF_BIRTH,
            practices=EVERY_PRACTICE,
        )

    assert information.linkage_key


def _retrieve(**fields: Any) -> LinkageInformation:
    return linkage_key_retrieve(actor=ACTOR, practices=EVERY_PRACTICE, **fields)


def _create(**fields: Any) -> LinkageInformation:
    return linkage_key_create(actor=ACTOR, practices=EVERY_PRACTICE, **fields)


def _queries_of_a_refusal(call: Callable[..., LinkageInformation], **fields: Any) -> list[str]:
    """The statements a call refused with PATIENT_NOT_FOUND made, the NHS number blanked."""
    with CaptureQueriesContext(connection) as captured, pytest.raises(PatientNotFoundError):
        call(ods_code=ODS_CODE, **fields)
    return [query["sql"].replace(fields["nhs_number"], "?") for query in captured.captured_queries]


@pytest.mark.parametrize(
    "call", [pytest.param(_retrieve, id="retrieve"), pytest.param(_create, id="create")]
)
@pytest.mark.parametrize(
    "differs",
    [
        pytest.param({"surname": "Smith"}, id="surname-differs"),
        pytest.param({"date_of_birth": "1985-03-06"}, id="date-of-birth-differs"),
    ],
)
def test_not_registered_and_details_differ_make_the_same_queries(
    registered_patient: RegisteredPatient,
    call: Callable[..., LinkageInformation],
    differs: dict[str, str],
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    named = {"surname": SURNAME, "date_of_birth": DATE_OF_BIRTH}

    not_registered = _queries_of_a_refusal(call, nhs_number=NOT_REGISTERED, **named)
    details_differ = _queries_of_a_refusal(call, nhs_number=NHS_NUMBER, **{**named, **differs})

    # As many statements, and the same one read of the register: the same work either way
    # (the rest, the audit event and savepoints, differ only in timestamps and names).
    assert len(not_registered) == len(details_differ)
    assert _reads(not_registered) == _reads(details_differ)
    assert len(_reads(not_registered)) == 1, not_registered


def _reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]


def test_api_retrieve_adds_no_query_once_the_clients_state_is_cached(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    token = nhs_login_api.token()

    with django_assert_num_queries(3):  # the first call asks the database if the client is on
        first = nhs_login_api.retrieve(retrieve_body(), token=token)
    with django_assert_num_queries(2):
        second = nhs_login_api.retrieve(retrieve_body(), token=token)

    assert first.status_code == second.status_code == 200


def test_api_create_adds_no_query_once_the_clients_state_is_cached(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    token = nhs_login_api.token()
    assert nhs_login_api.retrieve(retrieve_body(), token=token).status_code == 404

    with django_assert_num_queries(3 + 2):
        response = nhs_login_api.create(create_body(), token=token)

    assert response.status_code == 201


def test_a_token_request_reads_its_client_once(
    nhs_login_api: ApiCaller, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(1) as captured:
        response = nhs_login_api.token_response()

    assert response.status_code == 200
    assert set(response.json()["scope"].split()) == {"linkage:read", "linkage:create"}
    (read,) = captured.captured_queries
    assert "FROM linkage_apiclient WHERE client_id" in read["sql"]


def test_a_disabled_or_unknown_client_gets_no_token(nhs_login_api: ApiCaller) -> None:
    unknown = nhs_login_api.token_response(iss="no-such-client", sub="no-such-client")
    ApiClient.objects.filter(pk=nhs_login_api.client.pk).update(enabled=False)
    disabled = nhs_login_api.token_response()

    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    assert (disabled.status_code, disabled.json()["error"]) == (401, "invalid_client")
