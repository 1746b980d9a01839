"""PKCE (RFC 7636) on every sign-in, over real HTTP against the simulator.

Each way in sends an S256 challenge of a verifier the portal keeps for that sign-in alone, and
the token request proves it; an authorization code taken from one browser and fed into another
browser's callback is refused at the token endpoint (RFC 9700, 2.1.1 and 4.5: authorization
code injection), and so is a code whose request had its challenge stripped (4.8.2, PKCE
downgrade). The verifier is a secret: it never reaches a log.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import import_module
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import QueryDict

from nhs_login_simulator.models import Client, IssuedIdToken
from nhs_login_simulator.tokens import Grant, grant_from_code
from tests.portal_browser import PortalBrowser
from tests.security.secrets_in_logs import secret_is_registered
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

NHS_APP = "/auth/nhs-app/"
SIGN_IN_AGAIN = "/auth/nhs-login/sign-in-again/"
DID_NOT_WORK = "Your sign-in did not work"
# RFC 7636, 4.1: 43 to 128 of the unreserved characters.
VERIFIER_SHAPE = re.compile(r"[A-Za-z0-9._~-]{43,128}")


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


@pytest.fixture
def token_requests(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, str]]:
    """The form of every authorization code token request the simulator receives over HTTP, as
    it parsed it: the simulator shares the live server's process, so a wrapper round its rule
    for codes sees each one arrive."""
    received: list[dict[str, str]] = []

    def recording(*, client: Client, form: QueryDict) -> Grant:
        received.append({name: str(form[name]) for name in form})
        return grant_from_code(client=client, form=form)

    monkeypatch.setattr("nhs_login_simulator.views.back_channel.grant_from_code", recording)
    return received


def s256(verifier: str) -> str:
    """RFC 7636, 4.2, written out here rather than taken from the code under test."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(response: requests.Response) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def without_pkce(authorize: requests.Response) -> str:
    """The authorization request the portal redirected to, its PKCE parameters taken out on
    the way (by an attacker who can change the request, or by a portal from before PKCE)."""
    parts = urlsplit(authorize.headers["Location"])
    kept = [
        (name, value)
        for name, value in parse_qsl(parts.query)
        if name not in {"code_challenge", "code_challenge_method"}
    ]
    return parts._replace(query=urlencode(kept)).geturl()


def portal_session(browser: PortalBrowser) -> SessionBase:
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store(browser.session.cookies.get("sessionid"))


def verifier_kept(browser: PortalBrowser, state: str) -> Any:
    """The code verifier the portal keeps in this browser's session for this sign-in."""
    return portal_session(browser)["oidc_states"][state]["code_verifier"]


def signed_in(browser: PortalBrowser) -> bool:
    return browser.get("/home/").status_code == 200


def complete_at_the_simulator(browser: PortalBrowser, authorize_url: str) -> requests.Response:
    """Sign in on the simulator's page as the P9 test user; the portal's page afterwards."""
    sign_in_page = browser.get(authorize_url)
    assert sign_in_page.status_code == 200, sign_in_page.text
    return browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))


def _button(browser: PortalBrowser) -> requests.Response:
    return browser.press_nhs_login_button()


def _step_up(browser: PortalBrowser) -> requests.Response:
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/")
    return browser.press_nhs_login_button(prove.headers["Location"])


def _sign_in_again(browser: PortalBrowser) -> requests.Response:
    return browser.get(SIGN_IN_AGAIN)


def _nhs_app(browser: PortalBrowser) -> requests.Response:
    return browser.get(NHS_APP)


def _nhs_app_retried_interactively(browser: PortalBrowser) -> requests.Response:
    """No NHS login session: prompt=none comes back with an error, and the callback asks again
    with a new state, so with a new verifier."""
    silent = browser.get(NHS_APP)
    answer = browser.get(silent.headers["Location"])
    assert "error" in query_of(answer)
    retry = browser.get(answer.headers["Location"])
    assert query_of(retry)["state"] != query_of(silent)["state"]
    return retry


@pytest.mark.parametrize(
    "way_in",
    [
        pytest.param(_button, id="button"),
        pytest.param(_step_up, id="step-up-to-p9"),
        pytest.param(_sign_in_again, id="sign-in-again"),
        pytest.param(_nhs_app, id="nhs-app-jump-off"),
        pytest.param(_nhs_app_retried_interactively, id="nhs-app-interactive-retry"),
    ],
)
def test_every_way_in_sends_an_s256_challenge_of_a_verifier_kept_for_its_state(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive, way_in: Any
) -> None:
    authorize = way_in(browser)

    assert authorize.headers["Location"].startswith(f"{nhs_login_live.issuer}/authorize?")
    query = query_of(authorize)
    verifier = verifier_kept(browser, query["state"])
    assert VERIFIER_SHAPE.fullmatch(verifier)
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == s256(verifier)
    assert verifier not in authorize.headers["Location"]  # S256: the verifier stays here


