"""A property-based sweep of the live linkage API driven by the OpenAPI document it serves
(schemathesis): for every operation, generated valid and invalid requests, with a real bearer
token, never get a 500, and every reply has a declared status, content type, headers and a
body matching its schema. linkage/tests/test_api_property.py sweeps bodies in-process; this one
goes over HTTP to a live server, from the served document.

The document is fetched from the portal (in-process, at collection) rather than through
schemathesis's lazy fixture loader, which needs a pytest-internal attribute that pytest 9
removed (docs/security.md)."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, settings
from pytest_django.fixtures import Settings as SettingsWrapper

from linkage.tests.test_openapi import OPENAPI_PATH, LiveApi, live_api  # noqa: F401 (fixture)

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
]


def _served_document() -> dict[str, Any]:
    response = Client().get(OPENAPI_PATH)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


schema = schemathesis.openapi.from_dict(_served_document())


@pytest.fixture
def generous_rate_limit(settings: SettingsWrapper) -> None:
    settings.LINKAGE_API_RATE_LIMIT_PER_MINUTE = 100_000


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.usefixtures("generous_rate_limit")
def test_no_generated_request_gets_a_500_or_an_undeclared_reply(
    case: schemathesis.Case[Any],
    live_api: LiveApi,  # noqa: F811
) -> None:
    token = live_api.token(live_api.full_client_id)

    case.call_and_validate(
        base_url=live_api.base_url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
    )
