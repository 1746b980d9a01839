"""The OpenAPI document served at /api/im1/v1/openapi.json, the IM1 API's contract, against
the implementation: its paths, request fields and error codes, and real calls to a live
server answered as it declares (as linkage/tests/test_openapi.py holds the linkage API)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, public_key_pem
from im1 import urls as im1_urls
from im1.api import CONNECTION_TOKEN_HEADER, OPENAPI_DOCUMENT, PAIRING_FIELDS
from im1.errors import IM1_ERROR_STATUS
from im1.tests.conftest import LINKAGE_KEY, PAIRINGS, PATIENT, random_account_id
from linkage.api import MAX_BODY_BYTES, MAX_FIELD_LENGTH
from linkage.api_clients.registration import api_client_register
from linkage.crypto import linkage_key_encrypt
from linkage.errors import BodyTooLargeError
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory
from linkage.tests.test_openapi import (
    OPERATION_METHODS,
    error_codes_listed,
    operations,
    resolve,
    schema_validator,
)
from tests.security.secrets_in_logs import secret_register

OPENAPI_PATH = "/api/im1/v1/openapi.json"
COMMITTED_DOCUMENT: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text())


@pytest.fixture
def openapi(client: Client) -> dict[str, Any]:
    response = client.get(OPENAPI_PATH)
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_serves_the_committed_document_as_json_without_signing_in(client: Client) -> None:
    response = client.get(OPENAPI_PATH)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == COMMITTED_DOCUMENT


def test_declares_openapi_3_1(openapi: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.1\.\d+", openapi["openapi"])


@pytest.mark.django_db
def test_paths_and_methods_are_exactly_the_im1_url_patterns(
    openapi: dict[str, Any], client: Client
) -> None:
    paths = [reverse(f"im1:{pattern.name}") for pattern in im1_urls.api_urlpatterns]
    answered = {
        path: {
            method
            for method in OPERATION_METHODS
            if client.generic(method.upper(), path).status_code != 405
        }
        for path in paths
    }

    documented = {
        path: {method for method in path_item if method in OPERATION_METHODS}
        for path, path_item in openapi["paths"].items()
    }
    assert documented == answered


def test_the_pairing_schema_has_exactly_the_fields_the_api_accepts(
    openapi: dict[str, Any],
) -> None:
    operation = openapi["paths"][PAIRINGS]["post"]
    schema = resolve(openapi, operation["requestBody"]["content"]["application/json"]["schema"])

    assert set(schema["properties"]) == {field.name for field in PAIRING_FIELDS}
    assert set(schema["required"]) == {field.name for field in PAIRING_FIELDS if field.required}
    assert schema["additionalProperties"] is False
    for name, field_schema in schema["properties"].items():
        assert field_schema["type"] == "string", name
        assert field_schema["maxLength"] == MAX_FIELD_LENGTH, name


def test_the_connection_token_header_is_the_one_the_api_reads(openapi: dict[str, Any]) -> None:
    parameters = [
        resolve(openapi, parameter) for parameter in openapi["paths"][PATIENT]["get"]["parameters"]
    ]

    header = next(p for p in parameters if p["name"] == CONNECTION_TOKEN_HEADER)
    assert (header["in"], header["required"]) == ("header", True)


def test_error_code_enum_is_every_code_the_im1_api_answers(openapi: dict[str, Any]) -> None:
    enum = openapi["components"]["schemas"]["Error"]["properties"]["errorCode"]["enum"]

    assert len(enum) == len(set(enum))
    assert set(enum) == set(IM1_ERROR_STATUS)


def test_every_error_code_is_listed_for_some_operation(openapi: dict[str, Any]) -> None:
    listed = {
        code
        for _, _, operation in operations(openapi)
        for response in operation["responses"].values()
        for code in error_codes_listed(response)
    }

    assert listed == set(IM1_ERROR_STATUS)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        pytest.param(path, method, id=operation["operationId"])
        for path, method, operation in operations(COMMITTED_DOCUMENT)
    ],
)
def test_every_response_of_an_operation_lists_its_codes_each_under_its_own_status(
    openapi: dict[str, Any], path: str, method: str
) -> None:
    responses = openapi["paths"][path][method]["responses"]
    error_schema = openapi["components"]["schemas"]["Error"]

    for status, response in responses.items():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        codes = error_codes_listed(response)
        if resolve(openapi, schema) is error_schema:
            assert codes, f"{status} lists no errorCode"
        else:
            assert not codes, f"{status} lists codes it cannot carry"
        elsewhere = {
            code: IM1_ERROR_STATUS[code]
            for code in codes
            if IM1_ERROR_STATUS[code] != int(status)
            and (code, int(status)) != ("INVALID_REQUEST", BodyTooLargeError.status)
        }
        assert elsewhere == {}, status


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=name) for name in COMMITTED_DOCUMENT["components"]["schemas"]]
)
def test_component_schema_is_valid_json_schema_2020_12(openapi: dict[str, Any], name: str) -> None:
    Draft202012Validator.check_schema(openapi["components"]["schemas"][name])


# Real calls to a live server, each reply checked against what the document declares.


@dataclass(frozen=True)
class LivePartner:
    """The portal on a live server and an IM1 partner's client, with its key."""

    base_url: str
    document: dict[str, Any]
    client_id: str
    private_key: rsa.RSAPrivateKey
    account_id: str

    def body(self, **changes: str) -> bytes:
        fields = {
            "accountId": self.account_id,
            "linkageKey": LINKAGE_KEY,
            "odsCode": "A12345",
            "surname": "Thompson",
            "dateOfBirth": "1985-03-05",
            **changes,
        }
        return json.dumps(fields).encode()

    def token(self, client_id: str | None = None) -> str:
        now = int(time.time())
        assertion = jwt.encode(
            {
                "iss": client_id or self.client_id,
                "sub": client_id or self.client_id,
                "aud": f"{self.base_url}/api/oauth2/token",
                "jti": str(uuid.uuid4()),
                "iat": now,
                "exp": now + 60,
            },
            self.private_key,
            algorithm="RS512",
        )
        response = requests.post(
            f"{self.base_url}/api/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        secret_register(token)
        return token

    def pair(self, body: bytes, token: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.post(
            f"{self.base_url}{PAIRINGS}", data=body, headers=headers, timeout=10
        )
        if response.status_code == 201:
            secret_register(response.json()["connectionToken"])
        return response

    def patient(self, connection_token: str | None, token: str | None) -> requests.Response:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if connection_token is not None:
            headers[CONNECTION_TOKEN_HEADER] = connection_token
        return requests.get(f"{self.base_url}{PATIENT}", headers=headers, timeout=10)

    def check_as_declared(self, path: str, method: str, response: requests.Response) -> None:
        """The status is one the operation declares; the body validates against the schema
        declared for it; every header declared for it is there."""
        declared = self.document["paths"][path][method]["responses"]
        status = str(response.status_code)
        assert status in declared, f"{path} answered {status}, which it does not declare"
        schema_validator(
            self.document,
            "paths", path, method, "responses", status, "content", "application/json", "schema",
        ).validate(response.json())  # fmt: skip
        for header in declared[status].get("headers", {}):
            assert response.headers.get(header), f"{path} {status} lacks {header}"


@pytest.fixture
def live_partner(
    live_server: LiveServer, settings: SettingsWrapper, transactional_db: None
) -> LivePartner:
    settings.PORTAL_BASE_URL = live_server.url
    private_key = private_key_generate()
    partner = api_client_register(
        name="Example IM1 app",
        client_id=f"im1-partner-{uuid.uuid4()}",
        public_key_pem=public_key_pem(private_key.public_key()),
        jwks_url="",
        scopes=["im1:pair"],
        all_practices=True,
    )
    api_client_register(
        name="NHS login",
        client_id="nhs-login-without-im1",
        public_key_pem=public_key_pem(private_key.public_key()),
        jwks_url="",
        scopes=["linkage:read"],
        all_practices=True,
    )
    LinkageKeyFactory.create(
        patient=RegisteredPatientFactory.create(
            practice=PracticeFactory.create(ods_code="A12345", name="Demo Surgery"),
            nhs_number="9990000018",
            surname="Thompson",
        ),
        account_id=(account_id := random_account_id()),
        encrypted_key=linkage_key_encrypt(LINKAGE_KEY),
    )
    document: dict[str, Any] = requests.get(f"{live_server.url}{OPENAPI_PATH}", timeout=10).json()
    return LivePartner(live_server.url, document, partner.client_id, private_key, account_id)


def _own_token(live: LivePartner) -> str | None:
    return live.token()


# Each case: whose token, the body's changes (or a body written out), the status and code.
PAIRING_CASES: dict[str, tuple[Callable[[LivePartner], str | None], Any, int, str | None]] = {
    "paired-201": (_own_token, {}, 201, None),
    "malformed-400": (_own_token, b'{"accountId": ', 400, "INVALID_REQUEST"),
    "bad-ods-code-400": (_own_token, {"odsCode": "A1"}, 400, "INVALID_ODS_CODE"),
    "no-token-401": (lambda live: None, {}, 401, "UNAUTHORIZED"),
    "wrong-scope-403": (lambda live: live.token("nhs-login-without-im1"), {}, 403, "FORBIDDEN"),
    "wrong-key-403": (_own_token, {"linkageKey": "x" * 15}, 403, "PAIRING_FAILED"),
    "too-large-413": (_own_token, {"surname": "x" * MAX_BODY_BYTES}, 413, "INVALID_REQUEST"),
}


@pytest.mark.parametrize("case", list(PAIRING_CASES))
def test_live_pairing_is_answered_as_the_document_declares(
    live_partner: LivePartner, case: str
) -> None:
    token_of, changes, status, error_code = PAIRING_CASES[case]
    request_body = changes if isinstance(changes, bytes) else live_partner.body(**changes)

    response = live_partner.pair(request_body, token_of(live_partner))

    assert response.status_code == status, response.text
    live_partner.check_as_declared(PAIRINGS, "post", response)
    assert response.headers["X-Request-ID"]
    assert response.json().get("errorCode") == error_code


def test_live_lock_and_limit_are_answered_as_the_document_declares(
    live_partner: LivePartner, settings: SettingsWrapper
) -> None:
    settings.IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE = 1000
    token = live_partner.token()
    for _ in range(5):
        live_partner.pair(live_partner.body(linkageKey="x" * 15), token)

    locked = live_partner.pair(live_partner.body(), token)
    settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = 1
    limited = live_partner.pair(live_partner.body(), token)

    assert locked.status_code == 423, locked.text
    live_partner.check_as_declared(PAIRINGS, "post", locked)
    assert limited.status_code == 429, limited.text
    live_partner.check_as_declared(PAIRINGS, "post", limited)


def test_live_patient_read_is_answered_as_the_document_declares(
    live_partner: LivePartner,
) -> None:
    token = live_partner.token()
    connection_token = live_partner.pair(live_partner.body(), token).json()["connectionToken"]

    read = live_partner.patient(connection_token, token)
    unknown = live_partner.patient("x" * 43, token)
    missing = live_partner.patient(None, token)
    unauthorized = live_partner.patient(connection_token, None)

    for response, status in ((read, 200), (unknown, 403), (missing, 400), (unauthorized, 401)):
        assert response.status_code == status, response.text
        live_partner.check_as_declared(PATIENT, "get", response)
    assert read.json()["nhsNumber"] == "9990000018"
    assert unknown.json()["errorCode"] == "CONNECTION_NOT_VALID"
