"""The simulator's own pages: NHS login's settings page (its "NHS login user settings" page),
the test users it lists, and the Content-Security-Policy each page sets for itself, with or
without the portal's CSP middleware acting on it."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.test.utils import override_settings

from nhs_login_simulator.models import AuthorizationCode, Client
from nhs_login_simulator.tests.conftest import (
    REDIRECT_URI,
    SimulatorFlow,
    is_consent_page,
)
from nhs_login_simulator.users import simulated_users

SETTINGS = "/nhs-login-simulator/settings"
WITHOUT_PORTAL_CSP = [m for m in settings.MIDDLEWARE if m != "csp.middleware.CSPMiddleware"]


def text(response: Any) -> str:
    return str(response.content.decode())


# Settings


def test_settings_show_the_account_of_whoever_is_signed_in_with_no_second_sign_in(
    flow: SimulatorFlow,
) -> None:
    flow.code_for(user="p9-demo-practice")

    page = flow.browser.get(SETTINGS)

    html = text(page)
    assert page.status_code == 200
    assert "<h1>Your NHS login</h1>" in html
    assert "ava.thompson@example.org" in html
    assert "+447700900001" in html
    assert "+441632960001" in html
    assert "P9" in html
    assert '<a href="https://portal.example.org/">Back to Test portal</a>' in html
    assert "Sign in as a test user" not in html
    assert "no-cache" in page["Cache-Control"]


def test_settings_show_the_level_reached_by_a_step_up(flow: SimulatorFlow) -> None:
    step_up = flow.sign_in(user="p5-demo-practice", vtr='["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]')
    flow.share(flow.post_pending("prove-who-you-are", step_up))

    html = text(flow.browser.get(SETTINGS))

    assert "chloe.evans@example.org" in html
    assert re.search(r"Identity level\s*</dt>\s*<dd[^>]*>\s*P9", html)


def test_settings_without_a_session_say_so_and_offer_to_sign_in(
    registered_client: Client,
) -> None:
    browser = HttpClient()

    page = browser.get(SETTINGS)
    html = text(page)
    assert "<h1>You are not signed in to NHS login</h1>" in html
    assert "ava.thompson@example.org" in html  # among the test users to sign in as
    assert "Identity level" not in html

    signed_in = browser.post(f"{SETTINGS}/sign-in", {"user": "p0-unverified"})
    assert signed_in.status_code == 302
    assert signed_in["Location"] == SETTINGS
    html = text(browser.get(SETTINGS))
    assert "<h1>Your NHS login</h1>" in html
    assert "dev.shah@example.org" in html
    assert "Back to" not in html  # signed in here, not from a service


def test_settings_sign_in_without_a_choice_shows_the_error(registered_client: Client) -> None:
    page = HttpClient().post(f"{SETTINGS}/sign-in", {})

    html = text(page)
    assert page.status_code == 400
    assert "<title>Error: You are not signed in to NHS login" in html
    assert 'href="#user"' in html


def test_a_forged_session_cookie_is_no_session(registered_client: Client) -> None:
    browser = HttpClient()
    browser.cookies["nhs_login_simulator_session"] = "forged"

    assert "You are not signed in to NHS login" in text(browser.get(SETTINGS))


# Test users


def test_every_test_user_is_listed_on_the_sign_in_page_with_what_it_can_reach(
    flow: SimulatorFlow,
) -> None:
    html = text(flow.authorize())

    for user in simulated_users():
        assert f'value="{user.id}"' in html
        assert user.label in html
        assert f"{user.email}. Can reach: " in html
    assert "Can reach: P0.Cm, P5.Cm, P9.Cm. Meets this request with P9.Cm." in html


@pytest.mark.parametrize(
    "vtr",
    [
        pytest.param('["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]', id="p9"),
        pytest.param('["P9.Cm"]', id="p9-cm-only"),
    ],
)
def test_the_passkey_user_signs_in_with_p9_cm(flow: SimulatorFlow, vtr: str) -> None:
    flow.code_for(user="p9-passkey", vtr=vtr)

    assert AuthorizationCode.objects.get().vot == "P9.Cm"


# Content-Security-Policy


def csp(response: Any) -> dict[str, str]:
    return {
        directive.split(" ", 1)[0]: directive.split(" ", 1)[1]
        for directive in response["Content-Security-Policy"].split("; ")
    }


def pages(flow: SimulatorFlow) -> dict[str, Any]:
    sign_in = flow.authorize()
    consent = flow.sign_in(share=False)
    assert is_consent_page(consent)
    decline = flow.post_pending("consent/decline", consent)
    step_up = flow.sign_in(user="p5-demo-practice", vtr='["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]')
    return {
        "sign-in": sign_in,
        "consent": consent,
        "decline": decline,
        "step-up": step_up,
        "error": flow.authorize(redirect_uri="https://attacker.example/cb"),
    }


def portal_csp_acting_everywhere() -> dict[str, Any]:
    """The portal's CSP middleware with no prefix left out: it would set its own policy."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy.pop("EXCLUDE_URL_PREFIXES", None)
    return {"CONTENT_SECURITY_POLICY": policy}


@pytest.mark.parametrize(
    "portal_settings",
    [
        pytest.param(portal_csp_acting_everywhere(), id="portal-csp-middleware-acting"),
        pytest.param({}, id="portal-csp-middleware-as-configured"),
        pytest.param({"MIDDLEWARE": WITHOUT_PORTAL_CSP}, id="no-portal-csp-middleware"),
    ],
)
def test_each_page_sets_its_own_policy_naming_the_clients_origin_in_form_action(
    flow: SimulatorFlow, portal_settings: dict[str, Any]
) -> None:
    with override_settings(**portal_settings):
        found = pages(flow)

    for name, page in found.items():
        policy = csp(page)
        nonce = re.search(r"'nonce-([^']+)'", policy["script-src"])
        assert nonce, name
        assert f'<script nonce="{nonce.group(1)}">' in text(page), name
        assert policy["default-src"] == "'self'", name
        assert policy["frame-ancestors"] == "'none'", name
        if name == "error":
            assert policy["form-action"] == "'self'"
        else:
            assert policy["form-action"] == "'self' https://portal.example.org", name
    assert REDIRECT_URI.startswith("https://portal.example.org/")


def test_settings_pages_only_post_to_themselves(flow: SimulatorFlow) -> None:
    flow.code_for()

    assert csp(flow.browser.get(SETTINGS))["form-action"] == "'self'"
    assert csp(HttpClient().get(SETTINGS))["form-action"] == "'self'"


def test_each_response_has_a_nonce_of_its_own(flow: SimulatorFlow) -> None:
    first, second = csp(flow.authorize())["script-src"], csp(flow.authorize())["script-src"]

    assert first != second


def test_the_csp_hack_on_the_response_is_gone(flow: SimulatorFlow) -> None:
    assert not hasattr(flow.authorize(), "_csp_update")
