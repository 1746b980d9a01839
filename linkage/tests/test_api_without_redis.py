"""The API's checks on a cache that is not Redis (a machine without one: `make run`'s local
memory cache), where they run one cache call at a time instead of in one Lua script
(linkage/api_call_checks.py): the same answers, the same refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from linkage.models import RegisteredPatient
from linkage.tests.conftest import ApiCaller, retrieve_body
from linkage.tests.factories import LinkageKeyFactory

pytestmark = pytest.mark.django_db

LOCAL_MEMORY = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _local_memory_cache() -> Iterator[None]:
    with override_settings(CACHES=LOCAL_MEMORY):
        yield


def test_a_token_is_issued_once_per_assertion_and_serves_a_retrieve(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    response = nhs_login_api.token_response(jti="the-same-jti")
    replayed = nhs_login_api.token_response(jti="the-same-jti")

    retrieved = nhs_login_api.retrieve(retrieve_body(), token=response.json()["access_token"])

    assert response.status_code == 200
    assert replayed.status_code == 401
    assert retrieved.status_code == 200
    assert retrieved.json()["linkageKey"]


def test_a_bad_token_and_a_spent_budget_are_refused(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, settings: SettingsWrapper
) -> None:
    settings.LINKAGE_API_RATE_LIMIT_PER_MINUTE = 1
    token = nhs_login_api.token()

    unknown = nhs_login_api.retrieve(retrieve_body(), token="not-a-token")
    first = nhs_login_api.retrieve(retrieve_body(), token=token)
    second = nhs_login_api.retrieve(retrieve_body(), token=token)

    assert unknown.status_code == 401
    assert first.status_code == 404  # no key yet: the call itself went through
    assert second.status_code == 429
