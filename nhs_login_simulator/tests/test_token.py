"""/token: private_key_jwt only, single-use codes, refresh tokens, OAuth errors as 400 JSON."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

from core.rsa_keys import private_key_generate
from nhs_login_simulator.models import Client, RefreshToken
from nhs_login_simulator.tests.conftest import (
    CLIENT_ID,
    ISSUER,
    PKCE_CHALLENGE,
    PKCE_VERIFIER,
    REDIRECT_URI,
    SimulatorFlow,
    assertion_claims,
)

Exchange = Callable[..., Any]


def jwks_key(kid: str) -> Any:
    from nhs_login_simulator.keys import signing_keys

    return next(k.private_key.public_key() for k in signing_keys() if k.kid == kid)


def test_code_exchange_returns_tokens_that_are_not_cacheable(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    response = exchange(code=flow.code_for())

    body = response.json()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 300
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "refresh_token"}


def test_id_token_is_rs512_with_kid_and_every_required_claim(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    id_token = exchange(code=flow.code_for()).json()["id_token"]

    header = jwt.get_unverified_header(id_token)
    claims = jwt.decode(
        id_token, jwks_key(header["kid"]), algorithms=["RS512"], audience=CLIENT_ID, issuer=ISSUER
    )
    assert header["alg"] == "RS512"
    assert header["typ"] == "JWT"
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "nonce", "auth_time", "vot", "vtm"} <= set(
        claims
    )
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["nonce"] == "nonce-456"
    assert claims["vot"] == "P9.Cp.Cd"
    assert claims["sub"] == "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
    # With the profile scope, the profile claims travel in the ID token too.
    assert claims["nhs_number"] == "9990000018"
    assert claims["birthdate"] == "1985-03-05"
    assert claims["family_name"] == "Thompson"
    assert claims["identity_proofing_level"] == "P9"
    assert "gp_registration_details" not in claims


def test_access_token_is_an_rs512_jwt_living_five_minutes(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    access_token = exchange(code=flow.code_for()).json()["access_token"]

    header = jwt.get_unverified_header(access_token)
    claims = jwt.decode(
        access_token, jwks_key(header["kid"]), algorithms=["RS512"], options={"verify_aud": False}
    )
    assert header["alg"] == "RS512"
    assert claims["exp"] - claims["iat"] == 300


def test_a_code_works_once(flow: SimulatorFlow, exchange: Exchange) -> None:
    code = flow.code_for()
    assert exchange(code=code).status_code == 200

    replay = exchange(code=code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "already been used" in replay.json()["error_description"]


def test_a_code_expires_after_ten_minutes(flow: SimulatorFlow, exchange: Exchange) -> None:
    code = flow.code_for()

    with time_machine.travel(timezone.now() + timedelta(minutes=10, seconds=1)):
        response = exchange(code=code)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The code has expired",
    }


def test_a_code_still_works_just_before_ten_minutes(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    code = flow.code_for()

    with time_machine.travel(timezone.now() + timedelta(minutes=9, seconds=50)):
        assert exchange(code=code).status_code == 200


@pytest.mark.parametrize(
    ("form", "error", "description"),
    [
        pytest.param({"code": "not-a-code"}, "invalid_grant", "not valid", id="unknown-code"),
        pytest.param(
            {"redirect_uri": "https://other.example/cb"},
            "invalid_grant",
            "redirect_uri",
            id="redirect-uri-differs",
        ),
        pytest.param(
            {"redirect_uri": None}, "invalid_request", "redirect_uri", id="redirect-uri-missing"
        ),
        pytest.param({"code": None}, "invalid_request", "code", id="code-missing"),
        pytest.param(
            {"grant_type": None}, "invalid_request", "grant_type", id="grant-type-missing"
        ),
        # Offered to provisioning clients only (test_provisioning.py): RFC 6749 5.2's error
        # for a client not authorized to use the grant type.
        pytest.param(
            {"grant_type": "client_credentials"},
            "unauthorized_client",
            "provisioning",
            id="grant-type-not-for-this-client",
        ),
        pytest.param(
            {"grant_type": "password"},
            "unsupported_grant_type",
            "password",
            id="grant-type-password",
        ),
    ],
)
def test_bad_grant_requests_get_the_documented_error(
    flow: SimulatorFlow, exchange: Exchange, form: dict[str, Any], error: str, description: str
) -> None:
    code = flow.code_for()

    response = exchange(**{"code": code, **form})

    assert response.status_code == 400
    assert response["Cache-Control"] == "no-store"
    assert response.json()["error"] == error
    assert description in response.json()["error_description"]


def _sign(claims: dict[str, Any], key: rsa.RSAPrivateKey, algorithm: str = "RS512") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


@pytest.mark.parametrize(
    ("form", "description"),
    [
        pytest.param(
            lambda a, k: {"client_assertion_type": None},
            "client_assertion_type",
            id="assertion-type-missing",
        ),
        pytest.param(
            lambda a, k: {"client_assertion_type": "urn:other"},
            "client_assertion_type",
            id="assertion-type-wrong",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": None},
            "client_assertion is required",
            id="assertion-missing",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": "not.a.jwt"}, "not a JWT", id="assertion-not-jwt"
        ),
        pytest.param(
            lambda a, k: {"client_assertion": _sign(assertion_claims(), k, "RS256")},
            "RS512",
            id="assertion-rs256",
        ),
        pytest.param(
            lambda a, k: {
                "client_assertion": jwt.encode(assertion_claims(), "s" * 64, algorithm="HS512")
            },
            "RS512",
            id="assertion-hs512",
        ),
        pytest.param(
            lambda a, k: {
                "client_assertion": _sign(assertion_claims(iss="nobody", sub="nobody"), k)
            },
            "not a registered client",
            id="assertion-unknown-client",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": _sign(assertion_claims(), private_key_generate())},
            "Signature verification failed",
            id="assertion-signed-by-another-key",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": a(aud="https://elsewhere.example/token")},
            "Audience",
            id="assertion-wrong-audience",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": a(aud=None)}, "aud", id="assertion-no-audience"
        ),
        pytest.param(
            lambda a, k: {"client_assertion": a(exp=int(time.time()) - 120)},
            "expired",
            id="assertion-expired",
        ),
        pytest.param(
            lambda a, k: {"client_assertion": a(exp=int(time.time()) + 3600)},
            "too far in the future",
            id="assertion-lives-too-long",
        ),
        pytest.param(lambda a, k: {"client_assertion": a(exp=None)}, "exp", id="assertion-no-exp"),
        pytest.param(lambda a, k: {"client_assertion": a(jti=None)}, "jti", id="assertion-no-jti"),
        pytest.param(
            lambda a, k: {"client_assertion": a(sub="someone-else")},
            "sub must equal iss",
            id="assertion-sub-differs",
        ),
        pytest.param(
            lambda a, k: {"client_id": "someone-else"},
            "client_id does not match",
            id="client-id-differs",
        ),
    ],
)
def test_client_authentication_failures_are_invalid_client(
    flow: SimulatorFlow,
    exchange: Exchange,
    client_assertion: Callable[..., str],
    client_private_key: rsa.RSAPrivateKey,
    form: Callable[..., dict[str, Any]],
    description: str,
) -> None:
    code = flow.code_for()

    response = exchange(code=code, **form(client_assertion, client_private_key))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert description in response.json()["error_description"]
    # The code was not spent by the failed attempt.
    assert exchange(code=code).status_code == 200


def test_a_client_assertion_cannot_be_replayed(
    flow: SimulatorFlow, exchange: Exchange, client_assertion: Callable[..., str]
) -> None:
    assertion = client_assertion()
    assert exchange(code=flow.code_for(), client_assertion=assertion).status_code == 200

    replay = exchange(code=flow.code_for(), client_assertion=assertion)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_client"
    assert "jti has been used before" in replay.json()["error_description"]


def test_client_id_is_optional_but_accepted_when_it_matches(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    assert exchange(code=flow.code_for(), client_id=CLIENT_ID).status_code == 200


def test_a_code_issued_to_one_client_cannot_be_used_by_another(
    flow: SimulatorFlow,
    exchange: Exchange,
    registered_client: Client,
) -> None:
    other_key = private_key_generate()
    from core.rsa_keys import public_key_pem

    Client.objects.create(
        client_id="other",
        name="Other",
        redirect_uris=[REDIRECT_URI],
        public_key_pem=public_key_pem(other_key.public_key()),
    )
    code = flow.code_for()

    response = exchange(
        code=code, client_assertion=_sign(assertion_claims(iss="other", sub="other"), other_key)
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_token_gives_new_tokens_without_a_nonce(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    first = exchange(code=flow.code_for()).json()

    response = exchange(grant_type="refresh_token", refresh_token=first["refresh_token"])

    body = response.json()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert body["access_token"] != first["access_token"]
    claims = jwt.decode(body["id_token"], options={"verify_signature": False})
    assert "nonce" not in claims
    assert claims["vot"] == "P9.Cp.Cd"
    assert "refresh_token" not in body


def test_refresh_tokens_live_thirty_days(flow: SimulatorFlow, exchange: Exchange) -> None:
    refresh_token = exchange(code=flow.code_for()).json()["refresh_token"]
    stored = RefreshToken.objects.get()

    assert stored.token_hash != refresh_token
    assert stored.expires_at - timezone.now() > timedelta(days=29, hours=23)
    with time_machine.travel(timezone.now() + timedelta(days=30, minutes=1)):
        response = exchange(grant_type="refresh_token", refresh_token=refresh_token)
    assert response.json()["error"] == "invalid_grant"


def test_refresh_cannot_widen_the_scope(flow: SimulatorFlow, exchange: Exchange) -> None:
    refresh_token = exchange(code=flow.code_for(scope="openid profile")).json()["refresh_token"]

    response = exchange(
        grant_type="refresh_token", refresh_token=refresh_token, scope="openid profile email"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize(
    ("form", "error"),
    [
        pytest.param({"refresh_token": "unknown"}, "invalid_grant", id="unknown-refresh-token"),
        pytest.param({"refresh_token": None}, "invalid_request", id="refresh-token-missing"),
    ],
)
def test_bad_refresh_requests_are_refused(
    exchange: Exchange, form: dict[str, Any], error: str
) -> None:
    response = exchange(grant_type="refresh_token", **form)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_token_endpoint_only_answers_post(registered_client: Client) -> None:
    from django.test import Client as HttpClient

    assert HttpClient().get("/nhs-login-simulator/token").status_code == 405


# Keys as NHS login registers them: a PEM has no kid, a JWK carries one.


@pytest.mark.parametrize(
    "kid",
    [
        pytest.param("portal-key-1", id="a-kid"),
        pytest.param("", id="an-empty-kid"),
    ],
)
def test_an_assertion_naming_a_kid_is_refused_when_the_key_was_registered_as_a_pem(
    flow: SimulatorFlow,
    exchange: Exchange,
    client_private_key: rsa.RSAPrivateKey,
    kid: str,
) -> None:
    code = flow.code_for()
    assertion = jwt.encode(
        assertion_claims(), client_private_key, algorithm="RS512", headers={"kid": kid}
    )

    response = exchange(code=code, client_assertion=assertion)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "client_assertion kid names no key registered for this client",
    }
    assert exchange(code=code).status_code == 200  # without a kid, the PEM key verifies it


@pytest.mark.parametrize(
    ("kid", "accepted"),
    [
        pytest.param("portal-key-1", True, id="the-registered-kid"),
        pytest.param(None, True, id="no-kid"),
        pytest.param("portal-key-2", False, id="another-kid"),
    ],
)
def test_a_client_registered_with_a_jwk_is_matched_by_its_kid(
    flow: SimulatorFlow,
    exchange: Exchange,
    registered_client: Client,
    client_private_key: rsa.RSAPrivateKey,
    kid: str | None,
    accepted: bool,
) -> None:
    registered_client.key_id = "portal-key-1"
    registered_client.save()
    headers = {"kid": kid} if kid is not None else None
    assertion = jwt.encode(
        assertion_claims(), client_private_key, algorithm="RS512", headers=headers
    )

    response = exchange(code=flow.code_for(), client_assertion=assertion)

    if accepted:
        assert response.status_code == 200, response.content
    else:
        assert response.json()["error"] == "invalid_client"
        assert "kid names no key registered" in response.json()["error_description"]


def test_an_assertion_with_the_registered_kid_but_another_key_is_refused(
    flow: SimulatorFlow, exchange: Exchange, registered_client: Client
) -> None:
    registered_client.key_id = "portal-key-1"
    registered_client.save()
    assertion = jwt.encode(
        assertion_claims(),
        private_key_generate(),
        algorithm="RS512",
        headers={"kid": "portal-key-1"},
    )

    response = exchange(code=flow.code_for(), client_assertion=assertion)

    assert response.json()["error"] == "invalid_client"
    assert "Signature verification failed" in response.json()["error_description"]


# vot and vtm (Federation specification 4.2, 4.3 and 5.1.5)

VTM = f"{ISSUER}/trustmark/testserver"


def test_id_and_access_tokens_carry_vot_and_the_trustmark_on_the_issuers_origin(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    tokens = exchange(code=flow.code_for()).json()

    id_token = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    access_token = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert id_token["vtm"] == access_token["vtm"] == VTM
    assert id_token["vot"] == access_token["vot"] == "P9.Cp.Cd"
    assert {"iss", "sub", "aud", "exp", "iat", "jti", "scope", "vot", "vtm"} <= set(access_token)
    assert access_token["aud"] == CLIENT_ID
    assert access_token["identity_proofing_level"] == "P9"
    assert access_token["jti"] != id_token["jti"]


def test_the_trustmark_the_vtm_names_is_served(flow: SimulatorFlow, exchange: Exchange) -> None:
    from django.test import Client as HttpClient

    tokens = exchange(code=flow.code_for()).json()
    vtm = jwt.decode(tokens["id_token"], options={"verify_signature": False})["vtm"]

    response = HttpClient().get(vtm.removeprefix("http://testserver"))

    assert response.status_code == 200
    assert response.json() == {
        "idp": ISSUER,
        "trustmark_provider": ISSUER,
        "P": ["P0", "P5", "P9"],
        "C": ["Cp", "Cd", "Ck", "Cm"],
    }


def test_a_trustmark_for_another_host_is_not_found(registered_client: Client) -> None:
    from django.test import Client as HttpClient

    response = HttpClient().get("/nhs-login-simulator/trustmark/auth.login.nhs.uk")

    assert response.status_code == 404


# The ID tokens issued, kept for single sign-on


def test_every_id_token_issued_is_recorded_with_its_user_and_client(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    from nhs_login_simulator.models import IssuedIdToken

    first = exchange(code=flow.code_for()).json()
    refreshed = exchange(grant_type="refresh_token", refresh_token=first["refresh_token"]).json()

    jtis = [
        jwt.decode(token, options={"verify_signature": False})["jti"]
        for token in (first["id_token"], refreshed["id_token"])
    ]
    issued = IssuedIdToken.objects.order_by("id")
    assert [record.jti for record in issued] == jtis
    assert {(record.user_id, record.client.client_id) for record in issued} == {
        ("p9-demo-practice", CLIENT_ID)
    }
    assert {record.identity_proofing_level for record in issued} == {"P9"}
    assert all(
        abs((record.expires_at - timezone.now()) - timedelta(minutes=60)) < timedelta(seconds=5)
        for record in issued
    )


# --- PKCE (RFC 7636, 4.5 and 4.6; RFC 9700, 2.1.1) -----------------------------------------


def _code_with_a_challenge(flow: SimulatorFlow) -> str:
    return flow.code_for(code_challenge=PKCE_CHALLENGE, code_challenge_method="S256")


def test_a_code_bound_to_a_challenge_is_exchanged_with_its_verifier(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    response = exchange(code=_code_with_a_challenge(flow), code_verifier=PKCE_VERIFIER)

    assert response.status_code == 200
    assert "id_token" in response.json()


@pytest.mark.parametrize(
    ("code_verifier", "error"),
    [
        pytest.param(None, "invalid_grant", id="verifier-missing"),
        pytest.param(PKCE_VERIFIER[:-1] + "l", "invalid_grant", id="verifier-wrong"),
        pytest.param(PKCE_CHALLENGE, "invalid_grant", id="challenge-sent-as-if-plain"),
        pytest.param("too-short-to-be-a-verifier", "invalid_request", id="verifier-too-short"),
        pytest.param("v" * 129, "invalid_request", id="verifier-too-long"),
        pytest.param(PKCE_VERIFIER[:-1] + "+", "invalid_request", id="verifier-not-unreserved"),
    ],
)
def test_a_token_request_without_the_right_verifier_is_refused_and_spends_nothing(
    flow: SimulatorFlow, exchange: Exchange, code_verifier: str | None, error: str
) -> None:
    """Whoever holds a code but not its verifier gets no tokens, and cannot use the code up
    for the client whose sign-in it belongs to."""
    code = _code_with_a_challenge(flow)

    refused = exchange(code=code, code_verifier=code_verifier)

    assert refused.status_code == 400
    assert refused.json()["error"] == error
    assert "id_token" not in refused.json()
    assert exchange(code=code, code_verifier=PKCE_VERIFIER).status_code == 200


def test_a_verifier_for_a_code_issued_without_a_challenge_is_refused(
    flow: SimulatorFlow, exchange: Exchange
) -> None:
    """RFC 9700, 4.8.2: else a request whose challenge was stripped on the way would pass for
    one that was checked."""
    refused = exchange(code=flow.code_for(), code_verifier=PKCE_VERIFIER)

    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    assert "no PKCE" in refused.json()["error_description"]
