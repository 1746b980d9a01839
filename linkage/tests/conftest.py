"""Calling the linkage API as a registered client would: real keys, real signed assertions."""

from __future__ import annotations

import datetime
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import Client as HttpClient

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, public_key_pem
from linkage.api_clients.registration import api_client_register
from linkage.models import ApiClient, Practice, RegisteredPatient
from linkage.tests.factories import PracticeFactory, RegisteredPatientFactory
from tests.security.secrets_in_logs import secret_register

NHS_NUMBER = "9990000018"
ODS_CODE = "A12345"
SURNAME = "O'Brien-Smith"
DATE_OF_BIRTH = "1985-03-05"


@pytest.fixture(scope="session")
def api_private_key() -> rsa.RSAPrivateKey:
    return private_key_generate()


def assertion_for(client_id: str, key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": f"{settings.PORTAL_BASE_URL}/api/oauth2/token",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
        **overrides,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS512")


@dataclass
class ApiCaller:
    """A registered API client, speaking to the API through Django's test client."""

    client: ApiClient
    private_key: rsa.RSAPrivateKey
    http: HttpClient

    def token_response(self, **assertion_overrides: Any) -> Any:
        return self.http.post(
            "/api/oauth2/token",
            {
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion_for(
                    self.client.client_id, self.private_key, **assertion_overrides
                ),
            },
        )

    def token(self) -> str:
        response = self.token_response()
        assert response.status_code == 200, response.content
        token: str = response.json()["access_token"]
        secret_register(token)  # it has no recognisable shape: tell the log check about it
        return token

    def post(
        self,
        path: str,
        body: Any,
        *,
        token: str | None = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Any:
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.http.post(
            path,
            raw,
            content_type=content_type,
            headers={"Authorization": f"Bearer {token or self.token()}", **headers},
        )

    def retrieve(self, body: Any, **kwargs: Any) -> Any:
        return self.post("/api/v1/linkage/retrieve", body, **kwargs)

    def create(self, body: Any, **kwargs: Any) -> Any:
        return self.post("/api/v1/linkage", body, **kwargs)


@pytest.fixture
def api_client_for(db: None, api_private_key: rsa.RSAPrivateKey) -> Callable[..., ApiCaller]:
    def make(*scopes: str, name: str = "NHS login", ods_codes: tuple[str, ...] = ()) -> ApiCaller:
        """A client of every practice (as NHS login is), or of the practices named."""
        client = api_client_register(
            name=name,
            client_id=str(uuid.uuid4()),
            public_key_pem=public_key_pem(api_private_key.public_key()),
            jwks_url="",
            scopes=list(scopes or ("linkage:read", "linkage:create")),
            ods_codes=ods_codes,
            all_practices=not ods_codes,
        )
        return ApiCaller(client, api_private_key, HttpClient())

    return make


@pytest.fixture
def nhs_login_api(api_client_for: Callable[..., ApiCaller]) -> ApiCaller:
    return api_client_for("linkage:read", "linkage:create")


@pytest.fixture
def practice(db: None) -> Practice:
    return PracticeFactory.create(ods_code=ODS_CODE, name="Demo Surgery")


@pytest.fixture
def registered_patient(practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=practice,
        nhs_number=NHS_NUMBER,
        surname=SURNAME,
        date_of_birth=datetime.date.fromisoformat(DATE_OF_BIRTH),
    )


def create_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "nhsNumber": NHS_NUMBER,
        "odsCode": ODS_CODE,
        "surname": SURNAME,
        "dateOfBirth": DATE_OF_BIRTH,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def retrieve_body(**overrides: Any) -> dict[str, Any]:
    """As NHS login sends it: the patient's NHS number, surname and date of birth from PDS."""
    body = {
        "nhsNumber": NHS_NUMBER,
        "odsCode": ODS_CODE,
        "surname": SURNAME,
        "dateOfBirth": DATE_OF_BIRTH,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}
