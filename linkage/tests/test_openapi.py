"""The OpenAPI document served at /api/v1/openapi.json, the API's contract, against the
implementation (docs/adr/0007): its paths, request fields and error codes, and real calls to a
live server answered as it declares."""

from __future__ import annotations

import datetime
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django.urls import reverse
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, public_key_pem
from linkage import urls as linkage_urls
from linkage.api import (
    CREATE_FIELDS,
    MAX_BODY_BYTES,
    MAX_FIELD_LENGTH,
    OPENAPI_DOCUMENT,
    RETRIEVE_FIELDS,
    Field,
)
from linkage.api_clients.registration import api_client_register
from linkage.crypto import linkage_key_encrypt
from linkage.errors import ERROR_STATUS, BodyTooLargeError, LinkageError
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory

OPENAPI_PATH = "/api/v1/openapi.json"
DOCUMENT_URI = "urn:citizen-portal:linkage-openapi"
OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Refusals made before a request reaches a service: the address, the token and its scope
# (linkage/api.py, linkage/api_auth.py), each a LinkageError of linkage/errors.py.
TRANSPORT_ERROR_CODES = {"UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "SERVICE_UNAVAILABLE"}
ERROR_CODES_IN_DESCRIPTION = re.compile(r"\(errorCode: ([A-Z_, ]+)\)")

# The committed document names the parametrized cases; every test reads the served one.
COMMITTED_DOCUMENT: dict[str, Any] = json.loads(OPENAPI_DOCUMENT.read_text())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            if method in OPERATION_METHODS:
                yield path, method, operation


def error_codes_listed(response: dict[str, Any]) -> list[str]:
    """The codes a response's description lists as "(errorCode: A, B)"."""
    found = ERROR_CODES_IN_DESCRIPTION.search(response.get("description", ""))
    return [code.strip() for code in found.group(1).split(",")] if found else []


def resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """A local $ref ("#/components/...") followed to what it names."""
    while "$ref" in node:
        target: Any = document
        for segment in node["$ref"].removeprefix("#/").split("/"):
            target = target[segment.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def json_pointer(*segments: str) -> str:
    return "".join(
        "/" + quote(segment.replace("~", "~0").replace("/", "~1"), safe="~") for segment in segments
    )


def schema_validator(document: dict[str, Any], *segments: str) -> Any:
    """A validator for the schema at this place in the document, its $refs resolved within it."""
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{json_pointer(*segments)}"}, registry=registry
    )


def linkage_error_codes() -> set[str]:
    """Every code of linkage/errors.py; the IM1 API's own (im1/errors.py) are its document's."""
    codes: set[str] = set()
    pending = list(LinkageError.__subclasses__())
    while pending:
        error_class = pending.pop()
        if error_class.__module__ == "linkage.errors":
            codes.add(error_class.error_code)
        pending.extend(error_class.__subclasses__())
    return codes


def api_paths() -> list[str]:
    paths = [reverse(f"linkage:{pattern.name}") for pattern in linkage_urls.urlpatterns]
    return [path for path in paths if path.startswith("/api/")]


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
def test_paths_and_methods_are_exactly_the_api_url_patterns(
    openapi: dict[str, Any], client: Client
) -> None:
    answered = {
        path: {
            method
            for method in OPERATION_METHODS
            if client.generic(method.upper(), path).status_code != 405
        }
        for path in api_paths()
    }

    documented = {
        path: {method for method in path_item if method in OPERATION_METHODS}
        for path, path_item in openapi["paths"].items()
    }
    assert documented == answered


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        pytest.param("linkage:api_linkage_retrieve", RETRIEVE_FIELDS, id="retrieve"),
        pytest.param("linkage:api_linkage_create", CREATE_FIELDS, id="create"),
    ],
)
def test_request_schema_has_exactly_the_fields_the_api_accepts(
    openapi: dict[str, Any], url_name: str, fields: tuple[Field, ...]
) -> None:
    operation = openapi["paths"][reverse(url_name)]["post"]
    schema = resolve(openapi, operation["requestBody"]["content"]["application/json"]["schema"])

    assert set(schema["properties"]) == {field.name for field in fields}
    assert set(schema["required"]) == {field.name for field in fields if field.required}
    assert schema["additionalProperties"] is False
    for name, field_schema in schema["properties"].items():
        assert field_schema["type"] == "string", name
        assert field_schema["maxLength"] == MAX_FIELD_LENGTH, name


def test_error_code_enum_is_every_code_in_error_status(openapi: dict[str, Any]) -> None:
    enum = openapi["components"]["schemas"]["Error"]["properties"]["errorCode"]["enum"]

    assert len(enum) == len(set(enum))
    assert set(enum) == set(ERROR_STATUS)


def test_error_status_has_every_linkage_error_and_the_transport_refusals() -> None:
    assert set(ERROR_STATUS) == linkage_error_codes() | TRANSPORT_ERROR_CODES


