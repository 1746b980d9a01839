"""NL02: signing in with NHS login, over real HTTP against the simulator, with real keys and
real signatures. Each bad answer the simulator can give is refused with a plain page."""

from __future__ import annotations

import io
import json
import re
import time
from importlib import import_module
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Patient
from accounts.nhs_login_client import provider_jwks
from accounts.session_user import session_patient_user
from core.rate_limit import rate_limit_reset
from nhs_login_simulator.keys import current_signing_key
from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

P9_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
NOT_CONFIRMED = "We could not confirm your sign-in"


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


def signed_in(browser: PortalBrowser) -> bool:
    return browser.get("/home/").status_code == 200


def test_button_sends_the_browser_to_nhs_login_with_state_nonce_and_vtr(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    response = browser.press_nhs_login_button()

    location = urlsplit(response.headers["Location"])
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert response.status_code == 302
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{nhs_login_live.issuer}/authorize"
    )
    assert query["response_type"] == "code"
    assert query["client_id"] == nhs_login_live.client_id
    assert query["redirect_uri"] == f"{nhs_login_live.base_url}/auth/nhs-login/callback/"
    assert query["scope"] == "openid profile profile_extended email phone gp_registration_details"
    assert json.loads(query["vtr"]) == [
        "P5.Cp.Cd",
        "P5.Cp.Ck",
        "P5.Cm",
        "P9.Cp.Cd",
        "P9.Cp.Ck",
        "P9.Cm",
    ]
    assert len(query["state"]) >= 32
    assert len(query["nonce"]) >= 32
    assert "prompt" not in query


def test_patient_signs_in_and_sees_their_details(browser: PortalBrowser) -> None:
    page = browser.sign_in(user="p9-demo-practice")

    assert page.url.endswith("/home/")
    assert page.status_code == 200
    assert "999 000 0018" in page.text
    assert "5 March 1985" in page.text
    assert "A12345" in page.text
    assert "High (P9)" in page.text
    # The first name comes with profile_extended, the last with profile; the practice's name
    # from this system's practices, beside the code NHS login gave.
    assert re.search(r">\s*Name\s*</dt>\s*<dd[^>]*>\s*Ava Thompson", page.text)
    assert re.search(r"GP practice\s*</dt>\s*<dd[^>]*>\s*Demo Surgery", page.text)
    patient = Patient.objects.get()
    assert patient.nhs_login_sub == P9_SUB
    assert patient.vot == "P9.Cp.Cd"
    assert patient.identity_proofing_level == "P9"
    # A copy in the session, so that the page keeps working through a database blip.
    session = import_module(settings.SESSION_ENGINE).SessionStore(
        browser.session.cookies.get("sessionid")
    )
    copy = session_patient_user(session)
    assert copy is not None
    assert copy.pk == patient.user.pk
    assert (copy.patient.nhs_number, copy.patient.birthdate) == (
        patient.nhs_number,
        patient.birthdate,
    )


def test_without_profile_extended_the_page_shows_the_last_name_for_what_it_is(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    """NHS login gives the first name with the profile_extended scope only ("Scopes and
    claims"): a registration without it gets the last name, labelled as such."""
    settings.OIDC_RP_SCOPES = settings.NHS_LOGIN_SCOPES = (
        "openid profile email phone gp_registration_details"
    )

    page = browser.sign_in(user="p9-demo-practice")

    assert re.search(r"Last name\s*</dt>\s*<dd[^>]*>\s*Thompson", page.text)
    assert "Ava" not in page.text
    assert Patient.objects.get().given_name == ""


def test_session_key_changes_at_sign_in(browser: PortalBrowser) -> None:
    browser.get("/")
    browser.press_nhs_login_button()
    before = browser.session.cookies.get("sessionid")

    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    browser.follow(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))

    after = browser.session.cookies.get("sessionid")
    assert before is not None
    assert after is not None
    assert after != before


def test_signing_in_again_updates_the_same_patient(browser: PortalBrowser) -> None:
    browser.sign_in(user="p9-demo-practice")
    Patient.objects.update(family_name="Outdated", nhs_number="9990000026")
    browser.get("/")  # already signed in: start page sends the patient home

    second = PortalBrowser(browser.base_url)
    second.sign_in(user="p9-demo-practice")

    patient = Patient.objects.get()
    assert patient.family_name == "Thompson"
    assert patient.nhs_number == "9990000018"


