"""Injected faults: each one breaks exactly one thing, so a relying party can prove it refuses
that thing (nhs_login_simulator/faults.py; Federation specification 4)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client as HttpClient
from django.test.utils import override_settings

from core.rsa_keys import b64url, public_key_pem
from nhs_login_simulator.faults import Fault
from nhs_login_simulator.models import Client
from nhs_login_simulator.tests.conftest import (
    BOTH_VTR,
    CLIENT_ID,
    ISSUER,
    SimulatorFlow,
    redirect_query,
)
from nhs_login_simulator.vectors import ALLOWED_VECTORS
from nhs_login_simulator.views.back_channel import ConnectionDroppedError

SLOW_SECONDS = 0.3
NONCE = "nonce-456"
REQUESTED_VTR = json.loads(BOTH_VTR)
P9_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
ID_TOKEN_LIFETIME = 3600
ACCESS_TOKEN_LIFETIME = 300
CLOCK_LEEWAY = 30

Exchange = Callable[..., Any]


class Rule(StrEnum):
    """A check the Federation specification (section 4) asks a relying party to make of an ID token.
    Each claim fault breaks one; every other must still hold."""

    ISSUER = "iss"
    AUDIENCE = "aud"
    NONCE = "nonce"
    EXPIRY = "exp"
    ISSUED_AT = "iat"
    VECTOR = "vot"


@pytest.fixture(autouse=True)
def _slow_faults_are_quick() -> Iterator[None]:
    with override_settings(NHS_LOGIN_SIMULATOR_SLOW_SECONDS=SLOW_SECONDS):
        yield


@dataclass
class Outcome:
    """What a relying party sees when it finishes a sign-in: the token endpoint's answer and,
    when that carried an access token, the userinfo endpoint's."""

    token_response: Any
    token_seconds: float
    userinfo_response: Any | None
    userinfo_seconds: float

    @property
    def tokens(self) -> dict[str, Any]:
        assert self.token_response.status_code == 200, self.token_response.content
        body: dict[str, Any] = self.token_response.json()
        return body

    @property
    def id_token(self) -> str:
        token: str = self.tokens["id_token"]
        return token

    @property
    def userinfo(self) -> Any:
        assert self.userinfo_response is not None
        return self.userinfo_response


def sign_in_and_exchange(
    flow: SimulatorFlow, exchange: Exchange, fault: str = "", **params: str
) -> Outcome:
    code = flow.code_for(fault=fault, **params)
    started = time.monotonic()
    token_response = exchange(code=code)
    token_seconds = time.monotonic() - started
    userinfo_response = None
    userinfo_seconds = 0.0
    if token_response["Content-Type"] == "application/json" and token_response.status_code == 200:
        started = time.monotonic()
        userinfo_response = HttpClient().get(
            "/nhs-login-simulator/userinfo",
            headers={"Authorization": f"Bearer {token_response.json()['access_token']}"},
        )
        userinfo_seconds = time.monotonic() - started
    return Outcome(token_response, token_seconds, userinfo_response, userinfo_seconds)


def published_keys() -> dict[str, rsa.RSAPublicKey]:
    """The simulator's JWKS, as a relying party fetches it, by kid."""
    response = HttpClient().get("/nhs-login-simulator/.well-known/jwks.json")
    assert response.status_code == 200
    keys: dict[str, rsa.RSAPublicKey] = {}
    for jwk in response.json()["keys"]:
        public_key = jwt.PyJWK(jwk).key
        assert isinstance(public_key, rsa.RSAPublicKey)
        keys[jwk["kid"]] = public_key
    return keys


def published_key_for(token: str) -> rsa.RSAPublicKey:
    kid = jwt.get_unverified_header(token)["kid"]
    return published_keys()[kid]


def unverified_claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def assert_signed_rs512_by_published_key(token: str) -> None:
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS512"
    assert header.get("typ") == "JWT"
    assert header["kid"] in published_keys()
    assert not {"jku", "jwk", "x5u", "x5c"} & set(header)
    jwt.decode(
        token,
        published_key_for(token),
        algorithms=["RS512"],
        options={
            "verify_signature": True,
            "verify_exp": False,
            "verify_iat": False,
            "verify_aud": False,
            "verify_iss": False,
        },
    )


