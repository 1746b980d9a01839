"""/userinfo: the claims each scope releases at each proofing level (NHS login's "Scopes and
claims" table), and the errors as the Federation specification 3.6.2.2 shapes them: bearer
token errors in WWW-Authenticate (RFC 6750, section 3), others as a JSON body."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
import time_machine
from django.test import Client as HttpClient

from core.rsa_keys import b64url, jwk_thumbprint, private_key_generate, public_key_pem
from nhs_login_simulator.keys import current_signing_key
from nhs_login_simulator.models import Client
from nhs_login_simulator.tests.conftest import (
    BOTH_VTR,
    P0_VTR,
    P9_VTR,
    SimulatorFlow,
    redirect_query,
)
from nhs_login_simulator.users import SimulatedUser

USERINFO = "/nhs-login-simulator/userinfo"
ALL_SCOPES = (
    "openid profile profile_extended email phone landline "
    "gp_registration_details gp_integration_credentials"
)
P9_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
P5_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e03"
P0_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e04"
# What the GP system answers here (the gp_system fixture).
GP_CREDENTIALS = {
    "gp_user_id": "5100000001",
    "gp_linkage_key": "StubGpSystemKey",
    "gp_ods_code": "A12345",
}

Exchange = Callable[..., Any]


@pytest.fixture(autouse=True)
def gp_system(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The user's GP system, answered here, so these tests are about which scope releases
    what; the simulator asking a real one over HTTP is tested with the portal as the GP
    system (tests/test_simulator_gp_credentials.py). Lists the users it was asked about."""
    asked: list[str] = []

    def fetch(user: SimulatedUser, *, gp_system_unavailable: bool = False) -> dict[str, str]:
        asked.append(user.id)
        return dict(GP_CREDENTIALS)

    monkeypatch.setattr("nhs_login_simulator.claims.gp_credentials_fetch", fetch)
    return asked


def tokens_for(
    flow: SimulatorFlow, exchange: Exchange, user: str = "p9-demo-practice", **params: str
) -> dict[str, Any]:
    """Sign in as the test user and exchange the code: the token endpoint's JSON."""
    response = exchange(code=flow.code_for(user=user, **params))
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def userinfo_get(access_token: str) -> Any:
    return HttpClient().get(USERINFO, headers={"Authorization": f"Bearer {access_token}"})


def hidden_field(html: str, name: str) -> str:
    marker = f'name="{name}" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def assert_invalid_token(response: Any) -> None:
    """RFC 6750, section 3: the error in the challenge, none in the body."""
    assert response.status_code == 401
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer error="invalid_token", error_description="')
    assert challenge.count('"') == 4  # a description that cannot break out of its quotes
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


def assert_no_token(response: Any) -> None:
    """RFC 6750, section 3.1: a request with no bearer token gets the bare challenge."""
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("openid", {"sub": P9_SUB}, id="openid-only"),
        pytest.param(
            "openid profile",
            {
                "sub": P9_SUB,
                "nhs_number": "9990000018",
                "birthdate": "1985-03-05",
                "family_name": "Thompson",
                "identity_proofing_level": "P9",
            },
            id="profile",
        ),
        pytest.param(
            "openid basic_demographics",
            {
                "sub": P9_SUB,
                "birthdate": "1985-03-05",
                "family_name": "Thompson",
                "identity_proofing_level": "P9",
            },
            id="basic_demographics",
        ),
        pytest.param(
            "openid profile_extended", {"sub": P9_SUB, "given_name": "Ava"}, id="profile_extended"
        ),
        pytest.param(
            "openid email",
            {"sub": P9_SUB, "email": "ava.thompson@example.org", "email_verified": True},
            id="email",
        ),
        pytest.param(
            "openid phone",
            {
                "sub": P9_SUB,
                "phone_number": "+447700900001",
                "phone_number_verified": True,
                "phone_number_pds_matched": True,
            },
            id="phone",
        ),
        pytest.param(
            "openid landline",
            {
                "sub": P9_SUB,
                "landline_number": "+441632960001",
                "landline_number_verified": True,
            },
            id="landline",
        ),
        pytest.param(
            "openid gp_registration_details",
            {"sub": P9_SUB, "gp_registration_details": {"gp_ods_code": "A12345"}},
            id="gp_registration_details",
        ),
        pytest.param(
            "openid gp_integration_credentials",
            {"sub": P9_SUB, "gp_integration_credentials": GP_CREDENTIALS},
            id="gp_integration_credentials",
        ),
    ],
)
def test_releases_exactly_the_claims_of_each_scope(
    flow: SimulatorFlow, exchange: Exchange, scope: str, expected: dict[str, Any]
) -> None:
    tokens = tokens_for(flow, exchange, scope=scope)

    response = userinfo_get(tokens["access_token"])

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == expected