def test_patient_is_keyed_on_sub_not_email(browser: PortalBrowser) -> None:
    browser.sign_in(user="p9-demo-practice")
    PortalBrowser(browser.base_url).sign_in(user="p5-demo-practice")

    assert Patient.objects.count() == 2
    assert {p.nhs_login_sub for p in Patient.objects.all()} == {
        P9_SUB,
        "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e03",
    }


def test_patient_without_an_nhs_number_sees_not_available(browser: PortalBrowser) -> None:
    page = browser.sign_in(user="p5-no-nhs-number")

    assert page.status_code == 200
    assert "Not available" in page.text
    assert Patient.objects.get().nhs_number == ""


@pytest.mark.parametrize(
    "fault",
    [
        "id_token_alg_none",
        "id_token_hs512_with_public_key",
        "id_token_hs512_with_client_key",
        "id_token_rs256",
        "id_token_unknown_kid",
        "id_token_bad_signature",
        "id_token_jku_header",
        "id_token_x5u_header",
        "id_token_jwk_header",
        "id_token_wrong_iss",
        "id_token_wrong_aud",
        "id_token_wrong_azp",
        "id_token_wrong_nonce",
        "id_token_no_nonce",
        "id_token_expired",
        "id_token_iat_in_future",
        "id_token_vot_not_requested",
        "id_token_no_vot",
        "userinfo_sub_mismatch",
    ],
)
def test_refuses_a_bad_id_token_or_userinfo(browser: PortalBrowser, fault: str) -> None:
    page = browser.sign_in(fault=fault)

    assert page.status_code == 400
    assert NOT_CONFIRMED in page.text
    assert "Continue to NHS login" in page.text  # a way to try again
    assert not Patient.objects.exists()
    assert not signed_in(browser)


@pytest.mark.parametrize(
    ("fault", "title"),
    [
        pytest.param(
            "token_server_error", "NHS login is not working at the moment", id="token-500"
        ),
        pytest.param("token_not_json", "NHS login is not working at the moment", id="token-html"),
        pytest.param(
            "userinfo_server_error", "NHS login is not working at the moment", id="userinfo-500"
        ),
        pytest.param(
            "userinfo_not_json", "NHS login is not working at the moment", id="userinfo-html"
        ),
    ],
)
def test_provider_outage_gets_a_plain_page(browser: PortalBrowser, fault: str, title: str) -> None:
    page = browser.sign_in(fault=fault)

    assert page.status_code == 503
    assert title in page.text
    assert "Traceback" not in page.text
    assert not Patient.objects.exists()


def test_slow_provider_is_abandoned_after_the_timeout(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_TIMEOUT_SECONDS = 0.5
    settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS = 3

    started = time.monotonic()
    page = browser.sign_in(fault="token_slow")

    assert page.status_code == 503
    assert "NHS login is not working at the moment" in page.text
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("outcome", "title"),
    [
        pytest.param(
            "access_denied",
            "You cannot continue without sharing your information",
            id="consent-not-given",
        ),
        pytest.param(
            "login_required", "You need to sign in to NHS login again", id="login-required"
        ),
        pytest.param(
            "sso_login_required", "You need to sign in to NHS login again", id="sso-login-required"
        ),
        pytest.param(
            "interaction_required",
            "You need to sign in to NHS login again",
            id="interaction-required",
        ),
        pytest.param(
            "consent_required", "You need to sign in to NHS login again", id="consent-required"
        ),
        pytest.param(
            "account_selection_required",
            "You need to sign in to NHS login again",
            id="account-selection-required",
        ),
        pytest.param("server_error", "NHS login is not working at the moment", id="server-error"),
        pytest.param(
            "temporarily_unavailable",
            "NHS login is not working at the moment",
            id="temporarily-unavailable",
        ),
        pytest.param(
            "invalid_request", "Sorry, there is a problem with this service", id="invalid-request"
        ),
        pytest.param(
            "unauthorized_client",
            "Sorry, there is a problem with this service",
            id="unauthorized-client",
        ),
        pytest.param(
            "unsupported_response_type",
            "Sorry, there is a problem with this service",
            id="unsupported-response-type",
        ),
        pytest.param(
            "invalid_scope", "Sorry, there is a problem with this service", id="invalid-scope"
        ),
    ],
)
def test_each_nhs_login_error_gets_a_plain_english_page(
    browser: PortalBrowser, outcome: str, title: str
) -> None:
    page = browser.sign_in(outcome=outcome)

    assert title in page.text
    assert "Continue to NHS login" in page.text
    assert not signed_in(browser)


