"""Sessions, prompts and the ways into sign-in, over real HTTP against the simulator.

NHS login's "Session management": after 30 minutes idle and after 12 hours the patient is sent
to NHS login automatically for a full authentication (prompt=login), and a step-up does not
restart the 12 hours. Long identity checks at NHS login are not thrown away. Each way in sends
its own ``prompt`` (Federation specification 3.4.1); the NHS App's jump-off passes
``asserted_login_identity`` on ("Single sign-on (SSO)") and a prompt=none flow NHS login cannot
complete is retried once interactively. The simulator's pages are left alone by the portal's
middleware.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Patient
from core.rate_limit import rate_limit_reset
from core.rsa_keys import private_key_generate
from tests.portal_browser import PortalBrowser
from tests.security.secrets_in_logs import secret_register
from tests.settings_process import PRODUCTION_ENV, settings_read
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN_AGAIN = "/auth/nhs-login/sign-in-again/"
NHS_APP = "/auth/nhs-app/"
LINKAGE_DETAILS = "/home/linkage-details/"
SIGN_IN_VTR = ["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


@contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The whole process (this test and the live server's threads) at ``moment``."""
    with time_machine.travel(moment, tick=True):
        yield


def query_of(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def portal_session(browser: PortalBrowser) -> SessionBase:
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store(browser.session.cookies.get("sessionid"))


def flow_recorded(browser: PortalBrowser, authorize: requests.Response) -> dict[str, Any]:
    """The SignInFlow the portal recorded for the authorization request it redirected to."""
    flows: dict[str, dict[str, Any]] = portal_session(browser)["nhs_login_flows"]
    return flows[query_of(authorize)["state"]]


def signed_in(browser: PortalBrowser) -> bool:
    return browser.get("/home/").status_code == 200


def keep_active(browser: PortalBrowser, start: datetime, until: timedelta) -> None:
    """A patient using the portal every 25 minutes from ``start`` to ``start + until``."""
    elapsed = timedelta(minutes=25)
    while elapsed < until:
        with at(start + elapsed):
            assert signed_in(browser), f"signed out after {elapsed}"
        elapsed += timedelta(minutes=25)


def forget_portal_session(browser: PortalBrowser) -> None:
    """The portal's session cookie goes; NHS login's (the simulator's) stays."""
    jar = browser.session.cookies
    for domain, path, name in [(c.domain, c.path, c.name) for c in jar if c.name == "sessionid"]:
        jar.clear(domain, path, name)


def step_up_page(browser: PortalBrowser, user: str = "p5-demo-practice") -> requests.Response:
    """A signed-in P5 patient asks for a P9-only page and is taken to NHS login's sign-in."""
    prove = browser.get(LINKAGE_DETAILS)
    assert prove.headers["Location"].startswith("/auth/prove-who-you-are/"), prove.headers
    start = browser.press_nhs_login_button(prove.headers["Location"])
    return browser.get(start.headers["Location"])


# --- 2. The session ends as "Session management" says --------------------------------------


def assert_sent_to_sign_in_again(
    browser: PortalBrowser, response: requests.Response, nhs_login_live: NhsLoginLive, *, next: str
) -> requests.Response:
    """The session has ended: no page with a button, but redirects straight into NHS login with
    prompt=login, for the full authentication. Returns NHS login's page."""
    assert response.status_code == 302
    assert response.headers["Location"].startswith(SIGN_IN_AGAIN)
    assert query_of(response).get("next") == next
    assert "_auth_user_id" not in dict(portal_session(browser))  # signed out of the portal
    authorize = browser.get(response.headers["Location"])
    assert authorize.status_code == 302
    assert authorize.headers["Location"].startswith(f"{nhs_login_live.issuer}/authorize?")
    query = query_of(authorize)
    assert query["prompt"] == "login"
    assert json.loads(query["vtr"]) == SIGN_IN_VTR
    assert flow_recorded(browser, authorize)["prompt"] == "login"
    sign_in_page = browser.get(authorize.headers["Location"])
    # prompt=login: the sign-in page, although NHS login still has a session.
    assert sign_in_page.status_code == 200
    return sign_in_page


def test_after_30_minutes_idle_the_patient_goes_straight_to_nhs_login_and_back(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p9-demo-practice")
    with at(start + timedelta(minutes=31)):
        response = browser.get(LINKAGE_DETAILS)
        sign_in_page = assert_sent_to_sign_in_again(
            browser, response, nhs_login_live, next=LINKAGE_DETAILS
        )
        page = browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))

    assert page.url.endswith(LINKAGE_DETAILS)
    assert page.status_code == 200


