"""How many queries the hot paths make: a change that adds one shows up here (issue 9)."""

from __future__ import annotations

import pytest
from pytest_django import DjangoAssertNumQueries

from linkage.audit import Actor, ActorType
from linkage.models import RegisteredPatient
from linkage.services import linkage_key_retrieve
from linkage.tests.conftest import NHS_NUMBER, ODS_CODE, ApiCaller, retrieve_body
from linkage.tests.factories import LinkageKeyFactory

pytestmark = pytest.mark.django_db


def test_retrieve_service_reads_practice_patient_and_key_and_writes_one_audit_event(
    registered_patient: RegisteredPatient, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    with django_assert_num_queries(4):
        linkage_key_retrieve(
            actor=Actor(ActorType.API_CLIENT, "nhs-login"), nhs_number=NHS_NUMBER, ods_code=ODS_CODE
        )


def test_retrieve_over_the_api_adds_only_the_client_check(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    token = nhs_login_api.token()

    with django_assert_num_queries(5):
        response = nhs_login_api.retrieve(retrieve_body(), token=token)

    assert response.status_code == 200
