"""/authorize: every parameter checked as NHS login checks it, and no more strictly
(Federation specification 3.4.1 to 3.4.5; NHS login's "Testing scenarios" and "Scopes and
claims")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient

from nhs_login_simulator.authorization import AUTHORIZATION_ERRORS
from nhs_login_simulator.models import AuthorizationCode, Client, token_hash
from nhs_login_simulator.tests.conftest import (
    BOTH_VTR,
    P9_VTR,
    PKCE_CHALLENGE,
    PKCE_VERIFIER,
    REDIRECT_URI,
    SimulatorFlow,
    authorize_params,
    redirect_query,
    signed_request_from,
)

AUTHORIZE = "/nhs-login-simulator/authorize"


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"client_id": None}, id="client-id-missing"),
        pytest.param({"client_id": "someone-else"}, id="client-id-unknown"),
        pytest.param({"redirect_uri": None}, id="redirect-uri-missing"),
        pytest.param({"redirect_uri": "https://attacker.example/cb"}, id="redirect-uri-unknown"),
        pytest.param({"redirect_uri": REDIRECT_URI + "?x=1"}, id="redirect-uri-with-query"),
        pytest.param({"redirect_uri": REDIRECT_URI.rstrip("/")}, id="redirect-uri-not-exact"),
    ],
)
def test_untrusted_client_or_redirect_uri_gets_an_error_page_never_a_redirect(
    flow: SimulatorFlow, overrides: dict[str, Any]
) -> None:
    response = flow.authorize(**overrides)

    assert response.status_code == 400
    assert "Location" not in response
    assert "There is a problem with this sign-in request" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        pytest.param(
            {"response_type": None},
            "invalid_request",
            "response_type is required",
            id="response-type-missing",
        ),
        pytest.param(
            {"response_type": "token"},
            "unsupported_response_type",
            "Only response_type=code",
            id="response-type-implicit",
        ),
        pytest.param(
            {"response_type": "code id_token"},
            "unsupported_response_type",
            "Only response_type=code",
            id="response-type-hybrid",
        ),
        pytest.param(
            {"scope": "profile email"}, "invalid_scope", "openid", id="scope-without-openid"
        ),
        pytest.param({"scope": None}, "invalid_scope", "openid", id="scope-missing"),
        pytest.param({"nonce": None}, "invalid_request", "nonce is required", id="nonce-missing"),
        pytest.param({"vtr": "[P9.Cp.Cd"}, "invalid_request", "not valid JSON", id="vtr-not-json"),
        pytest.param({"vtr": '"P9.Cp.Cd"'}, "invalid_request", "JSON array", id="vtr-not-an-array"),
        pytest.param({"vtr": "[]"}, "invalid_request", "JSON array", id="vtr-empty"),
        pytest.param({"vtr": "[9]"}, "invalid_request", "array of strings", id="vtr-not-strings"),
        pytest.param(
            {"vtr": '["P9.Cp.Cx"]'}, "invalid_request", "P9.Cp.Cx", id="vtr-unknown-vector"
        ),
        pytest.param({"vtr": '["P7.Cp"]'}, "invalid_request", "P7.Cp", id="vtr-unknown-level"),
        pytest.param(
            {"vtr": '["P5.Cp.Cd"]'},
            "invalid_request",
            "vtr is not one registered for this client",
            id="vtr-not-registered",
        ),
        pytest.param(
            {"vtr": '["P9.Cp.Cd","P9.Cp.Ck"]'},
            "invalid_request",
            "vtr is not one registered for this client",
            id="vtr-subset-of-a-registered-set",
        ),
        pytest.param(
            {"scope": "openid profile basic_demographics"},
            "invalid_scope",
            "profile and basic_demographics cannot both be requested",
            id="profile-with-basic-demographics",
        ),
        pytest.param(
            {"prompt": "none login"}, "invalid_request", "prompt=none", id="prompt-none-and-login"
        ),
    ],
)
def test_bad_request_goes_back_to_the_client_with_the_error_and_state(
    flow: SimulatorFlow, overrides: dict[str, Any], error: str, description: str
) -> None:
    response = flow.authorize(**overrides)

    assert response.status_code == 302
    query = redirect_query(response["Location"])
    assert query["error"] == error
    assert description in query["error_description"]
    assert query["state"] == "state-123"
    assert "code" not in query


def test_an_s256_pkce_challenge_is_bound_to_the_code(flow: SimulatorFlow) -> None:
    code = flow.code_for(code_challenge=PKCE_CHALLENGE, code_challenge_method="S256")

    assert AuthorizationCode.objects.get(code_hash=token_hash(code)).code_challenge == (
        PKCE_CHALLENGE
    )


def test_a_request_without_pkce_gets_a_code_bound_to_no_challenge(flow: SimulatorFlow) -> None:
    code = flow.code_for()

    assert AuthorizationCode.objects.get(code_hash=token_hash(code)).code_challenge == ""


@pytest.mark.parametrize(
    ("overrides", "description"),
    [
        pytest.param(
            {"code_challenge": PKCE_VERIFIER, "code_challenge_method": "plain"},
            "code_challenge_method must be S256",
            id="plain",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE},
            "without one the method would be plain",
            id="no-method-means-plain",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE, "code_challenge_method": "s256"},
            "code_challenge_method must be S256",
            id="method-in-lower-case",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE, "code_challenge_method": "S512"},
            "code_challenge_method must be S256",
            id="unknown-method",
        ),
        pytest.param(
            {"code_challenge_method": "S256"},
            "without a code_challenge",
            id="method-without-challenge",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE[:-1], "code_challenge_method": "S256"},
            "not an S256 challenge",
            id="challenge-too-short",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE + "A", "code_challenge_method": "S256"},
            "not an S256 challenge",
            id="challenge-too-long",
        ),
        pytest.param(
            {"code_challenge": PKCE_CHALLENGE[:-1] + "=", "code_challenge_method": "S256"},
            "not an S256 challenge",
            id="challenge-padded",
        ),
        pytest.param(
            {"code_challenge": "+/" + PKCE_CHALLENGE[2:], "code_challenge_method": "S256"},
            "not an S256 challenge",
            id="challenge-base64-not-base64url",
        ),
    ],
)
def test_a_pkce_challenge_other_than_a_well_formed_s256_one_is_an_invalid_request(
    flow: SimulatorFlow, overrides: dict[str, str], description: str
) -> None:
    """RFC 7636, 4.4.1: an authorization server answers a transformation it does not support
    with invalid_request; the simulator supports S256 only (RFC 9700, 2.1.1)."""
    response = flow.authorize(**overrides)

    query = redirect_query(response["Location"])
    assert query["error"] == "invalid_request"
    assert description in query["error_description"]
    assert query["state"] == "state-123"
    assert not AuthorizationCode.objects.exists()


def test_missing_state_is_an_invalid_request_returned_without_state(flow: SimulatorFlow) -> None:
    query = redirect_query(flow.authorize(state=None)["Location"])

    assert query["error"] == "invalid_request"
    assert query["error_description"] == "state is required"
    assert "state" not in query


def test_a_parameter_given_twice_is_refused(flow: SimulatorFlow) -> None:
    response = flow.browser.get(
        AUTHORIZE + "?state=two", {**authorize_params(), "nonce": ["a", "b"]}
    )

    query = redirect_query(response["Location"])
    assert query["error"] == "invalid_request"
    assert "nonce" in query["error_description"]


def test_unknown_scopes_are_ignored(flow: SimulatorFlow) -> None:
    page = flow.authorize(scope="openid profile made_up_scope")

    assert page.status_code == 200
    assert "Scopes: openid profile</p>" in page.content.decode()


def test_a_known_scope_the_client_is_not_registered_for_is_invalid_scope(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    registered_client.scopes = ["openid", "profile", "email"]
    registered_client.save()

    query = redirect_query(flow.authorize(scope="openid profile email phone")["Location"])

    assert query == {
        "error": "invalid_scope",
        "error_description": "Scopes not registered for this client: phone",
        "state": "state-123",
    }
    assert flow.authorize(scope="openid profile email made_up").status_code == 200


@pytest.mark.parametrize(
    "scope",
    [
        pytest.param("openid profile", id="profile"),
        pytest.param("openid basic_demographics", id="basic-demographics"),
    ],
)
def test_profile_or_basic_demographics_alone_is_accepted(flow: SimulatorFlow, scope: str) -> None:
    assert flow.authorize(scope=scope).status_code == 200


def test_absent_vtr_means_the_p9_two_factor_list(flow: SimulatorFlow) -> None:
    page = flow.authorize(vtr=None)

    assert "P9.Cp.Cd, P9.Cp.Ck, P9.Cm" in page.content.decode()


def test_absent_vtr_is_refused_when_the_default_list_is_not_registered(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    registered_client.vtr_sets = [json.loads(BOTH_VTR)]
    registered_client.save()

    query = redirect_query(flow.authorize(vtr=None)["Location"])

    assert query["error"] == "invalid_request"
    assert query["error_description"] == "vtr is not one registered for this client"


def test_a_registered_vtr_set_matches_in_any_order(flow: SimulatorFlow) -> None:
    reordered = json.dumps(list(reversed(json.loads(BOTH_VTR))))

    assert flow.authorize(vtr=reordered).status_code == 200


@pytest.mark.parametrize(
    "parameters",
    [
        pytest.param({"max_age": "0"}, id="max-age"),
        pytest.param({"ui_locales": "cy"}, id="ui-locales"),
        pytest.param({"id_token_hint": "eyJ.not.checked"}, id="id-token-hint"),
        pytest.param({"login_hint": "a@example.org"}, id="login-hint"),
        pytest.param({"acr_values": "P9"}, id="acr-values"),
        pytest.param({"response_mode": "fragment"}, id="response-mode-fragment"),
        pytest.param({"response_mode": "form_post"}, id="response-mode-form-post"),
        pytest.param({"display": "popup"}, id="display-popup"),
        pytest.param({"display": "touch"}, id="display-touch"),
        pytest.param({"allow_registration": "maybe"}, id="allow-registration-other-value"),
        pytest.param({"allow_registration": "false"}, id="allow-registration-false"),
        pytest.param({"prompt": "consent"}, id="prompt-consent"),
        pytest.param({"prompt": "select_account"}, id="prompt-select-account"),
        pytest.param({"claims": '{"userinfo":{}}'}, id="claims"),
    ],
)
def test_parameters_nhs_login_does_not_support_are_ignored_not_refused(
    flow: SimulatorFlow, parameters: dict[str, str]
) -> None:
    page = flow.authorize(**parameters)

    assert page.status_code == 200
    assert "Sign in with a test user" in page.content.decode()


def test_ignored_response_mode_still_answers_in_the_query(flow: SimulatorFlow) -> None:
    response = flow.sign_in(response_mode="fragment")

    assert "#" not in response["Location"]
    assert "code" in redirect_query(response["Location"])


def test_post_to_authorize_is_accepted_like_get(flow: SimulatorFlow) -> None:
    response = flow.browser.post(AUTHORIZE, authorize_params())

    assert response.status_code == 200
    assert "Sign in with a test user" in response.content.decode()


def test_sign_in_page_lists_the_test_users_and_what_each_can_reach(flow: SimulatorFlow) -> None:
    html = flow.authorize(vtr=P9_VTR).content.decode()

    assert "Continue to Test portal" in html
    assert "P9 patient at the demo practice, with GP credentials" in html
    assert "Meets this request with P9.Cp.Cd" in html
    assert "P5 patient at the demo practice" in html
    assert "Must prove who they are to meet this request" in html
    for error in AUTHORIZATION_ERRORS:
        assert f'value="{error}"' in html


def test_picking_a_user_returns_a_code_and_the_state(flow: SimulatorFlow) -> None:
    response = flow.sign_in(user="p9-demo-practice")

    query = redirect_query(response["Location"])
    assert query["state"] == "state-123"
    code = AuthorizationCode.objects.get()
    assert code.user_id == "p9-demo-practice"
    assert code.vot == "P9.Cp.Cd"
    assert code.nonce == "nonce-456"
    assert len(query["code"]) >= 32
    assert code.code_hash != query["code"]  # only the hash is stored


@pytest.mark.parametrize("error", AUTHORIZATION_ERRORS)
def test_tester_can_make_the_provider_return_each_error_code_without_a_description(
    flow: SimulatorFlow, error: str
) -> None:
    query = redirect_query(flow.sign_in(outcome=error)["Location"])

    assert query == {"error": error, "state": "state-123"}
    assert not AuthorizationCode.objects.exists()


def test_the_outcome_picker_no_longer_offers_a_consent_shortcut(flow: SimulatorFlow) -> None:
    html = flow.authorize().content.decode()

    assert "ConsentNotGiven" not in html
    assert "Decline to share" not in html
    assert "choose not to share on the consent screen" in html


def test_unknown_outcome_or_user_shows_the_sign_in_page_again(flow: SimulatorFlow) -> None:
    assert flow.sign_in(outcome="made_up").status_code == 400
    assert flow.sign_in(user="nobody").status_code == 400
    assert flow.sign_in(fault="made_up").status_code == 400
    assert not AuthorizationCode.objects.exists()


def test_tampered_sign_in_request_is_refused(flow: SimulatorFlow) -> None:
    page = flow.authorize()
    signed = signed_request_from(page.content.decode())

    response = flow.browser.post(
        AUTHORIZE + "/test-user",
        {"request": signed[:-3] + "abc", "user": "p9-demo-practice", "outcome": "success"},
    )

    assert response.status_code == 400
    assert "expired or was changed" in response.content.decode()
    assert not AuthorizationCode.objects.exists()


def test_email_and_password_sign_in(flow: SimulatorFlow) -> None:
    page = flow.authorize()

    response = flow.browser.post(
        AUTHORIZE + "/password",
        {
            "request": signed_request_from(page.content.decode()),
            "email": "Ava.Thompson@example.org",
            "password": "simulator-p9-demo",
        },
    )

    answer = flow.share(response)
    assert answer.status_code == 302
    assert "code" in redirect_query(answer["Location"])
    assert AuthorizationCode.objects.get().user_id == "p9-demo-practice"


def test_wrong_password_shows_the_error_summary(flow: SimulatorFlow) -> None:
    page = flow.authorize()

    response = flow.browser.post(
        AUTHORIZE + "/password",
        {
            "request": signed_request_from(page.content.decode()),
            "email": "ava.thompson@example.org",
            "password": "wrong",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in html
    assert 'href="#email"' in html
    assert "<title>Error: Sign in" in html
    assert not AuthorizationCode.objects.exists()


def test_p5_user_asked_for_p9_proves_who_they_are_and_returns_with_p9(
    flow: SimulatorFlow,
) -> None:
    step_up = flow.sign_in(user="p5-demo-practice", vtr=P9_VTR)

    html = step_up.content.decode()
    assert step_up.status_code == 200
    assert "<h1>Prove who you are</h1>" in html
    assert not AuthorizationCode.objects.exists()
    pending = html.split('name="pending" value="')[1].split('"')[0]

    response = flow.share(
        flow.browser.post(
            AUTHORIZE + "/prove-who-you-are",
            {"request": signed_request_from(html), "pending": pending},
        )
    )

    assert redirect_query(response["Location"])["state"] == "state-123"
    code = AuthorizationCode.objects.get()
    assert code.vot == "P9.Cp.Cd"
    assert code.identity_proofing_level == "P9"


def test_cancelling_step_up_returns_a_bare_access_denied(flow: SimulatorFlow) -> None:
    html = flow.sign_in(user="p5-demo-practice", vtr=P9_VTR).content.decode()
    cancel = html.split("Cancel and go back")[0].rsplit('href="', 1)[1].split('"')[0]

    query = redirect_query(cancel.replace("&amp;", "&"))

    assert query == {"error": "access_denied", "state": "state-123"}


def test_p5_user_is_not_stepped_up_when_p5_was_acceptable(flow: SimulatorFlow) -> None:
    flow.code_for(user="p5-demo-practice")

    assert AuthorizationCode.objects.get().vot == "P5.Cp.Cd"


def test_p0_user_asked_for_p9_is_stepped_up_too(flow: SimulatorFlow) -> None:
    html = flow.sign_in(user="p0-unverified", vtr=P9_VTR).content.decode()

    assert "<h1>Prove who you are</h1>" in html
    assert "<strong>P9</strong>" in html


def test_user_without_the_required_sign_in_method_is_denied(flow: SimulatorFlow) -> None:
    query = redirect_query(flow.sign_in(user="p9-other-practice", vtr='["P9.Cm"]')["Location"])

    assert query["error"] == "access_denied"


def test_prompt_none_without_a_provider_session_is_sso_login_required(
    flow: SimulatorFlow,
) -> None:
    query = redirect_query(flow.authorize(prompt="none")["Location"])

    assert query["error"] == "sso_login_required"
    assert query["state"] == "state-123"
    assert "code" not in query


def test_prompt_none_with_a_tampered_session_cookie_is_sso_login_required(
    flow: SimulatorFlow,
) -> None:
    flow.code_for()
    flow.browser.cookies["nhs_login_simulator_session"] = "forged"

    query = redirect_query(flow.authorize(prompt="none")["Location"])

    assert query["error"] == "sso_login_required"


def test_prompt_none_with_a_provider_session_signs_in_silently(flow: SimulatorFlow) -> None:
    flow.code_for()

    query = redirect_query(flow.authorize(prompt="none", state="again")["Location"])

    assert query["state"] == "again"
    assert "code" in query
    assert AuthorizationCode.objects.count() == 2


def test_existing_session_is_used_without_showing_the_sign_in_page(flow: SimulatorFlow) -> None:
    flow.code_for()

    response = flow.authorize()

    assert response.status_code == 302
    assert "code" in redirect_query(response["Location"])


def test_prompt_login_shows_the_sign_in_page_despite_a_session(flow: SimulatorFlow) -> None:
    flow.code_for()
    assert flow.authorize(state="sso").status_code == 302  # the session is there

    response = flow.authorize(prompt="login")

    assert response.status_code == 200
    assert "Sign in with a test user" in response.content.decode()
    assert AuthorizationCode.objects.count() == 2


def test_prompt_none_when_the_session_level_is_too_low_is_interaction_required(
    flow: SimulatorFlow,
) -> None:
    flow.code_for(user="p5-demo-practice")

    query = redirect_query(flow.authorize(prompt="none", vtr=P9_VTR)["Location"])

    assert query["error"] == "interaction_required"


def test_provider_session_lives_in_its_own_cookie_not_the_portal_session(
    flow: SimulatorFlow,
) -> None:
    flow.code_for()

    cookie = flow.browser.cookies["nhs_login_simulator_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert "sessionid" not in flow.browser.cookies


def test_a_client_can_only_use_its_own_redirect_uris(
    flow: SimulatorFlow, registered_client: Client
) -> None:
    Client.objects.create(
        client_id="other",
        name="Other",
        redirect_uris=["https://other.example.org/cb"],
        public_key_pem=registered_client.public_key_pem,
    )

    response = flow.authorize(client_id="other")

    assert response.status_code == 400
    assert "Location" not in response


def test_get_to_the_sign_in_form_endpoints_is_not_allowed(registered_client: Client) -> None:
    browser = HttpClient()

    assert browser.get(AUTHORIZE + "/test-user").status_code == 405
    assert browser.get(AUTHORIZE + "/password").status_code == 405
    assert browser.get(AUTHORIZE + "/prove-who-you-are").status_code == 405
    for path in ("share", "decline", "decline/confirm", "review"):
        assert browser.get(f"{AUTHORIZE}/consent/{path}").status_code == 405
