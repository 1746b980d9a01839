"""IM1 partners calling the IM1 API as a registered client would: real keys, real signed
assertions, the linkage API's bearer tokens (linkage/tests/conftest.py)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from linkage.crypto import linkage_key_encrypt
from linkage.models import LinkageKey, RegisteredPatient
from linkage.tests.conftest import (  # noqa: F401 (fixtures, found by name)
    DATE_OF_BIRTH,
    ODS_CODE,
    SURNAME,
    ApiCaller,
    api_client_for,
    api_private_key,
    practice,
    registered_patient,
)
from linkage.tests.factories import LinkageKeyFactory
from tests.security.secrets_in_logs import secret_register

LINKAGE_KEY = "Hq4vT7mWz9KpR3s"
PAIRINGS = "/api/im1/v1/pairings"
PATIENT = "/api/im1/v1/patient"
LOOPBACK = "127.0.0.1"


def fresh_address() -> str:
    """A client address no other test or earlier run counted (198.18.0.0/15, RFC 2544, as the
    linkage API's address tests use): the limits are counted per address in the cache."""
    return f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def random_account_id() -> str:
    """An Account ID no other test uses: the failure limits are counted in the cache, which
    outlives each test's transaction."""
    return f"{secrets.randbelow(10**10):010d}"


@dataclass
class Im1Partner:
    """An IM1 partner's client, holding one bearer token for its calls."""

    caller: ApiCaller
    _token: str = field(default="", repr=False)

    @property
    def client_id(self) -> str:
        return self.caller.client.client_id

    def token(self) -> str:
        if not self._token:
            self._token = self.caller.token()
        return self._token

    def pair(self, body: Any, *, token: str | None = None, remote_addr: str = LOOPBACK) -> Any:
        """POST a pairing (a body already written out is sent as it is) from ``remote_addr``."""
        response = self.caller.http.post(
            PAIRINGS,
            body if isinstance(body, str) else json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token or self.token()}"},
            REMOTE_ADDR=remote_addr,
        )
        if response.status_code == 201:
            secret_register(response.json()["connectionToken"])
        return response

    def patient(self, connection_token: str | None, *, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        if connection_token is not None:
            headers["IM1-Connection-Token"] = connection_token
        return self.caller.http.get(PATIENT, headers=headers)

    def connect(self, body: dict[str, str]) -> str:
        response = self.pair(body)
        assert response.status_code == 201, response.content
        connection_token: str = response.json()["connectionToken"]
        return connection_token


@pytest.fixture
def partner_for(
    api_client_for: Callable[..., ApiCaller],  # noqa: F811 (the fixture imported above)
) -> Callable[..., Im1Partner]:
    def make(*scopes: str, name: str = "Example IM1 app", **kwargs: Any) -> Im1Partner:
        return Im1Partner(api_client_for(*(scopes or ("im1:pair",)), name=name, **kwargs))

    return make


@pytest.fixture
def partner(partner_for: Callable[..., Im1Partner]) -> Im1Partner:
    return partner_for()


@pytest.fixture
def other_partner(partner_for: Callable[..., Im1Partner]) -> Im1Partner:
    return partner_for(name="Another IM1 app")


@pytest.fixture
def linkage_key(registered_patient: RegisteredPatient) -> LinkageKey:  # noqa: F811
    key: LinkageKey = LinkageKeyFactory.create(
        patient=registered_patient,
        account_id=random_account_id(),
        encrypted_key=linkage_key_encrypt(LINKAGE_KEY),
    )
    return key


@pytest.fixture
def pairing_body(linkage_key: LinkageKey) -> Callable[..., dict[str, str]]:
    """The body a partner sends for the patient's key, with any field changed."""

    def body(**changes: str) -> dict[str, str]:
        return {
            "accountId": linkage_key.account_id,
            "linkageKey": LINKAGE_KEY,
            "odsCode": ODS_CODE,
            "surname": SURNAME,
            "dateOfBirth": DATE_OF_BIRTH,
            **changes,
        }

    return body