def assert_claims_valid(claims: dict[str, Any], *, except_for: Rule | None = None) -> None:
    """Every rule the Federation specification asks a relying party to check, but the one named."""
    now = int(time.time())
    if except_for != Rule.ISSUER:
        assert claims["iss"] == ISSUER
    if except_for != Rule.AUDIENCE:
        assert claims["aud"] == CLIENT_ID
        assert "azp" not in claims
    if except_for != Rule.NONCE:
        assert claims["nonce"] == NONCE
    if except_for != Rule.EXPIRY:
        assert claims["exp"] > now
    if except_for != Rule.ISSUED_AT:
        assert claims["iat"] <= now + CLOCK_LEEWAY
    if except_for not in (Rule.EXPIRY, Rule.ISSUED_AT):
        assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME
    if except_for != Rule.VECTOR:
        assert claims["vot"] in REQUESTED_VTR
    assert claims["sub"] == P9_SUB
    assert claims["vtm"]
    assert claims["jti"]
    assert claims["auth_time"] <= now
    assert claims["nhs_number"] == "9990000018"


def assert_id_token_valid(outcome: Outcome) -> None:
    assert_signed_rs512_by_published_key(outcome.id_token)
    assert_claims_valid(unverified_claims(outcome.id_token))


def assert_userinfo_valid(outcome: Outcome) -> None:
    assert outcome.userinfo.status_code == 200
    assert outcome.userinfo.json()["sub"] == unverified_claims(outcome.id_token)["sub"]


# The ID token faults. Each asserts the defect, then that nothing else is wrong.


def alg_none(outcome: Outcome) -> None:
    header_segment, _claims_segment, signature = outcome.id_token.split(".")
    assert json.loads(jwt.utils.base64url_decode(header_segment)) == {"alg": "none", "typ": "JWT"}
    assert signature == ""
    assert_claims_valid(unverified_claims(outcome.id_token))
    assert_userinfo_valid(outcome)


def hs512_keyed_with(secret: Callable[[dict[str, Any]], bytes]) -> Callable[[Outcome], None]:
    """An HMAC token keyed with a public value, ``secret`` of the token's header."""

    def check(outcome: Outcome) -> None:
        header = jwt.get_unverified_header(outcome.id_token)
        assert header["alg"] == "HS512"
        signing_input, _, signature = outcome.id_token.rpartition(".")
        expected = hmac.new(secret(header), signing_input.encode(), hashlib.sha512).digest()
        assert signature == b64url(expected)
        assert_claims_valid(unverified_claims(outcome.id_token))
        assert_userinfo_valid(outcome)

    return check


def _provider_public_pem(header: dict[str, Any]) -> bytes:
    return public_key_pem(published_keys()[header["kid"]]).encode()


def _client_public_pem(header: dict[str, Any]) -> bytes:
    return Client.objects.get(client_id=CLIENT_ID).public_key_pem.encode()


def rs256(outcome: Outcome) -> None:
    header = jwt.get_unverified_header(outcome.id_token)
    assert header["alg"] == "RS256"
    claims = jwt.decode(
        outcome.id_token,
        published_keys()[header["kid"]],
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=ISSUER,
    )
    assert_claims_valid(claims)
    assert_userinfo_valid(outcome)


def unknown_kid(outcome: Outcome) -> None:
    header = jwt.get_unverified_header(outcome.id_token)
    assert header["alg"] == "RS512"
    assert header["kid"]
    assert header["kid"] not in published_keys()
    for public_key in published_keys().values():
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(outcome.id_token, public_key, algorithms=["RS512"], audience=CLIENT_ID)
    assert_claims_valid(unverified_claims(outcome.id_token))
    assert_userinfo_valid(outcome)


def bad_signature(outcome: Outcome) -> None:
    header = jwt.get_unverified_header(outcome.id_token)
    assert header["alg"] == "RS512"
    assert header["kid"] in published_keys()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(
            outcome.id_token,
            published_keys()[header["kid"]],
            algorithms=["RS512"],
            audience=CLIENT_ID,
        )
    assert_claims_valid(unverified_claims(outcome.id_token))
    assert_userinfo_valid(outcome)