def test_userinfo_sub_equals_the_id_token_sub(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(flow, exchange, scope=ALL_SCOPES)
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})

    response = userinfo_get(tokens["access_token"])

    assert response.json()["sub"] == id_token["sub"] == P9_SUB


def test_ignores_scopes_it_does_not_know(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(flow, exchange, scope="openid made_up_scope email")

    response = userinfo_get(tokens["access_token"])

    assert response.json() == {
        "sub": P9_SUB,
        "email": "ava.thompson@example.org",
        "email_verified": True,
    }


def test_releases_verified_only_claims_to_a_p9_user(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = tokens_for(flow, exchange, scope=ALL_SCOPES)

    claims = userinfo_get(tokens["access_token"]).json()

    assert claims["identity_proofing_level"] == "P9"
    assert claims["given_name"] == "Ava"
    assert claims["gp_registration_details"] == {"gp_ods_code": "A12345"}
    assert claims["gp_integration_credentials"] == GP_CREDENTIALS


def test_releases_the_p5_claims_and_withholds_the_p9_only_one_from_a_p5_user(
    flow: SimulatorFlow, exchange: Exchange, gp_system: list[str]
) -> None:
    """P5 gets profile, profile_extended and gp_registration_details; gp_integration_credentials
    is P9 only ("Scopes and claims", the table and note 6)."""
    tokens = tokens_for(flow, exchange, user="p5-demo-practice", scope=ALL_SCOPES, vtr=BOTH_VTR)

    response = userinfo_get(tokens["access_token"])

    claims = response.json()
    assert claims["sub"] == P5_SUB
    assert claims["identity_proofing_level"] == "P5"
    assert claims["nhs_number"] == "9990000034"
    assert claims["family_name"] == "Evans"
    assert claims["birthdate"] == "2001-07-14"
    assert claims["given_name"] == "Chloe"
    assert claims["gp_registration_details"] == {"gp_ods_code": "A12345"}
    assert "gp_integration_credentials" not in claims
    assert gp_system == []  # not even asked
    assert b"null" not in response.content


def test_a_p5_user_gets_basic_demographics(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(
        flow, exchange, user="p5-demo-practice", scope="openid basic_demographics", vtr=BOTH_VTR
    )

    assert userinfo_get(tokens["access_token"]).json() == {
        "sub": P5_SUB,
        "birthdate": "2001-07-14",
        "family_name": "Evans",
        "identity_proofing_level": "P5",
    }


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param("openid profile", id="profile"),
        pytest.param("openid basic_demographics", id="basic_demographics"),
        pytest.param("openid profile_extended", id="profile_extended"),
        pytest.param("openid gp_registration_details", id="gp_registration_details"),
        pytest.param("openid gp_integration_credentials", id="gp_integration_credentials"),
    ],
)
def test_a_p0_user_gets_nothing_from_the_p5_and_p9_scopes(
    flow: SimulatorFlow, exchange: Exchange, scope: str
) -> None:
    tokens = tokens_for(flow, exchange, user="p0-unverified", scope=scope, vtr=P0_VTR)

    assert userinfo_get(tokens["access_token"]).json() == {"sub": P0_SUB}
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert "identity_proofing_level" not in id_token
    assert id_token["vot"] == "P0.Cp.Cd"


def test_a_p0_user_gets_the_email_phone_and_landline_scopes(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = tokens_for(
        flow, exchange, user="p0-unverified", scope="openid email phone landline", vtr=P0_VTR
    )

    assert userinfo_get(tokens["access_token"]).json() == {
        "sub": P0_SUB,
        "email": "dev.shah@example.org",
        "email_verified": True,
        "phone_number": "+447700900004",
        "phone_number_verified": True,
        "phone_number_pds_matched": False,
    }


def test_releases_verified_only_claims_after_a_p5_user_proves_who_they_are(
    flow: SimulatorFlow, exchange: Exchange, gp_system: list[str]
) -> None:
    step_up_page = flow.sign_in(user="p5-demo-practice", scope=ALL_SCOPES, vtr=P9_VTR)
    assert step_up_page.status_code == 200
    html = step_up_page.content.decode()
    confirmed = flow.share(
        flow.browser.post(
            "/nhs-login-simulator/authorize/prove-who-you-are",
            {"request": hidden_field(html, "request"), "pending": hidden_field(html, "pending")},
        )
    )
    assert confirmed.status_code == 302
    code = redirect_query(confirmed["Location"])["code"]

    tokens = exchange(code=code).json()
    claims = userinfo_get(tokens["access_token"]).json()

    assert claims["sub"] == P5_SUB
    assert claims["identity_proofing_level"] == "P9"
    assert claims["given_name"] == "Chloe"
    assert claims["gp_registration_details"] == {"gp_ods_code": "A12345"}
    assert claims["gp_integration_credentials"] == GP_CREDENTIALS
    assert gp_system == ["p5-demo-practice"]


def test_never_releases_gp_integration_credentials_to_a_client_without_im1(
    flow: SimulatorFlow, exchange: Exchange, registered_client: Client, gp_system: list[str]
) -> None:
    registered_client.im1_enabled = False
    registered_client.save()
    tokens = tokens_for(flow, exchange, scope=ALL_SCOPES)

    claims = userinfo_get(tokens["access_token"]).json()

    assert "gp_integration_credentials" not in claims
    assert gp_system == []
    assert claims["gp_registration_details"] == {"gp_ods_code": "A12345"}
    assert claims["given_name"] == "Ava"


def test_omits_nhs_number_for_a_user_without_one(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(flow, exchange, user="p5-no-nhs-number", scope="openid profile")

    response = userinfo_get(tokens["access_token"])

    assert response.json() == {
        "sub": "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e05",
        "birthdate": "1990-01-30",
        "family_name": "Walsh",
        "identity_proofing_level": "P5",
    }
    assert b"null" not in response.content
    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert "nhs_number" not in id_token


@pytest.mark.parametrize(
    ("user", "vtr", "level"),
    [
        pytest.param("p9-demo-practice", BOTH_VTR, "P9", id="p9"),
        pytest.param("p5-demo-practice", BOTH_VTR, "P5", id="p5"),
    ],
)
def test_identity_proofing_level_reflects_the_users_level(
    flow: SimulatorFlow, exchange: Exchange, user: str, vtr: str, level: str
) -> None:
    tokens = tokens_for(flow, exchange, user=user, scope="openid basic_demographics", vtr=vtr)

    claims = userinfo_get(tokens["access_token"]).json()

    assert claims["identity_proofing_level"] == level


def test_userinfo_is_never_cached(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile")

    response = userinfo_get(tokens["access_token"])

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_accepts_post_as_well_as_get(flow: SimulatorFlow, exchange: Exchange) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile email")

    response = HttpClient().post(
        USERINFO, headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == userinfo_get(tokens["access_token"]).json()
    assert response.json()["nhs_number"] == "9990000018"


def test_a_request_without_an_authorization_header_gets_the_bare_challenge(
    registered_client: Client,
) -> None:
    assert_no_token(HttpClient().get(USERINFO))


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda tokens: "", id="empty-header"),
        pytest.param(lambda tokens: "Bearer", id="bearer-without-token"),
        pytest.param(lambda tokens: "Bearer  ", id="bearer-with-blank-token"),
        pytest.param(lambda tokens: f"Basic {tokens['access_token']}", id="not-bearer"),
    ],
)
def test_a_request_without_a_bearer_token_gets_the_bare_challenge(
    flow: SimulatorFlow, exchange: Exchange, authorization: Callable[[dict[str, Any]], str]
) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile")

    response = HttpClient().get(USERINFO, headers={"Authorization": authorization(tokens)})

    assert_no_token(response)


@pytest.mark.parametrize(
    ("query", "form", "header"),
    [
        pytest.param(True, False, False, id="token-in-the-query"),
        pytest.param(False, True, False, id="token-in-the-form"),
        pytest.param(True, False, True, id="token-in-the-header-and-the-query"),
    ],
)
def test_a_token_sent_another_way_is_an_invalid_request_in_a_json_body(
    flow: SimulatorFlow, exchange: Exchange, query: bool, form: bool, header: bool
) -> None:
    """Not a bearer token error: JSON body, no WWW-Authenticate (Federation 3.6.2.2)."""
    access_token = tokens_for(flow, exchange, scope="openid profile")["access_token"]
    headers = {"Authorization": f"Bearer {access_token}"} if header else {}
    path = f"{USERINFO}?access_token={access_token}" if query else USERINFO

    response = HttpClient().post(
        path, {"access_token": access_token} if form else {}, headers=headers
    )

    assert response.status_code == 400
    assert "WWW-Authenticate" not in response
    assert response.json()["error"] == "invalid_request"
    assert response.json()["error_description"]
    assert response["Cache-Control"] == "no-store"
    assert "nhs_number" not in response.content.decode()


def signed_by_another_key(access_token: str, *, kid: str | None) -> str:
    """The same claims, signed RS512 by a key the simulator never published."""
    other_key = private_key_generate()
    claims = jwt.decode(access_token, options={"verify_signature": False})
    header_kid = kid if kid is not None else jwk_thumbprint(other_key.public_key())
    return jwt.encode(claims, other_key, algorithm="RS512", headers={"kid": header_kid})


def hs512_keyed_with_the_public_key(access_token: str) -> str:
    """The algorithm-confusion forgery: HMAC keyed with the provider's public key PEM."""
    signing_key = current_signing_key()
    claims = jwt.decode(access_token, options={"verify_signature": False})
    header = {"alg": "HS512", "typ": "JWT", "kid": signing_key.kid}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    public_pem = public_key_pem(signing_key.private_key.public_key()).encode()
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha512).digest()
    return signing_input + "." + b64url(signature)


def unsigned(access_token: str) -> str:
    claims = jwt.decode(access_token, options={"verify_signature": False})
    header = {"alg": "none", "typ": "JWT", "kid": current_signing_key().kid}
    return b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode()) + "."


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(lambda tokens: "Bearer not-a-jwt", id="garbage"),
        pytest.param(lambda tokens: "Bearer a.b.c", id="garbage-three-parts"),
        pytest.param(
            lambda tokens: "Bearer " + signed_by_another_key(tokens["access_token"], kid=None),
            id="signed-by-another-key",
        ),
        pytest.param(
            lambda tokens: (
                "Bearer "
                + signed_by_another_key(tokens["access_token"], kid=current_signing_key().kid)
            ),
            id="signed-by-another-key-with-a-published-kid",
        ),
        pytest.param(
            lambda tokens: "Bearer " + hs512_keyed_with_the_public_key(tokens["access_token"]),
            id="hs512-keyed-with-public-key",
        ),
        pytest.param(lambda tokens: "Bearer " + unsigned(tokens["access_token"]), id="alg-none"),
        pytest.param(lambda tokens: f"Bearer {tokens['id_token']}", id="id-token-not-access-token"),
        pytest.param(
            lambda tokens: f"Bearer {tokens['access_token'][:-4]}AAAA", id="signature-tampered"
        ),
    ],
)
def test_rejects_a_missing_malformed_or_forged_bearer_token(
    flow: SimulatorFlow, exchange: Exchange, authorization: Callable[[dict[str, Any]], str]
) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile")

    response = HttpClient().get(USERINFO, headers={"Authorization": authorization(tokens)})

    assert_invalid_token(response)
    assert "nhs_number" not in response.content.decode()


def test_rejects_an_access_token_after_its_five_minutes(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile")
    issued = datetime.now(UTC)

    with time_machine.travel(issued + timedelta(minutes=4), tick=False):
        still_valid = userinfo_get(tokens["access_token"])
    with time_machine.travel(issued + timedelta(minutes=6), tick=False):
        expired = userinfo_get(tokens["access_token"])

    assert still_valid.status_code == 200
    assert_invalid_token(expired)
    assert "expired" in expired["WWW-Authenticate"]


def test_rejects_a_token_without_openid_scope_as_insufficient_scope(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = tokens_for(flow, exchange, scope="openid profile")
    refreshed = exchange(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"], scope="profile"
    )
    assert refreshed.status_code == 200, refreshed.content
    access_token = refreshed.json()["access_token"]
    assert jwt.decode(access_token, options={"verify_signature": False})["scope"] == "profile"

    response = userinfo_get(access_token)

    assert response.status_code == 403
    assert response["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", '
        'error_description="The access token lacks the openid scope", scope="openid"'
    )
    assert response.content == b""
    assert response["Cache-Control"] == "no-store"