def test_after_12_hours_the_patient_goes_straight_to_nhs_login_and_starts_12_hours_afresh(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p9-demo-practice")
    keep_active(browser, start, timedelta(hours=12))

    again = start + timedelta(hours=12, minutes=1)
    with at(again):
        sign_in_page = assert_sent_to_sign_in_again(
            browser, browser.get("/home/"), nhs_login_live, next="/home/"
        )
        page = browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))
    assert page.url.endswith("/home/")

    # A full sign-in after the 12 hours ended starts them again.
    keep_active(browser, again, timedelta(hours=2))
    with at(again + timedelta(hours=2)):
        assert signed_in(browser)


def test_a_step_up_does_not_restart_the_12_hours(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p5-demo-practice")
    keep_active(browser, start, timedelta(hours=6))
    with at(start + timedelta(hours=6)):
        step_up = browser.answer_simulator(step_up_page(browser), user="p5-demo-practice")
        page = browser.follow(browser.confirm_step_up(step_up))
        assert page.url.endswith(LINKAGE_DETAILS)
        assert Patient.objects.get().identity_proofing_level == "P9"
    keep_active(browser, start + timedelta(hours=6), timedelta(hours=6))

    with at(start + timedelta(hours=12, minutes=1)):
        response = browser.get("/home/")
        assert_sent_to_sign_in_again(browser, response, nhs_login_live, next="/home/")


def test_sign_in_again_returns_only_to_pages_of_this_portal(browser: PortalBrowser) -> None:
    authorize = browser.get(f"{SIGN_IN_AGAIN}?next=https://attacker.example/home/")
    assert flow_recorded(browser, authorize)["next_url"] == ""
    sign_in_page = browser.get(authorize.headers["Location"])

    page = browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))

    assert page.url == f"{browser.base_url}/home/"


@pytest.mark.parametrize("path", [SIGN_IN_AGAIN, NHS_APP], ids=["sign-in-again", "nhs-app"])
def test_the_get_ways_in_are_rate_limited_like_the_button(
    browser: PortalBrowser, settings: SettingsWrapper, path: str
) -> None:
    settings.SIGN_IN_RATE_LIMIT_PER_MINUTE = 2
    rate_limit_reset("sign-in:127.0.0.1")

    responses = [browser.get(path), browser.press_nhs_login_button(), browser.get(path)]

    assert [r.status_code for r in responses] == [302, 302, 429]
    assert "Too many attempts to sign in" in responses[2].text
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60


# --- 3. Long identity checks are not thrown away -------------------------------------------


def test_a_40_minute_step_up_ends_signed_in_at_p9(browser: PortalBrowser) -> None:
    """The patient spends 40 minutes at NHS login proving who they are: neither the flow's own
    time limit nor the portal's 30-minute idle limit may discard NHS login's answer."""
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p5-demo-practice")
        sign_in_page = step_up_page(browser)
    with at(start + timedelta(minutes=20)):
        step_up = browser.answer_simulator(sign_in_page, user="p5-demo-practice")
    with at(start + timedelta(minutes=40)):
        page = browser.follow(browser.confirm_step_up(step_up))

        assert page.url.endswith(LINKAGE_DETAILS)
        assert page.status_code == 200
        assert Patient.objects.get().identity_proofing_level == "P9"
    with at(start + timedelta(minutes=65)):
        assert signed_in(browser)  # the inactivity clock started again at the sign-in


def test_a_40_minute_first_sign_in_ends_signed_in(browser: PortalBrowser) -> None:
    start = timezone.now()
    with at(start):
        authorize = browser.press_nhs_login_button()
    with at(start + timedelta(minutes=20)):
        sign_in_page = browser.get(authorize.headers["Location"])
    with at(start + timedelta(minutes=40)):
        page = browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))

    assert page.url.endswith("/home/")
    assert page.status_code == 200
    assert Patient.objects.count() == 1