def header_pointing_elsewhere(name: str) -> Callable[[Outcome], None]:
    """A token properly signed, whose header names a key location (jku, x5u) off the issuer."""

    def check(outcome: Outcome) -> None:
        header = jwt.get_unverified_header(outcome.id_token)
        assert header[name].startswith("https://")
        assert not header[name].startswith(ISSUER)
        claims = jwt.decode(
            outcome.id_token,
            published_keys()[header["kid"]],
            algorithms=["RS512"],
            audience=CLIENT_ID,
            issuer=ISSUER,
        )
        assert_claims_valid(claims)
        assert_userinfo_valid(outcome)

    return check


def id_token_defect(
    check: Callable[[dict[str, Any]], None], rule: Rule
) -> Callable[[Outcome], None]:
    """A fault in the ID token's claims: the signature is sound, one claim is wrong."""

    def assert_defect(outcome: Outcome) -> None:
        assert_signed_rs512_by_published_key(outcome.id_token)
        claims = unverified_claims(outcome.id_token)
        check(claims)
        assert_claims_valid(claims, except_for=rule)
        assert_userinfo_valid(outcome)

    return assert_defect


def wrong_iss(claims: dict[str, Any]) -> None:
    assert claims["iss"] != ISSUER
    assert claims["iss"].startswith("https://")


def wrong_aud(claims: dict[str, Any]) -> None:
    assert claims["aud"] != CLIENT_ID
    assert CLIENT_ID not in claims["aud"]


def wrong_azp(claims: dict[str, Any]) -> None:
    assert isinstance(claims["aud"], list)
    assert CLIENT_ID in claims["aud"]
    assert len(claims["aud"]) > 1
    assert claims["azp"] != CLIENT_ID


def wrong_nonce(claims: dict[str, Any]) -> None:
    assert claims["nonce"]
    assert claims["nonce"] != NONCE


def no_nonce(claims: dict[str, Any]) -> None:
    assert "nonce" not in claims


def expired(claims: dict[str, Any]) -> None:
    now = int(time.time())
    assert claims["exp"] < now - CLOCK_LEEWAY
    assert claims["iat"] < claims["exp"]


def iat_in_future(claims: dict[str, Any]) -> None:
    now = int(time.time())
    assert claims["iat"] > now + CLOCK_LEEWAY
    assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME


def vot_not_requested(claims: dict[str, Any]) -> None:
    assert claims["vot"]
    assert claims["vot"] not in REQUESTED_VTR


def no_vot(claims: dict[str, Any]) -> None:
    assert "vot" not in claims
    assert claims["vtm"]


# The endpoint faults.


def assert_server_error(response: Any) -> None:
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert response["Cache-Control"] == "no-store"


def assert_html_not_json(response: Any) -> None:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def token_slow(outcome: Outcome) -> None:
    assert outcome.token_seconds >= SLOW_SECONDS
    assert outcome.token_response.status_code == 200
    assert_id_token_valid(outcome)
    assert_userinfo_valid(outcome)


def token_server_error(outcome: Outcome) -> None:
    assert_server_error(outcome.token_response)
    assert outcome.userinfo_response is None


def token_not_json(outcome: Outcome) -> None:
    assert_html_not_json(outcome.token_response)
    assert outcome.userinfo_response is None


def userinfo_slow(outcome: Outcome) -> None:
    assert_id_token_valid(outcome)
    assert outcome.token_seconds < SLOW_SECONDS
    assert outcome.userinfo_seconds >= SLOW_SECONDS
    assert_userinfo_valid(outcome)


def userinfo_server_error(outcome: Outcome) -> None:
    assert_id_token_valid(outcome)
    assert_server_error(outcome.userinfo)


def userinfo_not_json(outcome: Outcome) -> None:
    assert_id_token_valid(outcome)
    assert_html_not_json(outcome.userinfo)


def userinfo_sub_mismatch(outcome: Outcome) -> None:
    assert_id_token_valid(outcome)
    assert outcome.userinfo.status_code == 200
    userinfo = outcome.userinfo.json()
    id_token = unverified_claims(outcome.id_token)
    assert userinfo["sub"]
    assert userinfo["sub"] != id_token["sub"]
    assert userinfo["nhs_number"] == id_token["nhs_number"]


def gp_system_unavailable(outcome: Outcome) -> None:
    """Userinfo answers as ever, less the one claim the GP system would have given."""
    assert_id_token_valid(outcome)
    assert_userinfo_valid(outcome)
    userinfo = outcome.userinfo.json()
    assert "gp_integration_credentials" not in userinfo
    assert userinfo["gp_registration_details"] == {"gp_ods_code": "A12345"}