def test_access_denied_without_a_description_is_the_no_consent_screen(
    browser: PortalBrowser,
) -> None:
    """NHS login gives no error_description when the patient declines to share."""
    browser.press_nhs_login_button()
    state = parse_qs(urlsplit(browser.press_nhs_login_button().headers["Location"]).query)["state"][
        0
    ]

    page = browser.get(f"/auth/nhs-login/callback/?error=access_denied&state={state}")

    assert "You cannot continue without sharing your information" in page.text
    assert "not working" not in page.text


def _callback_url(browser: PortalBrowser) -> str:
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    return browser.answer_simulator(sign_in_page, user="p9-demo-practice").headers["Location"]


def test_replayed_state_is_refused(browser: PortalBrowser) -> None:
    callback = _callback_url(browser)
    assert browser.follow(browser.get(callback)).url.endswith("/home/")
    browser.session.cookies.clear()

    page = browser.get(callback)

    assert page.status_code == 400
    assert "Your sign-in did not work" in page.text
    assert Patient.objects.count() == 1


def test_replayed_callback_in_the_signed_in_session_goes_home_not_to_an_error(
    browser: PortalBrowser,
) -> None:
    """The browser's Back button onto the callback: the state is spent, the patient is signed
    in already, so they go on to their home page."""
    callback = _callback_url(browser)
    browser.follow(browser.get(callback))

    page = browser.get(callback)

    assert page.status_code == 302
    assert page.headers["Location"] == "/home/"
    assert browser.follow(page).status_code == 200


def test_callback_without_a_started_flow_is_refused(browser: PortalBrowser) -> None:
    page = browser.get("/auth/nhs-login/callback/?code=abc&state=never-issued")

    assert page.status_code == 400
    assert "Your sign-in did not work" in page.text


def test_callback_in_another_browser_session_is_refused(browser: PortalBrowser) -> None:
    callback = _callback_url(browser)
    other = PortalBrowser(browser.base_url)

    page = other.get(callback)

    assert page.status_code == 400
    assert "Your sign-in did not work" in page.text
    assert not Patient.objects.exists()


def test_callback_without_state_or_code_is_refused(browser: PortalBrowser) -> None:
    assert "Your sign-in did not work" in browser.get("/auth/nhs-login/callback/").text
    assert "Your sign-in did not work" in browser.get("/auth/nhs-login/callback/?code=x").text