# --- 4. prompt per request -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("way_in", "prompt"),
    [
        pytest.param("button", None, id="button-sends-none"),
        pytest.param(SIGN_IN_AGAIN, "login", id="sign-in-again-sends-login"),
        pytest.param(NHS_APP, "none", id="nhs-app-sends-none"),
    ],
)
def test_each_way_in_sends_and_records_its_own_prompt(
    browser: PortalBrowser, way_in: str, prompt: str | None
) -> None:
    authorize = browser.press_nhs_login_button() if way_in == "button" else browser.get(way_in)

    assert query_of(authorize).get("prompt") == prompt
    assert flow_recorded(browser, authorize)["prompt"] == (prompt or "")


def test_nhs_app_jump_off_without_an_nhs_login_session_asks_once_interactively(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    authorize = browser.get(f"{NHS_APP}?next={LINKAGE_DETAILS}")
    answer = browser.get(authorize.headers["Location"])
    assert query_of(answer)["error"] in {"sso_login_required", "login_required"}

    retry = browser.get(answer.headers["Location"])

    assert retry.status_code == 302
    assert retry.headers["Location"].startswith(f"{nhs_login_live.issuer}/authorize?")
    assert "prompt" not in query_of(retry)
    assert query_of(retry)["state"] != query_of(authorize)["state"]
    recorded = flow_recorded(browser, retry)
    assert (recorded["prompt"], recorded["from_nhs_app"]) == ("", True)
    sign_in_page = browser.get(retry.headers["Location"])
    assert sign_in_page.status_code == 200
    page = browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))
    assert page.url.endswith(LINKAGE_DETAILS)
    assert page.status_code == 200


def test_the_interactive_retry_is_made_once_and_never_loops(browser: PortalBrowser) -> None:
    authorize = browser.get(NHS_APP)
    retry = browser.get(browser.get(authorize.headers["Location"]).headers["Location"])
    sign_in_page = browser.get(retry.headers["Location"])

    page = browser.get(
        browser.answer_simulator(
            sign_in_page, user="p9-demo-practice", outcome="login_required"
        ).headers["Location"]
    )

    assert page.status_code == 200
    assert "You need to sign in to NHS login again" in page.text
    assert "Continue to NHS login" in page.text  # a button: the patient chooses to go on
    assert not signed_in(browser)


def test_nhs_app_jump_off_with_an_nhs_login_session_signs_in_without_a_page(
    browser: PortalBrowser,
) -> None:
    browser.sign_in(user="p9-demo-practice")
    forget_portal_session(browser)
    assert not signed_in(browser)

    authorize = browser.get(f"{NHS_APP}?next={LINKAGE_DETAILS}")
    callback = browser.get(authorize.headers["Location"])
    assert callback.status_code == 302, "prompt=none must not show a page"
    page = browser.follow(callback)

    assert page.url.endswith(LINKAGE_DETAILS)
    assert page.status_code == 200


# --- 5. The NHS App's jump-off and asserted_login_identity ----------------------------------


def asserted_login_identity() -> str:
    """Shaped as the NHS App sends it: a JWT signed RS512 by another relying party."""
    now = int(timezone.now().timestamp())
    token = jwt.encode(
        {
            "code": "id-token-jti",
            "iss": "nhs-app",
            "jti": "assertion-1",
            "iat": now,
            "exp": now + 60,
        },
        private_key_generate(),
        algorithm="RS512",
    )
    secret_register(token)
    return token