def jwk_header(outcome: Outcome) -> None:
    """Signed by the key in its own header, which the provider never published."""
    header = jwt.get_unverified_header(outcome.id_token)
    embedded = jwt.PyJWK(header["jwk"], algorithm="RS512")
    assert header["kid"] not in published_keys()
    claims = jwt.decode(
        outcome.id_token, embedded.key, algorithms=["RS512"], audience=CLIENT_ID, issuer=ISSUER
    )
    assert_claims_valid(claims)
    assert_userinfo_valid(outcome)


FAULT_CASES = [
    pytest.param(Fault.TOKEN_SLOW, token_slow, id="token-slow"),
    pytest.param(Fault.TOKEN_SERVER_ERROR, token_server_error, id="token-500"),
    pytest.param(Fault.TOKEN_NOT_JSON, token_not_json, id="token-html-not-json"),
    pytest.param(Fault.USERINFO_SLOW, userinfo_slow, id="userinfo-slow"),
    pytest.param(Fault.USERINFO_SERVER_ERROR, userinfo_server_error, id="userinfo-500"),
    pytest.param(Fault.USERINFO_NOT_JSON, userinfo_not_json, id="userinfo-html-not-json"),
    pytest.param(Fault.USERINFO_SUB_MISMATCH, userinfo_sub_mismatch, id="userinfo-sub-mismatch"),
    pytest.param(Fault.GP_SYSTEM_UNAVAILABLE, gp_system_unavailable, id="gp-system-unavailable"),
    pytest.param(Fault.ID_TOKEN_ALG_NONE, alg_none, id="id-token-alg-none"),
    pytest.param(
        Fault.ID_TOKEN_HS512_WITH_PUBLIC_KEY,
        hs512_keyed_with(_provider_public_pem),
        id="id-token-hs512-public-key",
    ),
    pytest.param(
        Fault.ID_TOKEN_HS512_WITH_CLIENT_KEY,
        hs512_keyed_with(_client_public_pem),
        id="id-token-hs512-client-key",
    ),
    pytest.param(Fault.ID_TOKEN_RS256, rs256, id="id-token-rs256"),
    pytest.param(Fault.ID_TOKEN_UNKNOWN_KID, unknown_kid, id="id-token-kid-not-in-jwks"),
    pytest.param(Fault.ID_TOKEN_BAD_SIGNATURE, bad_signature, id="id-token-bad-signature"),
    pytest.param(
        Fault.ID_TOKEN_JKU_HEADER, header_pointing_elsewhere("jku"), id="id-token-jku-header"
    ),
    pytest.param(
        Fault.ID_TOKEN_X5U_HEADER, header_pointing_elsewhere("x5u"), id="id-token-x5u-header"
    ),
    pytest.param(Fault.ID_TOKEN_JWK_HEADER, jwk_header, id="id-token-jwk-header"),
    pytest.param(
        Fault.ID_TOKEN_WRONG_ISS, id_token_defect(wrong_iss, Rule.ISSUER), id="id-token-wrong-iss"
    ),
    pytest.param(
        Fault.ID_TOKEN_WRONG_AUD, id_token_defect(wrong_aud, Rule.AUDIENCE), id="id-token-wrong-aud"
    ),
    pytest.param(
        Fault.ID_TOKEN_WRONG_AZP, id_token_defect(wrong_azp, Rule.AUDIENCE), id="id-token-wrong-azp"
    ),
    pytest.param(
        Fault.ID_TOKEN_WRONG_NONCE,
        id_token_defect(wrong_nonce, Rule.NONCE),
        id="id-token-wrong-nonce",
    ),
    pytest.param(
        Fault.ID_TOKEN_NO_NONCE, id_token_defect(no_nonce, Rule.NONCE), id="id-token-no-nonce"
    ),
    pytest.param(
        Fault.ID_TOKEN_EXPIRED, id_token_defect(expired, Rule.EXPIRY), id="id-token-expired"
    ),
    pytest.param(
        Fault.ID_TOKEN_IAT_IN_FUTURE,
        id_token_defect(iat_in_future, Rule.ISSUED_AT),
        id="id-token-iat-in-future",
    ),
    pytest.param(
        Fault.ID_TOKEN_VOT_NOT_REQUESTED,
        id_token_defect(vot_not_requested, Rule.VECTOR),
        id="id-token-vot-not-requested",
    ),
    pytest.param(Fault.ID_TOKEN_NO_VOT, id_token_defect(no_vot, Rule.VECTOR), id="id-token-no-vot"),
]