def test_every_error_code_is_listed_for_some_operation(openapi: dict[str, Any]) -> None:
    listed = {
        code
        for _, _, operation in operations(openapi)
        for response in operation["responses"].values()
        for code in error_codes_listed(response)
    }

    assert listed == set(ERROR_STATUS)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        pytest.param(path, method, id=operation["operationId"])
        for path, method, operation in operations(COMMITTED_DOCUMENT)
    ],
)
def test_every_error_response_of_an_operation_lists_its_error_codes(
    openapi: dict[str, Any], path: str, method: str
) -> None:
    responses = openapi["paths"][path][method]["responses"]
    error_schema = openapi["components"]["schemas"]["Error"]

    for status, response in responses.items():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if resolve(openapi, schema) is error_schema:
            assert error_codes_listed(response), f"{status} lists no errorCode"
        else:
            assert not error_codes_listed(response), f"{status} lists codes it cannot carry"


@pytest.mark.parametrize(
    ("path", "method"),
    [
        pytest.param(path, method, id=operation["operationId"])
        for path, method, operation in operations(COMMITTED_DOCUMENT)
    ],
)
def test_every_error_code_an_operation_lists_has_its_status_among_its_responses(
    openapi: dict[str, Any], path: str, method: str
) -> None:
    responses = openapi["paths"][path][method]["responses"]
    listed = {code for response in responses.values() for code in error_codes_listed(response)}

    missing = {
        code: ERROR_STATUS[code] for code in listed if str(ERROR_STATUS[code]) not in responses
    }
    assert missing == {}


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        pytest.param(path, method, status, id=f"{operation['operationId']}-{status}")
        for path, method, operation in operations(COMMITTED_DOCUMENT)
        for status, response in operation["responses"].items()
        if error_codes_listed(response)
    ],
)
def test_every_error_code_a_response_lists_has_that_status(
    openapi: dict[str, Any], path: str, method: str, status: str
) -> None:
    response = openapi["paths"][path][method]["responses"][status]

    other_status = {
        code: ERROR_STATUS[code]
        for code in error_codes_listed(response)
        if ERROR_STATUS[code] != int(status)
        and (code, int(status)) != ("INVALID_REQUEST", BodyTooLargeError.status)
    }
    assert other_status == {}


@pytest.mark.parametrize(
    "name", [pytest.param(name, id=name) for name in COMMITTED_DOCUMENT["components"]["schemas"]]
)
def test_component_schema_is_valid_json_schema_2020_12(openapi: dict[str, Any], name: str) -> None:
    schema = openapi["components"]["schemas"][name]

    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"