@pytest.mark.parametrize("name", ["asserted_login_identity", "assertedLoginIdentity"])
def test_nhs_app_jump_off_passes_asserted_login_identity_on_unchanged(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive, name: str
) -> None:
    assertion = asserted_login_identity()

    authorize = browser.get(f"{NHS_APP}?{name}={assertion}&next={LINKAGE_DETAILS}")

    assert authorize.status_code == 302
    assert authorize.headers["Location"].startswith(f"{nhs_login_live.issuer}/authorize?")
    query = query_of(authorize)
    assert query["asserted_login_identity"] == assertion
    assert query["prompt"] == "none"
    assert json.loads(query["vtr"]) == SIGN_IN_VTR
    recorded = flow_recorded(browser, authorize)
    assert (recorded["from_nhs_app"], recorded["next_url"]) == (True, LINKAGE_DETAILS)
    assert assertion not in json.dumps(dict(portal_session(browser)))  # passed on, not kept


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("not a jws", id="not-a-jws"),
        pytest.param("a.b", id="two-parts"),
        pytest.param("a.b.c.d.e", id="five-parts-jwe"),
        pytest.param("<script>.b.c", id="not-base64url"),
        pytest.param("a" * 2100 + "." + "b" * 2000 + ".c", id="too-long"),
    ],
)
def test_nhs_app_jump_off_sends_nothing_that_is_not_a_compact_jws(
    browser: PortalBrowser, value: str
) -> None:
    authorize = browser.get(f"{NHS_APP}?{urlencode({'asserted_login_identity': value})}")

    query = query_of(authorize)
    assert "asserted_login_identity" not in query
    assert query["prompt"] == "none"  # still the jump-off, with NHS login's own session


def test_asserted_login_identity_never_reaches_the_log(
    browser: PortalBrowser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    assertion = asserted_login_identity()

    browser.get(f"{NHS_APP}?assertedLoginIdentity={assertion}")
    browser.get(f"{NHS_APP}?asserted_login_identity={assertion}x.y")  # refused: logged as such

    assert all(assertion not in record.getMessage() for record in caplog.records)
    assert any("not a compact JWS" in record.getMessage() for record in caplog.records)


# --- 6. Back onto the callback, or a replay -------------------------------------------------


def test_back_onto_the_callback_after_a_step_up_goes_to_the_page_it_led_to(
    browser: PortalBrowser,
) -> None:
    browser.sign_in(user="p5-demo-practice")
    step_up = browser.answer_simulator(step_up_page(browser), user="p5-demo-practice")
    callback = browser.confirm_step_up(step_up)
    assert browser.follow(callback).url.endswith(LINKAGE_DETAILS)

    page = browser.get(callback.headers["Location"])

    assert page.status_code == 302
    assert page.headers["Location"] == LINKAGE_DETAILS


def test_back_onto_an_error_answer_when_signed_in_goes_home(browser: PortalBrowser) -> None:
    browser.sign_in(user="p5-demo-practice")
    callback = browser.answer_simulator(
        step_up_page(browser), user="p5-demo-practice", outcome="access_denied"
    )
    assert browser.get(callback.headers["Location"]).status_code == 200  # the answer's page

    page = browser.get(callback.headers["Location"])

    assert page.status_code == 302
    assert page.headers["Location"] == "/home/"


# --- 7. The simulator's pages are not the portal's -----------------------------------------


def test_the_simulators_pages_are_not_portal_activity(browser: PortalBrowser) -> None:
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p9-demo-practice")
    for minutes in (10, 20, 29):
        with at(start + timedelta(minutes=minutes)):
            simulator = browser.get("/nhs-login-simulator/.well-known/openid-configuration")
            assert simulator.status_code == 200
    with at(start + timedelta(minutes=31)):
        response = browser.get("/home/")

    assert response.headers["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"


def test_the_simulators_pages_do_not_sign_an_idle_patient_out(browser: PortalBrowser) -> None:
    start = timezone.now()
    with at(start):
        browser.sign_in(user="p9-demo-practice")
    with at(start + timedelta(minutes=40)):
        simulator = browser.get("/nhs-login-simulator/.well-known/jwks.json")

        assert simulator.status_code == 200
        assert "_auth_user_id" in dict(portal_session(browser))


def test_the_simulators_responses_carry_no_portal_content_security_policy(
    browser: PortalBrowser,
) -> None:
    """django-csp's EXCLUDE_URL_PREFIXES: the simulator's pages set a policy of their own."""
    portal = without_nonce(browser.get("/").headers["Content-Security-Policy"])
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    discovery = browser.get("/nhs-login-simulator/.well-known/openid-configuration")

    assert "frame-ancestors 'none'" in portal
    assert "Content-Security-Policy" not in discovery.headers  # JSON: the simulator sets none
    assert without_nonce(sign_in_page.headers.get("Content-Security-Policy", "")) != portal


def without_nonce(policy: str) -> str:
    return re.sub(r" 'nonce-[^']+'", "", policy)


# --- 1. The link to NHS login's settings ----------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        pytest.param(
            {"NHS_LOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk"},
            "https://settings.sandpit.signin.nhs.uk",
            id="sandpit",
        ),
        pytest.param(
            {"NHS_LOGIN_ISSUER": "https://auth.aos.signin.nhs.uk"},
            "https://settings.aos.signin.nhs.uk",
            id="integration",
        ),
        pytest.param(
            {"NHS_LOGIN_ISSUER": "https://auth.login.nhs.uk/"},
            "https://settings.login.nhs.uk",
            id="production",
        ),
        pytest.param({"NHS_LOGIN_ISSUER": "https://op.example.org"}, "", id="unknown-issuer"),
        pytest.param(
            {
                "NHS_LOGIN_ISSUER": "https://op.example.org",
                "NHS_LOGIN_SETTINGS_URL": "https://settings.example.org/",
            },
            "https://settings.example.org",
            id="set-explicitly",
        ),
    ],
)
def test_the_settings_link_is_for_the_nhs_login_environment_in_use(
    tmp_path: Any, environment: dict[str, str], expected: str
) -> None:
    assert settings_in("production", environment, tmp_path)["NHS_LOGIN_SETTINGS_URL"] == expected