def test_the_token_request_proves_the_verifier_of_the_challenge_that_was_sent(
    browser: PortalBrowser, token_requests: list[dict[str, str]]
) -> None:
    authorize = browser.press_nhs_login_button()
    challenge = query_of(authorize)["code_challenge"]

    page = complete_at_the_simulator(browser, authorize.headers["Location"])

    assert page.url.endswith("/home/")
    [received] = token_requests
    assert s256(received["code_verifier"]) == challenge
    assert received["grant_type"] == "authorization_code"


def test_each_pending_sign_in_has_its_own_verifier_and_each_completes(
    browser: PortalBrowser, token_requests: list[dict[str, str]]
) -> None:
    """Two tabs start signing in; the older finishes first. A verifier kept once per session
    rather than per sign-in would be the newer one's, and NHS login would refuse the code."""
    older = browser.press_nhs_login_button()
    newer = browser.press_nhs_login_button()
    older_verifier = verifier_kept(browser, query_of(older)["state"])
    newer_verifier = verifier_kept(browser, query_of(newer)["state"])
    assert older_verifier != newer_verifier

    first = complete_at_the_simulator(browser, older.headers["Location"])
    # NHS login's session now signs the patient in without a page in the other tab.
    second = browser.follow(browser.get(newer.headers["Location"]))

    assert first.url.endswith("/home/")
    assert second.url.endswith("/home/")
    assert [received["code_verifier"] for received in token_requests] == [
        older_verifier,
        newer_verifier,
    ]


def test_a_code_injected_into_another_browsers_sign_in_is_refused_and_its_owner_still_signs_in(
    nhs_login_live: NhsLoginLive,
) -> None:
    """The patient's code is intercepted on its way back and fed, with the attacker's own
    state, into the callback of a sign-in the attacker started: the attacker's verifier is not
    the one behind the code's challenge, so NHS login issues nothing, and the code is still the
    patient's to use."""
    patient = PortalBrowser(nhs_login_live.base_url)
    authorize = patient.press_nhs_login_button()
    sign_in_page = patient.get(authorize.headers["Location"])
    callback = patient.answer_simulator(sign_in_page, user="p9-demo-practice")
    intercepted = query_of(callback)["code"]
    attacker = PortalBrowser(nhs_login_live.base_url)
    attacker_state = query_of(attacker.press_nhs_login_button())["state"]

    injected = attacker.get(
        f"/auth/nhs-login/callback/?{urlencode({'code': intercepted, 'state': attacker_state})}"
    )

    assert injected.status_code == 400
    assert DID_NOT_WORK in injected.text
    assert not signed_in(attacker)
    assert not IssuedIdToken.objects.exists()  # refused at the token endpoint: no token made
    page = patient.follow(callback)
    assert page.url.endswith("/home/")


def test_a_challenge_stripped_from_the_authorization_request_is_refused_at_the_token_endpoint(
    browser: PortalBrowser, token_requests: list[dict[str, str]]
) -> None:
    """A PKCE downgrade (RFC 9700, 4.8.2): the portal still proves its verifier, and NHS login
    refuses a verifier for a code it issued without a challenge."""
    authorize = browser.press_nhs_login_button()
    verifier = verifier_kept(browser, query_of(authorize)["state"])

    page = complete_at_the_simulator(browser, without_pkce(authorize))

    assert page.status_code == 400
    assert DID_NOT_WORK in page.text
    assert not signed_in(browser)
    [received] = token_requests
    assert received["code_verifier"] == verifier


def test_a_sign_in_started_before_the_portal_sent_pkce_still_completes(
    browser: PortalBrowser, token_requests: list[dict[str, str]]
) -> None:
    """A sign-in under way when PKCE was deployed: mozilla-django-oidc kept no verifier for its
    state, NHS login saw no challenge, and the token request sends none."""
    authorize = browser.press_nhs_login_button()
    session = portal_session(browser)
    states = session["oidc_states"]
    states[query_of(authorize)["state"]]["code_verifier"] = None
    session["oidc_states"] = states
    session.save()

    page = complete_at_the_simulator(browser, without_pkce(authorize))

    assert page.url.endswith("/home/")
    [received] = token_requests
    assert "code_verifier" not in received


def test_the_code_verifier_never_reaches_the_log(
    nhs_login_live: NhsLoginLive,
    token_requests: list[dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG")
    signs_in = PortalBrowser(nhs_login_live.base_url)
    refused = PortalBrowser(nhs_login_live.base_url)

    home = complete_at_the_simulator(
        signs_in, signs_in.press_nhs_login_button().headers["Location"]
    )
    stripped = without_pkce(refused.press_nhs_login_button())
    problem = complete_at_the_simulator(refused, stripped)

    assert home.url.endswith("/home/")
    assert DID_NOT_WORK in problem.text

    verifiers = [received["code_verifier"] for received in token_requests]
    assert len(verifiers) == 2
    messages = [record.getMessage() for record in caplog.records]
    assert "NHS login refused the token request: invalid_grant (HTTP 400)" in messages
    assert not [message for message in messages if any(v in message for v in verifiers)]
    # The run-wide check (tests/security/secrets_in_logs.py) looks for each one too.
    assert all(secret_is_registered(verifier) for verifier in verifiers)
