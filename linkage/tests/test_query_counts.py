"""How many queries the hot paths make: a change that adds one shows up here (issue 9)."""

from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from linkage.audit import Actor, ActorType
from linkage.models import RegisteredPatient
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


def test_retrieve_service_reads_once_and_writes_one_audit_event(
    registered_patient: RegisteredPatient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    # The patient, their practice and their keys in one query; the audit event.
    with django_assert_num_queries(2):
        information = linkage_key_retrieve(actor=ACTOR, nhs_number=NHS_NUMBER, ods_code=ODS_CODE)

    assert information.linkage_key


def test_create_service_reads_once_checks_the_account_id_and_writes_the_key_and_audit(
    registered_patient: RegisteredPatient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    # In a test the key's own transaction is a savepoint: two more statements than in service.
    with django_assert_num_queries(4 + 2):
        information = linkage_key_create(
            actor=ACTOR,
            nhs_number=NHS_NUMBER,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=DATE_OF_BIRTH,
        )

    assert information.linkage_key


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

    with django_assert_num_queries(4 + 2):
        response = nhs_login_api.create(create_body(), token=token)

    assert response.status_code == 201
