"""Fixtures for talking to the simulator as a relying party would, over HTTP.

The relying party's key pair is made here, per test session; nothing is committed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client as HttpClient
from django.test.utils import override_settings

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, public_key_pem
from nhs_login_simulator.claims import SUPPORTED_SCOPES
from nhs_login_simulator.models import Client
from nhs_login_simulator.vectors import ALLOWED_VECTORS

ISSUER = "http://testserver/nhs-login-simulator"
TOKEN_ENDPOINT = f"{ISSUER}/token"
CLIENT_ID = "test-portal"
REDIRECT_URI = "https://portal.example.org/auth/nhs-login/callback/"
P9_VTR = '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]'
BOTH_VTR = '["P5.Cp.Cd","P5.Cp.Ck","P5.Cm","P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]'
P0_VTR = '["P0.Cp.Cd","P5.Cp.Cd","P9.Cp.Cd"]'
# Every vtr set these tests send, registered for the test client as NHS login registers them.
REGISTERED_VTR = [P9_VTR, BOTH_VTR, P0_VTR, '["P9.Cm"]', json.dumps(sorted(ALLOWED_VECTORS))]
CONSENT_SHARE = "/nhs-login-simulator/authorize/consent/share"
# RFC 7636, appendix B: the specification's own example of a verifier and its S256 challenge.
PKCE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
PKCE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture(autouse=True)
def _simulator_issuer() -> Any:
    with override_settings(NHS_LOGIN_SIMULATOR_ISSUER=ISSUER, NHS_LOGIN_SIMULATOR_FAULT=""):
        yield


@pytest.fixture(scope="session")
def client_private_key() -> rsa.RSAPrivateKey:
    return private_key_generate()


@pytest.fixture
def registered_client(db: None, client_private_key: rsa.RSAPrivateKey) -> Client:
    return Client.objects.create(
        client_id=CLIENT_ID,
        name="Test portal",
        redirect_uris=[REDIRECT_URI],
        public_key_pem=public_key_pem(client_private_key.public_key()),
        im1_enabled=True,
        scopes=list(SUPPORTED_SCOPES),
        vtr_sets=[json.loads(vtr) for vtr in REGISTERED_VTR],
    )


def assertion_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "aud": TOKEN_ENDPOINT,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not None}


@pytest.fixture
def client_assertion(client_private_key: rsa.RSAPrivateKey) -> Callable[..., str]:
    """A client assertion signed RS512 with the registered key; overrides change its claims
    (None removes one)."""

    def make(**overrides: Any) -> str:
        return jwt.encode(assertion_claims(**overrides), client_private_key, algorithm="RS512")

    return make


def authorize_params(**overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid profile email phone gp_registration_details gp_integration_credentials",
        "state": "state-123",
        "nonce": "nonce-456",
        "vtr": BOTH_VTR,
    }
    params.update(overrides)
    return {name: value for name, value in params.items() if value is not None}


def redirect_query(location: str) -> dict[str, str]:
    """The parameters of a redirect to the client, checking it goes to the redirect URI."""
    assert location.startswith(REDIRECT_URI + "?"), location
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def hidden_field(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def signed_request_from(html: str) -> str:
    return hidden_field(html, "request")


def is_consent_page(response: Any) -> bool:
    return response.status_code == 200 and CONSENT_SHARE in response.content.decode()


@dataclass
class SimulatorFlow:
    """Drives the browser side of the flow with Django's test client (cookies are kept)."""

    browser: HttpClient

    def authorize(self, **overrides: str | None) -> Any:
        return self.browser.get("/nhs-login-simulator/authorize", authorize_params(**overrides))

    def sign_in(
        self,
        user: str = "p9-demo-practice",
        outcome: str = "success",
        fault: str = "",
        *,
        share: bool = True,
        **params: str | None,
    ) -> Any:
        """Sign in on the sign-in page; agree on the consent screen if it shows, unless
        ``share`` is false (the consent screen is then returned)."""
        # prompt=login: always the sign-in page, even when this browser is already signed in.
        page = self.authorize(**{"prompt": "login", **params})
        assert page.status_code == 200, page.content
        response = self.browser.post(
            "/nhs-login-simulator/authorize/test-user",
            {
                "request": signed_request_from(page.content.decode()),
                "user": user,
                "outcome": outcome,
                "fault": fault,
            },
        )
        return self.share(response) if share else response

    def post_pending(self, path: str, page: Any) -> Any:
        """Post the signed request and pending sign-in of a step-up or consent page."""
        html = page.content.decode()
        return self.browser.post(
            f"/nhs-login-simulator/authorize/{path}",
            {"request": hidden_field(html, "request"), "pending": hidden_field(html, "pending")},
        )

    def share(self, response: Any) -> Any:
        """Agree on the consent screen if this is one; anything else is returned as it is."""
        return (
            self.post_pending("consent/share", response) if is_consent_page(response) else response
        )

    def code_for(self, user: str = "p9-demo-practice", fault: str = "", **params: Any) -> str:
        response = self.sign_in(user=user, fault=fault, **params)
        assert response.status_code == 302, response.content
        return redirect_query(response["Location"])["code"]


@pytest.fixture
def flow(registered_client: Client) -> SimulatorFlow:
    return SimulatorFlow(HttpClient())


@pytest.fixture
def exchange(registered_client: Client, client_assertion: Callable[..., str]) -> Callable[..., Any]:
    """POST to the token endpoint with a valid client assertion unless one is given."""

    def post(**form: str | None) -> Any:
        data: dict[str, str | None] = {
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion(),
            "redirect_uri": REDIRECT_URI,
            "grant_type": "authorization_code",
        }
        data.update(form)
        return HttpClient().post(
            "/nhs-login-simulator/token", {k: v for k, v in data.items() if v is not None}
        )

    return post