def test_local_and_test_settings_link_to_the_simulators_settings_page(tmp_path: Any) -> None:
    local = settings_in("local", {}, tmp_path)
    test = settings_in("test", {}, tmp_path)
    sandpit = settings_in(
        "local", {"NHS_LOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk"}, tmp_path
    )

    assert local["NHS_LOGIN_SETTINGS_URL"] == "http://127.0.0.1:8000/nhs-login-simulator/settings"
    assert test["NHS_LOGIN_SETTINGS_URL"] == "http://127.0.0.1:8000/nhs-login-simulator/settings"
    assert sandpit["NHS_LOGIN_SETTINGS_URL"] == "https://settings.sandpit.signin.nhs.uk"


def test_the_portal_middleware_leaves_the_simulator_alone_wherever_it_is_mounted(
    tmp_path: Any,
) -> None:
    for module in ("local", "test"):
        loaded = settings_in(module, {}, tmp_path)
        assert loaded["PORTAL_MIDDLEWARE_EXEMPT_PREFIXES"] == ["/nhs-login-simulator/"]
        assert loaded["CSP_EXCLUDE_URL_PREFIXES"] == ["/nhs-login-simulator/"]
    production = settings_in("production", {}, tmp_path)
    assert production["PORTAL_MIDDLEWARE_EXEMPT_PREFIXES"] == []
    assert production["CSP_EXCLUDE_URL_PREFIXES"] == []


def test_the_signed_in_pages_link_to_the_simulators_settings_without_a_second_sign_in(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = f"{nhs_login_live.issuer}/settings"
    home = browser.sign_in(user="p9-demo-practice")
    assert f'href="{nhs_login_live.issuer}/settings"' in home.text

    account = browser.get(f"{nhs_login_live.issuer}/settings")

    assert account.status_code == 200
    assert "ava.thompson@example.org" in account.text  # the patient's own NHS login account
    assert "You are not signed in to NHS login" not in account.text  # no second sign-in
    assert signed_in(browser)


PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "NHS_LOGIN_SETTINGS_URL": settings.NHS_LOGIN_SETTINGS_URL,
    "PORTAL_MIDDLEWARE_EXEMPT_PREFIXES": settings.PORTAL_MIDDLEWARE_EXEMPT_PREFIXES,
    "CSP_EXCLUDE_URL_PREFIXES": settings.CONTENT_SECURITY_POLICY["EXCLUDE_URL_PREFIXES"],
}))
"""


def settings_in(module: str, environment: dict[str, str], data_dir: Path) -> dict[str, Any]:
    """Settings as a fresh process with exactly this environment reads them."""
    base = PRODUCTION_ENV if module == "production" else {}
    return settings_read(module, {**base, **environment}, data_dir, script=PRINT_SETTINGS)