@pytest.mark.parametrize(("fault", "assert_injected"), FAULT_CASES)
def test_injects_exactly_the_fault_chosen_at_sign_in(
    flow: SimulatorFlow,
    exchange: Exchange,
    fault: Fault,
    assert_injected: Callable[[Outcome], None],
) -> None:
    outcome = sign_in_and_exchange(flow, exchange, fault=fault.value)

    assert_injected(outcome)


def test_token_endpoint_dropping_the_connection_answers_nothing(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    code = flow.code_for(fault=Fault.TOKEN_CONNECTION_DROPPED.value)

    with pytest.raises(ConnectionDroppedError):
        exchange(code=code)


def test_userinfo_endpoint_dropping_the_connection_answers_nothing(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = exchange(code=flow.code_for(fault=Fault.USERINFO_CONNECTION_DROPPED.value))
    assert tokens.status_code == 200

    with pytest.raises(ConnectionDroppedError):
        HttpClient().get(
            "/nhs-login-simulator/userinfo",
            headers={"Authorization": f"Bearer {tokens.json()['access_token']}"},
        )


# Over a real connection (the live server), tests/security/test_provider_faults.py.
CONNECTION_FAULTS = {Fault.TOKEN_CONNECTION_DROPPED, Fault.USERINFO_CONNECTION_DROPPED}
# Proved here byte by byte, and over real HTTP against the portal in
# tests/security/test_slow_provider.py.
DRIP_FAULTS = {Fault.TOKEN_DRIP, Fault.USERINFO_DRIP}


def _dripped(response: Any, *, interval: float) -> bytes:
    assert response.streaming
    started = time.monotonic()
    chunks = list(response.streaming_content)
    assert {len(chunk) for chunk in chunks} == {1}
    assert time.monotonic() - started >= interval * (len(chunks) - 1)
    return b"".join(chunks)


def test_a_drip_fault_sends_the_real_answer_one_byte_at_a_time(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    interval = 0.0005
    with override_settings(NHS_LOGIN_SIMULATOR_DRIP_SECONDS=interval):
        token_response = exchange(code=flow.code_for(fault=Fault.TOKEN_DRIP))
        tokens = json.loads(_dripped(token_response, interval=interval))
        outcome = sign_in_and_exchange(flow, exchange, fault=Fault.USERINFO_DRIP)
        userinfo_response = outcome.userinfo_response
        assert userinfo_response is not None
        claims = json.loads(_dripped(userinfo_response, interval=interval))

    assert token_response.status_code == 200
    assert token_response["Content-Type"] == "application/json"
    assert token_response["Cache-Control"] == "no-store"
    assert isinstance(tokens["id_token"], str)
    assert isinstance(tokens["access_token"], str)
    assert userinfo_response.status_code == 200
    assert claims["sub"] == unverified_claims(outcome.id_token)["sub"]


def test_gp_system_unavailable_leaves_out_what_the_gp_system_would_give(
    flow: SimulatorFlow, exchange: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The GP system is known and would answer, but the fault takes it to be down: it is not
    asked (over HTTP with the portal as the GP system: tests/test_simulator_gp_credentials.py)."""
    asked: list[str] = []

    def answer(base_url: str, patient: Any) -> tuple[dict[str, str], str]:
        asked.append(base_url)
        return {"gp_user_id": "5100000001", "gp_linkage_key": "k" * 15, "gp_ods_code": "A12345"}, ""

    monkeypatch.setattr("nhs_login_simulator.gp_credentials._retrieved_or_created", answer)
    with override_settings(NHS_LOGIN_SIMULATOR_GP_SYSTEMS={"A12345": "http://gp-system.invalid"}):
        working = sign_in_and_exchange(flow, exchange).userinfo.json()
        faulty = sign_in_and_exchange(flow, exchange, fault=Fault.GP_SYSTEM_UNAVAILABLE)

    assert working["gp_integration_credentials"]["gp_user_id"] == "5100000001"
    assert "gp_integration_credentials" not in faulty.userinfo.json()
    assert asked == ["http://gp-system.invalid"]


def test_fault_table_covers_every_fault() -> None:
    covered = {case.values[0] for case in FAULT_CASES} | CONNECTION_FAULTS | DRIP_FAULTS

    assert covered == set(Fault) - {Fault.NONE}


def test_no_fault_gives_a_fully_valid_id_token(flow: SimulatorFlow, exchange: Exchange) -> None:
    outcome = sign_in_and_exchange(flow, exchange)

    token = outcome.id_token
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS512", "typ": "JWT", "kid": header["kid"]}
    claims = jwt.decode(
        token,
        published_keys()[header["kid"]],
        algorithms=["RS512"],
        audience=CLIENT_ID,
        issuer=ISSUER,
        options={"require": ["iss", "sub", "aud", "exp", "iat", "jti", "auth_time", "nonce"]},
    )
    assert claims["nonce"] == NONCE
    assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME
    assert claims["vot"] in REQUESTED_VTR
    assert claims["vot"] == "P9.Cp.Cd"
    assert claims["vtm"].startswith("http")
    assert claims["jti"]
    assert claims["auth_time"] <= claims["iat"]
    assert_claims_valid(claims)
    assert_userinfo_valid(outcome)


def test_no_fault_gives_a_five_minute_access_token(flow: SimulatorFlow, exchange: Exchange) -> None:
    outcome = sign_in_and_exchange(flow, exchange)

    tokens = outcome.tokens
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == ACCESS_TOKEN_LIFETIME
    access = jwt.decode(
        tokens["access_token"],
        published_key_for(tokens["access_token"]),
        algorithms=["RS512"],
        audience=CLIENT_ID,
        issuer=ISSUER,
    )
    assert access["exp"] - access["iat"] == ACCESS_TOKEN_LIFETIME
    assert "simulator_fault" not in access
    assert outcome.token_response["Cache-Control"] == "no-store"


def test_setting_applies_a_fault_to_every_flow(flow: SimulatorFlow, exchange: Exchange) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_FAULT=Fault.ID_TOKEN_WRONG_NONCE.value):
        first = exchange(code=flow.code_for()).json()
        # The browser now has an NHS login session: the second flow signs in silently.
        silent = flow.authorize(prompt="none", nonce="nonce-789")
        assert silent.status_code == 302
        second = exchange(code=redirect_query(silent["Location"])["code"]).json()

    assert unverified_claims(first["id_token"])["nonce"] != NONCE
    assert unverified_claims(second["id_token"])["nonce"] != "nonce-789"


def test_setting_applies_a_userinfo_fault(flow: SimulatorFlow, exchange: Exchange) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_FAULT=Fault.USERINFO_SERVER_ERROR.value):
        outcome = sign_in_and_exchange(flow, exchange, prompt="login")

    assert_id_token_valid(outcome)
    assert_server_error(outcome.userinfo)


def test_fault_chosen_at_sign_in_wins_over_the_setting(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_FAULT=Fault.ID_TOKEN_WRONG_NONCE.value):
        outcome = sign_in_and_exchange(flow, exchange, fault=Fault.ID_TOKEN_NO_VOT.value)

    claims = unverified_claims(outcome.id_token)
    assert "vot" not in claims
    assert claims["nonce"] == NONCE


def test_fault_chosen_at_sign_in_stays_with_the_refresh_token(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    outcome = sign_in_and_exchange(flow, exchange, fault=Fault.ID_TOKEN_WRONG_ISS.value)

    refreshed = exchange(grant_type="refresh_token", refresh_token=outcome.tokens["refresh_token"])

    assert refreshed.status_code == 200
    assert unverified_claims(refreshed.json()["id_token"])["iss"] != ISSUER


def test_fault_chosen_at_sign_in_does_not_leak_into_the_next_flow(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    sign_in_and_exchange(flow, exchange, fault=Fault.ID_TOKEN_WRONG_ISS.value)

    outcome = sign_in_and_exchange(flow, exchange, prompt="login")

    assert_id_token_valid(outcome)


def test_vot_not_requested_fault_works_when_every_vector_was_requested(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    every_vector = sorted(ALLOWED_VECTORS)
    code = flow.code_for(fault=Fault.ID_TOKEN_VOT_NOT_REQUESTED.value, vtr=json.dumps(every_vector))

    response = exchange(code=code)

    assert response.status_code == 200
    claims = unverified_claims(response.json()["id_token"])
    assert claims["vot"]
    assert claims["vot"] not in every_vector
