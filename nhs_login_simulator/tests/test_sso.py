"""Single sign-on by an asserted token: ``asserted_login_identity`` checked as NHS login's
"Single Sign On" page and the Federation specification 3.4.1 say, and the NHS App helper other
tests use to hand the portal one."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.utils import timezone

from core.rsa_keys import private_key_generate
from nhs_login_simulator.models import AuthorizationCode, Client, Consent, IssuedIdToken
from nhs_login_simulator.tests.conftest import (
    CLIENT_ID,
    P9_VTR,
    SimulatorFlow,
    is_consent_page,
    redirect_query,
)
from nhs_login_simulator.tests.nhs_app import NHS_APP_CLIENT_ID, NHS_APP_REDIRECT_URI, NhsApp


@pytest.fixture
def nhs_app(registered_client: Client) -> NhsApp:
    return NhsApp.register(sso_with=[CLIENT_ID])


def test_the_helper_returns_a_token_naming_an_id_token_issued_to_the_nhs_app(
    nhs_app: NhsApp,
) -> None:
    token = nhs_app.asserted_login_identity(user="p5-demo-practice")

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(
        token, nhs_app.private_key.public_key(), algorithms=["RS512"], issuer=NHS_APP_CLIENT_ID
    )
    assert header == {"alg": "RS512", "typ": "JWT"}
    assert claims["exp"] - claims["iat"] == 60
    issued = IssuedIdToken.objects.get(jti=claims["code"])
    assert (issued.client.client_id, issued.user_id) == (NHS_APP_CLIENT_ID, "p5-demo-practice")


def test_a_valid_token_signs_the_user_in_without_a_sign_in_page(
    flow: SimulatorFlow, nhs_app: NhsApp
) -> None:
    flow.code_for()  # the user agreed to share with the portal before, in another browser
    fresh = SimulatorFlow(flow.browser.__class__())

    response = fresh.authorize(
        prompt="none", asserted_login_identity=nhs_app.asserted_login_identity()
    )

    assert response.status_code == 302, response.content
    assert "code" in redirect_query(response["Location"])
    code = AuthorizationCode.objects.filter(client__client_id=CLIENT_ID).latest("id")
    assert (code.user_id, code.identity_proofing_level, code.vot) == (
        "p9-demo-practice",
        "P9",
        "P9.Cp.Cd",
    )


def test_consent_still_applies_after_single_sign_on(flow: SimulatorFlow, nhs_app: NhsApp) -> None:
    page = flow.authorize(prompt="none", asserted_login_identity=nhs_app.asserted_login_identity())

    assert is_consent_page(page)
    assert "Share your NHS login information with Test portal" in page.content.decode()
    assert not Consent.objects.filter(client__client_id=CLIENT_ID).exists()


def test_step_up_still_applies_after_single_sign_on(flow: SimulatorFlow, nhs_app: NhsApp) -> None:
    token = nhs_app.asserted_login_identity(user="p5-demo-practice")

    page = flow.authorize(prompt="none", vtr=P9_VTR, asserted_login_identity=token)

    assert page.status_code == 200
    assert "<h1>Prove who you are</h1>" in page.content.decode()


def test_prompt_login_still_shows_the_sign_in_page(flow: SimulatorFlow, nhs_app: NhsApp) -> None:
    page = flow.authorize(prompt="login", asserted_login_identity=nhs_app.asserted_login_identity())

    assert "Sign in with a test user" in page.content.decode()


def test_single_sign_on_within_one_client_needs_it_set_up(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    """ "Even between the same party as part of an uplift journey" it must be set up first."""
    params = {
        "client_id": "uplift",
        "redirect_uri": NHS_APP_REDIRECT_URI,
        "scope": "openid profile",
        "vtr": P9_VTR,
    }
    app = NhsApp.register(sso_with=[], client_id="uplift")

    refused = flow.authorize(asserted_login_identity=app.asserted_login_identity(), **params)
    app = NhsApp.register(sso_with=["uplift"], client_id="uplift")
    accepted = flow.authorize(asserted_login_identity=app.asserted_login_identity(), **params)

    assert "error=invalid_request" in refused["Location"]
    assert accepted["Location"].startswith(f"{NHS_APP_REDIRECT_URI}?code=")


def refusal(flow: SimulatorFlow, token: str) -> dict[str, str]:
    response = flow.authorize(prompt="none", asserted_login_identity=token)
    assert response.status_code == 302, response.content
    query = redirect_query(response["Location"])
    assert "code" not in query
    assert query["state"] == "state-123"
    assert query["error"] == "invalid_request"
    return query


def resigned(app: NhsApp, token: str, **changes: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return app.sign({name: value for name, value in claims.items() if value is not None})


@pytest.mark.parametrize(
    ("forge", "description"),
    [
        pytest.param(lambda app, token: "not-a-jwt", "not a JWT", id="not-a-jwt"),
        pytest.param(
            lambda app, token: jwt.encode(
                jwt.decode(token, options={"verify_signature": False}),
                app.private_key,
                algorithm="RS256",
            ),
            "must be signed RS512",
            id="rs256",
        ),
        pytest.param(
            lambda app, token: jwt.encode(
                jwt.decode(token, options={"verify_signature": False}), "s" * 64, algorithm="HS512"
            ),
            "must be signed RS512",
            id="hs512",
        ),
        pytest.param(
            lambda app, token: jwt.encode(
                jwt.decode(token, options={"verify_signature": False}),
                private_key_generate(),
                algorithm="RS512",
            ),
            "Signature verification failed",
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda app, token: app.sign(
                jwt.decode(token, options={"verify_signature": False}),
                headers={"kid": "unregistered"},
            ),
            "kid names no key registered",
            id="kid-not-registered",
        ),
        pytest.param(
            lambda app, token: resigned(app, token, iss="nobody"),
            "iss is not a registered client",
            id="iss-unknown",
        ),
        pytest.param(
            lambda app, token: resigned(app, token, iss=CLIENT_ID),
            "Signature verification failed",
            id="iss-another-client",
        ),
        pytest.param(lambda app, token: resigned(app, token, code=None), "code", id="no-code"),
        pytest.param(lambda app, token: resigned(app, token, jti=None), "jti", id="no-jti"),
        pytest.param(lambda app, token: resigned(app, token, iat=None), "iat", id="no-iat"),
        pytest.param(lambda app, token: resigned(app, token, exp=None), "exp", id="no-exp"),
        pytest.param(
            lambda app, token: resigned(
                app, token, exp=int(time.time()) + 61, iat=int(time.time())
            ),
            "longer than 60 seconds",
            id="lives-61-seconds",
        ),
        pytest.param(
            lambda app, token: resigned(
                app, token, iat=int(time.time()) - 61, exp=int(time.time()) - 1
            ),
            "expired",
            id="expired",
        ),
        pytest.param(
            lambda app, token: resigned(
                app, token, iat=int(time.time()) + 300, exp=int(time.time()) + 330
            ),
            "issued in the future",
            id="iat-in-the-future",
        ),
        pytest.param(
            lambda app, token: resigned(app, token, code="never-issued"),
            "not an ID token issued to the asserting client",
            id="code-never-issued",
        ),
    ],
)
def test_an_invalid_asserted_login_identity_is_an_invalid_request(
    flow: SimulatorFlow, nhs_app: NhsApp, forge: Any, description: str
) -> None:
    token = forge(nhs_app, nhs_app.asserted_login_identity())

    query = refusal(flow, token)

    assert description in query["error_description"]
    assert not AuthorizationCode.objects.filter(client__client_id=CLIENT_ID).exists()


def test_the_code_must_name_an_id_token_issued_to_the_asserting_client(
    flow: SimulatorFlow, nhs_app: NhsApp, exchange: Callable[..., Any]
) -> None:
    portal_id_token = exchange(code=flow.code_for()).json()["id_token"]
    portal_jti = jwt.decode(portal_id_token, options={"verify_signature": False})["jti"]
    assert IssuedIdToken.objects.filter(jti=portal_jti, client__client_id=CLIENT_ID).exists()

    query = refusal(flow, resigned(nhs_app, nhs_app.asserted_login_identity(), code=portal_jti))

    assert "not an ID token issued to the asserting client" in query["error_description"]


def test_the_id_token_named_must_still_be_valid(flow: SimulatorFlow, nhs_app: NhsApp) -> None:
    token = nhs_app.asserted_login_identity()
    IssuedIdToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    query = refusal(flow, token)

    assert "not an ID token issued to the asserting client" in query["error_description"]


def test_an_asserted_token_works_once_only(flow: SimulatorFlow, nhs_app: NhsApp) -> None:
    token = nhs_app.asserted_login_identity()
    assert flow.authorize(asserted_login_identity=token).status_code == 200  # consent screen

    query = refusal(flow, token)

    assert "used before" in query["error_description"]


def test_single_sign_on_must_be_set_up_between_the_two_clients(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    app = NhsApp.register(sso_with=[])

    query = refusal(flow, app.asserted_login_identity())

    assert "single sign-on is not set up" in query["error_description"]


def test_an_nhs_app_registered_with_a_jwk_signs_with_its_kid(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    app = NhsApp.register(sso_with=[CLIENT_ID], key_id="nhs-app-key-1")
    token = app.asserted_login_identity()

    assert jwt.get_unverified_header(token)["kid"] == "nhs-app-key-1"
    assert is_consent_page(flow.authorize(asserted_login_identity=token))
