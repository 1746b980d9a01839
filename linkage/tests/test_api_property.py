"""A property-based sweep of the linkage API (hypothesis): whatever JSON a client sends, the
API never answers 500, and every reply is one the OpenAPI document describes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkage.models import RegisteredPatient
from linkage.tests.conftest import ApiCaller
from linkage.tests.factories import LinkageKeyFactory
from linkage.tests.test_openapi import COMMITTED_DOCUMENT, schema_validator

pytestmark = pytest.mark.django_db

FIELDS = ["nhsNumber", "odsCode", "surname", "dateOfBirth", "emailAddress", "phoneNumber"]
AWKWARD_TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "9990000018",
            "999 000 0018",
            "9990000019",
            "A12345",
            "a12345",
            "1985-03-05",
            "2023-02-30",
            "O'Brien-Smith",
            "'; DROP TABLE linkage_linkagekey; --",
            "\x00",
            "\u202e",
            "".join(chr(0xFF10 + int(digit)) for digit in "9990000018"),  # full-width
            "x" * 300,
            "",
        ]
    ),
)
VALUES = st.one_of(
    AWKWARD_TEXT,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
BODIES = st.one_of(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), VALUES, max_size=7),
    st.lists(VALUES, max_size=3),
    VALUES,
)

OPERATIONS = {
    "retrieve": ("/api/v1/linkage/retrieve", "post"),
    "create": ("/api/v1/linkage", "post"),
}


def _check_reply(operation: str, response: Any) -> None:
    path, method = OPERATIONS[operation]
    status = str(response.status_code)
    assert response.status_code != 500
    declared = COMMITTED_DOCUMENT["paths"][path][method]["responses"]
    assert status in declared, f"{operation} answered {status}, which the document does not list"
    validator = schema_validator(
        COMMITTED_DOCUMENT,
        "paths",
        path,
        method,
        "responses",
        status,
        "content",
        "application/json",
        "schema",
    )
    validator.validate(response.json())


@pytest.mark.parametrize("operation", ["retrieve", "create"])
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
def test_no_body_makes_the_api_fail_or_stray_from_its_document(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    operation: str,
    body: Any,
) -> None:
    if not registered_patient.linkage_keys.exists():
        LinkageKeyFactory.create(patient=registered_patient)
    response = getattr(nhs_login_api, operation)(json.dumps(body))

    _check_reply(operation, response)