def test_a_sign_in_that_took_too_long_must_start_again(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    callback = _callback_url(browser)
    settings.NHS_LOGIN_FLOW_MAX_AGE_SECONDS = -1

    page = browser.get(callback)

    assert "Your sign-in took too long" in page.text
    assert not Patient.objects.exists()


def test_a_code_already_spent_gets_the_try_again_page(browser: PortalBrowser) -> None:
    """NHS login answers invalid_grant when a code is replayed."""
    from nhs_login_simulator.models import AuthorizationCode

    callback = _callback_url(browser)
    AuthorizationCode.objects.update(used_at="2026-01-01T00:00:00Z")

    page = browser.get(callback)

    assert "Your sign-in did not work" in page.text


def test_new_signing_key_is_found_by_refreshing_the_cached_jwks(
    browser: PortalBrowser, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.NHS_LOGIN_SIMULATOR_KEY_DIR = tmp_path
    browser.sign_in()
    call_command("nhs_login_simulator_keys_rotate", stdout=io.StringIO())
    new_kid = current_signing_key().kid
    assert new_kid not in {key["kid"] for key in provider_jwks()["keys"]}

    page = PortalBrowser(browser.base_url).sign_in()

    assert page.url.endswith("/home/")
    assert new_kid in {key["kid"] for key in provider_jwks()["keys"]}


def test_unknown_kid_is_refused_even_after_refreshing_the_jwks(browser: PortalBrowser) -> None:
    browser.sign_in()  # JWKS now cached
    assert provider_jwks()["keys"]  # from the cache, which the first sign-in filled

    page = PortalBrowser(browser.base_url).sign_in(fault="id_token_unknown_kid")

    assert NOT_CONFIRMED in page.text


def test_no_token_code_or_nhs_number_reaches_the_log(
    browser: PortalBrowser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")

    browser.sign_in(fault="id_token_wrong_nonce")
    PortalBrowser(browser.base_url).sign_in()

    from core.log_redaction import redact

    for record in caplog.records:
        line = redact(record.getMessage())
        assert "eyJ" not in line
        assert "9990000018" not in line
    assert any("sign-in refused" in record.getMessage() for record in caplog.records)


def _step_up_page(browser: PortalBrowser) -> tuple[str, requests.Response]:
    """A P5 patient signed in, asking for the P9-only page, pressing NHS login's button."""
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/")
    assert prove.headers["Location"] == "/auth/prove-who-you-are/?next=%2Fhome%2Flinkage-details%2F"
    start = browser.press_nhs_login_button(prove.headers["Location"])
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    return query["vtr"][0], browser.get(start.headers["Location"])


def test_step_up_asks_for_p9_only_and_returns_to_the_page_wanted(browser: PortalBrowser) -> None:
    vtr, sign_in_page = _step_up_page(browser)
    assert json.loads(vtr) == ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]

    step_up = browser.answer_simulator(sign_in_page, user="p5-demo-practice")
    assert "Prove who you are" in step_up.text
    page = browser.follow(browser.confirm_step_up(step_up))

    assert page.url.endswith("/home/linkage-details/")
    assert page.status_code == 200
    patient = Patient.objects.get()
    assert patient.identity_proofing_level == "P9"
    assert patient.gp_ods_code == "A12345"


def test_step_up_cancelled_at_nhs_login_gets_a_page_not_a_loop(browser: PortalBrowser) -> None:
    _, sign_in_page = _step_up_page(browser)

    page = browser.follow(
        browser.answer_simulator(sign_in_page, user="p5-demo-practice", outcome="access_denied")
    )

    assert page.status_code == 200
    assert "We could not confirm your identity" in page.text
    assert "You cannot continue without sharing your information" not in page.text
    assert "Go to your details" in page.text
    assert signed_in(browser)  # still signed in at P5
    assert Patient.objects.get().identity_proofing_level == "P5"


def test_step_up_answered_with_a_lower_level_says_identity_was_not_confirmed(
    browser: PortalBrowser,
) -> None:
    _, sign_in_page = _step_up_page(browser)
    step_up = browser.answer_simulator(
        sign_in_page, user="p5-demo-practice", fault="id_token_vot_not_requested"
    )

    page = browser.follow(browser.confirm_step_up(step_up))

    assert "We could not confirm your identity" in page.text
    assert "Continue to NHS login" not in page.text  # no button that would loop
    assert signed_in(browser)
    assert Patient.objects.get().identity_proofing_level == "P5"


def test_button_with_provider_unreachable_gets_the_unavailable_page(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_ISSUER = "http://127.0.0.1:1/nhs-login"

    response = browser.press_nhs_login_button()

    assert response.status_code == 503
    assert "NHS login is not working at the moment" in response.text


def test_discovery_naming_another_issuer_is_refused(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SIMULATOR_ISSUER = "https://auth.login.nhs.uk.attacker.example"

    response = browser.press_nhs_login_button()

    assert response.status_code == 503
    assert "Location" not in response.headers


def test_missing_client_key_is_a_set_up_problem_not_a_crash(
    browser: PortalBrowser, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(tmp_path / "missing.pem")

    page = browser.sign_in()

    assert page.status_code == 500
    assert "Sorry, there is a problem with this service" in page.text
    assert not Patient.objects.exists()


def test_sign_in_starts_are_rate_limited_per_address(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    settings.SIGN_IN_RATE_LIMIT_PER_MINUTE = 2
    rate_limit_reset("sign-in:127.0.0.1")

    responses = [browser.press_nhs_login_button() for _ in range(3)]

    assert [r.status_code for r in responses[:2]] == [302, 302]
    assert responses[2].status_code == 429
    assert "Too many attempts to sign in" in responses[2].text
    assert 1 <= int(responses[2].headers["Retry-After"]) <= 60