def _schemas(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "schema":
                yield value
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _schemas(value)


def test_every_inline_schema_is_valid_json_schema_2020_12(openapi: dict[str, Any]) -> None:
    schemas = list(_schemas(openapi))

    assert len(schemas) > 10
    for schema in schemas:
        Draft202012Validator.check_schema(schema)


# Real calls to a live server, each reply checked against what the document declares.

NHS_NUMBER_WITH_KEY = "9990000018"
NHS_NUMBER_WITHOUT_KEY = "9990000034"
ODS_CODE = "A12345"
LINKAGE_KEY = "Xw7kQ2mR9tLpZ"


@dataclass(frozen=True)
class LiveApi:
    """The portal on a live server, with a client holding both scopes and one that may only
    read, each with its own key."""

    base_url: str
    document: dict[str, Any]
    full_client_id: str
    read_only_client_id: str
    private_key: rsa.RSAPrivateKey

    def assertion(self, client_id: str) -> str:
        now = int(time.time())
        claims = {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{self.base_url}/api/oauth2/token",
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS512")

    def token_response(self, assertion: str) -> requests.Response:
        return requests.post(
            f"{self.base_url}/api/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            timeout=10,
        )

    def token(self, client_id: str) -> str:
        response = self.token_response(self.assertion(client_id))
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def post(self, path: str, body: bytes, *, token: str | None) -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.post(f"{self.base_url}{path}", data=body, headers=headers, timeout=10)

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
def live_api(live_server: LiveServer, settings: SettingsWrapper, transactional_db: None) -> LiveApi:
    settings.PORTAL_BASE_URL = live_server.url
    private_key = private_key_generate()
    full = api_client_register(
        name="NHS login",
        client_id=f"nhs-login-{uuid.uuid4()}",
        public_key_pem=public_key_pem(private_key.public_key()),
        jwks_url="",
        scopes=["linkage:read", "linkage:create"],
        all_practices=True,
    )
    read_only = api_client_register(
        name="Read-only client",
        client_id=f"read-only-{uuid.uuid4()}",
        public_key_pem=public_key_pem(private_key.public_key()),
        jwks_url="",
        scopes=["linkage:read"],
        all_practices=True,
    )
    practice = PracticeFactory.create(ods_code=ODS_CODE)
    LinkageKeyFactory.create(
        patient=RegisteredPatientFactory.create(
            practice=practice, nhs_number=NHS_NUMBER_WITH_KEY, surname="Thompson"
        ),
        account_id="5100000001",
        encrypted_key=linkage_key_encrypt(LINKAGE_KEY),
    )
    RegisteredPatientFactory.create(
        practice=practice,
        nhs_number=NHS_NUMBER_WITHOUT_KEY,
        surname="Evans",
        date_of_birth=datetime.date(2001, 7, 14),
    )
    document: dict[str, Any] = requests.get(f"{live_server.url}{OPENAPI_PATH}", timeout=10).json()
    return LiveApi(live_server.url, document, full.client_id, read_only.client_id, private_key)


def body(**fields: str) -> bytes:
    return json.dumps(fields).encode()


RETRIEVE = "/api/v1/linkage/retrieve"
CREATE = "/api/v1/linkage"
CREATE_BODY = body(
    nhsNumber=NHS_NUMBER_WITHOUT_KEY, odsCode=ODS_CODE, surname="Evans", dateOfBirth="2001-07-14"
)


@pytest.mark.parametrize(
    ("path", "request_body", "caller", "status", "error_code"),
    [
        pytest.param(
            RETRIEVE,
            body(
                nhsNumber="999 000 0018",
                odsCode=ODS_CODE,
                surname="thompson",
                dateOfBirth="1985-03-05",
            ),
            "full",
            200,
            None,
            id="retrieve-200",
        ),
        pytest.param(CREATE, CREATE_BODY, "full", 201, None, id="create-201"),
        pytest.param(
            RETRIEVE,
            b'{"nhsNumber": "9990000018",',
            "full",
            400,
            "INVALID_REQUEST",
            id="malformed-400",
        ),
        pytest.param(
            RETRIEVE,
            body(
                nhsNumber=NHS_NUMBER_WITH_KEY,
                odsCode=ODS_CODE,
                surname="Thompson",
                dateOfBirth="1985-03-05",
            ),
            None,
            401,
            "UNAUTHORIZED",
            id="no-token-401",
        ),
        pytest.param(CREATE, CREATE_BODY, "read-only", 403, "FORBIDDEN", id="wrong-scope-403"),
        pytest.param(
            RETRIEVE,
            body(
                nhsNumber=NHS_NUMBER_WITH_KEY,
                odsCode="Z99999",
                surname="Thompson",
                dateOfBirth="1985-03-05",
            ),
            "full",
            404,
            "PRACTICE_NOT_FOUND",
            id="unknown-practice-404",
        ),
        pytest.param(
            CREATE,
            body(
                nhsNumber=NHS_NUMBER_WITHOUT_KEY,
                odsCode=ODS_CODE,
                surname="Evans",
                dateOfBirth="2001-07-14",
                emailAddress="e" * MAX_BODY_BYTES,
            ),
            "full",
            413,
            "INVALID_REQUEST",
            id="too-large-413",
        ),
    ],
)
def test_live_call_is_answered_as_the_document_declares(
    live_api: LiveApi,
    path: str,
    request_body: bytes,
    caller: str | None,
    status: int,
    error_code: str | None,
) -> None:
    client_id = {"full": live_api.full_client_id, "read-only": live_api.read_only_client_id}
    token = live_api.token(client_id[caller]) if caller is not None else None

    response = live_api.post(path, request_body, token=token)

    assert response.status_code == status, response.text
    live_api.check_as_declared(path, "post", response)
    assert response.headers["X-Request-ID"]
    assert response.json().get("errorCode") == error_code


def test_live_retrieve_returns_the_stored_linkage_information(live_api: LiveApi) -> None:
    response = live_api.post(
        RETRIEVE,
        body(
            nhsNumber=NHS_NUMBER_WITH_KEY,
            odsCode=ODS_CODE.lower(),
            surname="Thompson",
            dateOfBirth="1985-03-05",
        ),
        token=live_api.token(live_api.full_client_id),
    )

    assert response.status_code == 200, response.text
    live_api.check_as_declared(RETRIEVE, "post", response)
    assert response.json() == {
        "accountId": "5100000001",
        "linkageKey": LINKAGE_KEY,
        "odsCode": ODS_CODE,
    }


def test_live_create_again_is_refused_as_the_document_declares(live_api: LiveApi) -> None:
    token = live_api.token(live_api.full_client_id)
    created = live_api.post(CREATE, CREATE_BODY, token=token)

    again = live_api.post(CREATE, CREATE_BODY, token=token)

    assert created.status_code == 201, created.text
    live_api.check_as_declared(CREATE, "post", created)
    assert again.status_code == 409, again.text
    live_api.check_as_declared(CREATE, "post", again)
    assert again.json()["errorCode"] == "LINKAGE_KEY_EXISTS"
    assert again.headers["X-Request-ID"]


def test_live_token_endpoint_answers_as_the_document_declares(live_api: LiveApi) -> None:
    assertion = live_api.assertion(live_api.full_client_id)

    issued = live_api.token_response(assertion)
    replayed = live_api.token_response(assertion)

    assert issued.status_code == 200, issued.text
    live_api.check_as_declared("/api/oauth2/token", "post", issued)
    assert issued.json()["token_type"] == "Bearer"
    assert replayed.status_code == 401, replayed.text
    live_api.check_as_declared("/api/oauth2/token", "post", replayed)
    assert replayed.json()["error"] == "invalid_client"
