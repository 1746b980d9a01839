"""The simulator's Provision Account interface (NHS login's "Interface Specification - Provision
Account" v1): client_credentials for provisioning clients, the request's rules, each answer,
the settings page's answers, and the claim journey to a P9 account that signs in."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client as HttpClient

from core.client_assertion import JWT_BEARER
from core.client_assertion_signing import client_assertion_sign
from core.rsa_keys import public_key_pem
from nhs_login_simulator.clients import ClientKey, provisioning_client_register
from nhs_login_simulator.models import Client, ProvisionedAccount, SentMessage
from nhs_login_simulator.provisioning import (
    ERROR_DESCRIPTIONS,
    UNABLE_TO_PROVISION_CODES,
    provisioning_answer_choose,
)
from nhs_login_simulator.tests.conftest import ISSUER, TOKEN_ENDPOINT
from nhs_login_simulator.users import simulated_user_authenticate, simulated_user_get

PROVISIONER = "test-provisioner"
ENDPOINT = "/nhs-login-simulator/provisioning/provision-account"
# Kai Jones: in the simulator's PDS stand-in, with no NHS login yet.
KAI = {
    "nhs_number": "9990000107",
    "email_address": "kai.jones@example.org",
    "date_of_birth": "1988-04-02",
    "ods_code": "A12345",
    "phone_number": "+447700900107",
}


@pytest.fixture
def provisioner(db: None, client_private_key: rsa.RSAPrivateKey) -> Client:
    client, _ = provisioning_client_register(
        client_id=PROVISIONER,
        name="Test GP system",
        key=ClientKey(public_key_pem(client_private_key.public_key())),
        ods_codes=["A12345", "B23456"],
    )
    return client


def _token_response(key: rsa.RSAPrivateKey, client_id: str = PROVISIONER) -> Any:
    return HttpClient().post(
        "/nhs-login-simulator/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion_sign(
                private_key=key, client_id=client_id, audience=TOKEN_ENDPOINT
            ),
        },
    )


@pytest.fixture
def bearer(provisioner: Client, client_private_key: rsa.RSAPrivateKey) -> str:
    response = _token_response(client_private_key)
    assert response.status_code == 200, response.content
    token: str = response.json()["access_token"]
    return token


def _provision(bearer: str, **overrides: Any) -> Any:
    body = {**KAI, **overrides}
    return HttpClient().post(
        ENDPOINT,
        json.dumps({k: v for k, v in body.items() if v is not None}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {bearer}"},
    )


def test_client_credentials_gives_a_300_second_bearer_token_not_cached(
    provisioner: Client, client_private_key: rsa.RSAPrivateKey
) -> None:
    response = _token_response(client_private_key)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


def test_a_client_not_registered_for_provisioning_gets_unauthorized_client(
    registered_client: Client, client_private_key: rsa.RSAPrivateKey
) -> None:
    response = _token_response(client_private_key, client_id=registered_client.client_id)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_a_new_person_gets_create_and_an_email_with_the_claim_link(bearer: str) -> None:
    response = _provision(bearer)
    assert response.status_code == 200
    assert response.json() == {"code": "create", "description": "User able to create a new account"}
    email = SentMessage.objects.get(channel="email")
    assert email.recipient == KAI["email_address"]
    assert email.link.startswith(f"{ISSUER}/provisioning/claim/")


def test_a_p5_account_found_by_email_gets_uplift(bearer: str) -> None:
    response = _provision(
        bearer,
        nhs_number="9990000034",
        email_address="chloe.evans@example.org",
        date_of_birth="2001-07-14",
    )
    assert response.status_code == 200
    assert response.json()["code"] == "uplift"
    assert ProvisionedAccount.objects.get().existing_user_id == "p5-demo-practice"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        pytest.param({"nhs_number": "9990000108"}, "11010", id="check-digit"),
        pytest.param({"email_address": "not-an-email"}, "11010", id="email"),
        pytest.param({"date_of_birth": "1993-17-12"}, "11010", id="the-spec-example-date"),
        pytest.param({"date_of_birth": "02/04/1988"}, "11010", id="date-format"),
        pytest.param({"phone_number": "07700900107"}, "11010", id="no-country-code"),
        pytest.param({"ods_code": None}, "11010", id="missing"),
        pytest.param({"ods_code": "C34567"}, "11021", id="ods-not-registered"),
        pytest.param({"nhs_number": "9990000115"}, "11001", id="not-in-pds"),
        pytest.param({"date_of_birth": "1988-04-03"}, "11002", id="pds-date-differs"),
        pytest.param(
            {"nhs_number": "9990000018", "date_of_birth": "1985-03-05"}, "11005", id="already-p9"
        ),
        pytest.param({"email_address": "ava.thompson@example.org"}, "11004", id="email-in-use"),
    ],
)
def test_each_refusal_has_its_code_and_the_specification_s_description(
    bearer: str, overrides: dict[str, Any], code: str
) -> None:
    response = _provision(bearer, **overrides)
    assert response.status_code == 400
    assert response.json() == {"code": code, "description": ERROR_DESCRIPTIONS[code]}
    assert not ProvisionedAccount.objects.exists()
    assert not SentMessage.objects.exists()


def test_a_second_request_within_7_days_gets_11003(bearer: str) -> None:
    assert _provision(bearer).status_code == 200
    response = _provision(bearer)
    assert response.json()["code"] == "11003"
    assert ProvisionedAccount.objects.count() == 1


def test_a_body_that_is_not_json_gets_11010(bearer: str) -> None:
    response = HttpClient().post(
        ENDPOINT,
        "nhs_number=9990000107",
        content_type="text/plain",
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert response.json()["code"] == "11010"


def test_no_bearer_token_or_a_sign_in_access_token_is_refused(provisioner: Client) -> None:
    response = HttpClient().post(ENDPOINT, json.dumps(KAI), content_type="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    response = _provision("not-a-token")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


@pytest.mark.parametrize("code", [*ERROR_DESCRIPTIONS])
def test_the_settings_page_makes_every_request_get_the_code_chosen(bearer: str, code: str) -> None:
    page = HttpClient().post("/nhs-login-simulator/provisioning/settings", {"answer": code})
    assert page.status_code == 302
    response = _provision(bearer)
    assert response.status_code == 400
    assert response.json() == {"code": code, "description": ERROR_DESCRIPTIONS[code]}
    assert not ProvisionedAccount.objects.exists()


def test_every_unable_to_provision_code_is_offered(db: None) -> None:
    page = HttpClient().get("/nhs-login-simulator/provisioning/settings")
    for code in UNABLE_TO_PROVISION_CODES:
        assert f'value="{code}"' in page.content.decode()


def test_an_answer_the_settings_page_does_not_offer_is_refused(db: None) -> None:
    page = HttpClient().post("/nhs-login-simulator/provisioning/settings", {"answer": "99999"})
    assert page.status_code == 400
    assert "Choose an answer" in page.content.decode()


def test_a_token_endpoint_failure_can_be_chosen(
    provisioner: Client, client_private_key: rsa.RSAPrivateKey
) -> None:
    provisioning_answer_choose("token_server_error")
    assert _token_response(client_private_key).status_code == 500


NEW_PASSWORD = "a-new-password-1"


def _claim(link: str, http: HttpClient, password: str = NEW_PASSWORD) -> Any:
    path = link.removeprefix("http://testserver")
    assert http.post(path).status_code == 200
    sms = SentMessage.objects.filter(channel="sms").first()
    assert sms is not None
    passcode = re.search(r"\b(\d{6})\b", sms.body)
    assert passcode is not None
    entered = http.post(f"{path}/passcode", {"passcode": passcode.group(1)})
    assert entered.status_code == 200
    verified = re.search(r'name="verified" value="([^"]+)"', entered.content.decode())
    assert verified is not None
    return http.post(
        f"{path}/password",
        {"verified": verified.group(1), "password": password, "password_again": password},
    )


def test_a_claimed_account_signs_in_at_p9_with_the_practice_s_details(bearer: str) -> None:
    _provision(bearer)
    link = SentMessage.objects.get(channel="email").link
    done = _claim(link, HttpClient())
    assert done.status_code == 200
    assert "Your NHS login is ready" in done.content.decode()
    user = simulated_user_authenticate(KAI["email_address"], NEW_PASSWORD)
    assert user is not None
    assert user.identity_proofing_level == "P9"
    assert user.claims["nhs_number"] == KAI["nhs_number"]
    assert user.claims["family_name"] == "Jones"
    assert user.claims["gp_registration_details"] == {"gp_ods_code": "A12345"}
    # Claimed once: the link is spent, and the person now has a P9 account.
    assert HttpClient().get(link.removeprefix("http://testserver")).status_code == 400
    assert _provision(bearer).json()["code"] == "11005"


def test_an_uplifted_p5_user_is_p9_after_entering_their_own_password(bearer: str) -> None:
    _provision(
        bearer,
        nhs_number="9990000034",
        email_address="chloe.evans@example.org",
        date_of_birth="2001-07-14",
    )
    link = SentMessage.objects.get(channel="email").link
    assert _claim(link, HttpClient(), password="simulator-p5").status_code == 200
    user = simulated_user_get("p5-demo-practice")
    assert user is not None
    assert user.identity_proofing_level == "P9"


def test_a_wrong_passcode_is_refused_and_three_tries_spend_it(bearer: str) -> None:
    _provision(bearer)
    path = SentMessage.objects.get(channel="email").link.removeprefix("http://testserver")
    http = HttpClient()
    http.post(path)
    for _ in range(3):
        response = http.post(f"{path}/passcode", {"passcode": "000000x"})
        assert response.status_code == 400
    sms = SentMessage.objects.get(channel="sms")
    passcode = re.search(r"\b(\d{6})\b", sms.body)
    assert passcode is not None
    assert http.post(f"{path}/passcode", {"passcode": passcode.group(1)}).status_code == 400
    assert ProvisionedAccount.objects.get().claimed_at is None


def test_a_short_or_mismatched_password_is_refused_and_nothing_is_claimed(bearer: str) -> None:
    _provision(bearer)
    link = SentMessage.objects.get(channel="email").link
    response = _claim(link, HttpClient(), password="short")
    assert response.status_code == 400
    assert "8 characters or more" in response.content.decode()
    assert ProvisionedAccount.objects.get().claimed_at is None


def test_the_messages_page_shows_the_email_and_its_link(bearer: str) -> None:
    _provision(bearer)
    page = HttpClient().get("/nhs-login-simulator/provisioning/messages")
    assert page.status_code == 200
    assert SentMessage.objects.get().link in page.content.decode()
