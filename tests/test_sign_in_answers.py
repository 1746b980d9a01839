"""What the portal does with NHS login's answers, over real HTTP against the simulator: the
no-consent screens, a P5 patient's NHS number, the step-up page, and the checks on the access
token, the ID token's trustmark and level, and userinfo's refusals.

The tokens a provider could send but the simulator does not are made here by re-signing what
the simulator issued with the simulator's own published key, so they reach the portal exactly
as a misbehaving NHS login's would.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import nhs_login_client
from accounts.models import Patient
from accounts.session_user import PATIENT_COPY
from accounts.tests.factories import PatientFactory
from nhs_login_simulator.keys import current_signing_key
from tests.portal_browser import PortalBrowser
from tests.security.secrets_in_logs import secret_register
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

NO_CONSENT = "You cannot continue without sharing your information"
NOT_CONFIRMED = "We could not confirm your sign-in"
P5_SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e03"
P5_NHS_NUMBER = "9990000034"
EMERGENCY_LINKS = ["https://111.nhs.uk/", "tel:111", "tel:999"]


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


def _state_of(redirect: requests.Response) -> str:
    assert redirect.status_code == 302, redirect.text
    return parse_qs(urlsplit(redirect.headers["Location"]).query)["state"][0]


def _declined(browser: PortalBrowser, state: str, **extra: str) -> requests.Response:
    """NHS login's answer after the patient declines to share: access_denied, no description
    ("Sharing a user's NHS login information with your service")."""
    query = "&".join(f"{name}={value}" for name, value in extra.items())
    return browser.get(f"/auth/nhs-login/callback/?error=access_denied&state={state}&{query}")


def _main(page: requests.Response) -> str:
    found = re.search(r"<main\b.*?</main>", page.text, re.S)
    assert found, "no <main> on the page"
    return found.group(0)


def _links(html: str) -> list[str]:
    return re.findall(r'<a [^>]*href="([^"]+)"', html)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def _session(browser: PortalBrowser) -> SessionBase:
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    return store(browser.session.cookies.get("sessionid"))


def signed_in(browser: PortalBrowser) -> bool:
    return browser.get("/home/").status_code == 200


# --- 1. No consent ---------------------------------------------------------------------------


def test_declining_to_share_shows_nhs_logins_no_consent_screen(browser: PortalBrowser) -> None:
    page = _declined(browser, _state_of(browser.press_nhs_login_button()))

    main = _main(page)
    assert page.status_code == 200
    assert "<h1>You cannot continue without sharing your information</h1>" in main
    text = _text(main)
    assert "Citizen portal needs your NHS login information to verify your identity." in text
    assert "If you need medical help, go to 111.nhs.uk or call 111 or your GP." in text
    assert "Call 999 if it's a life-threatening emergency." in text
    assert _links(main) == EMERGENCY_LINKS
    assert '<button class="nhslogin-button" type="submit">Continue to NHS login</button>' in main
    assert "Dynamic content" not in main
    assert "not working" not in main
    assert "cannot sign in" not in main
    assert not signed_in(browser)


def test_declining_on_nhs_logins_consent_screen_comes_back_with_access_denied_alone(
    browser: PortalBrowser,
) -> None:
    """Declined, confirmed on the "are you sure" screen: NHS login redirects with the error
    and the state, nothing else, and the portal shows its no-consent screen."""
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    redirect = browser.answer_simulator(sign_in_page, user="p9-demo-practice", consent="decline")

    query = parse_qs(urlsplit(redirect.headers["Location"]).query)
    assert sorted(query) == ["error", "state"]
    assert query["error"] == ["access_denied"]
    page = browser.follow(redirect)
    assert NO_CONSENT in page.text
    assert _links(_main(page)) == EMERGENCY_LINKS
    assert not signed_in(browser)
    assert not Patient.objects.exists()


def test_a_patient_who_changes_their_mind_is_signed_in(browser: PortalBrowser) -> None:
    page = browser.sign_in(user="p9-demo-practice", consent="change-mind")

    assert page.url.endswith("/home/")
    assert NO_CONSENT not in page.text


def test_the_no_consent_screen_offers_a_new_sign_in(browser: PortalBrowser) -> None:
    _declined(browser, _state_of(browser.press_nhs_login_button()))

    again = browser.press_nhs_login_button("/auth/nhs-login/callback/?error=access_denied")

    assert again.headers["Location"].startswith(f"{browser.base_url}/nhs-login-simulator/")


def test_an_error_description_changes_nothing(browser: PortalBrowser) -> None:
    """The portal no longer looks for a description NHS login never sends."""
    with_description = _declined(
        browser, _state_of(browser.press_nhs_login_button()), error_description="ConsentNotGiven"
    )
    without = _declined(browser, _state_of(browser.press_nhs_login_button()))

    assert NO_CONSENT in with_description.text
    assert _links(_main(with_description)) == _links(_main(without)) == EMERGENCY_LINKS


def test_access_denied_for_a_flow_the_portal_does_not_know_never_blames_nhs_login(
    browser: PortalBrowser,
) -> None:
    page = _declined(browser, "a-state-this-browser-never-started")

    assert page.status_code == 200
    assert NO_CONSENT in page.text
    assert "NHS login is not working" not in page.text
    assert "NHS login did not let you" not in page.text


def test_declining_after_the_nhs_app_jump_off_shows_the_nhs_app_screen(
    browser: PortalBrowser,
) -> None:
    """NHS login's NHS App (browser) version: its content only, "The service provider", no
    back button or other way on of our own."""
    page = _declined(browser, _state_of(browser.get("/auth/nhs-app/")))

    main = _main(page)
    text = _text(main)
    assert page.status_code == 200
    assert "<h1>You cannot continue without sharing your information</h1>" in main
    assert "The service provider needs your NHS login information to verify your identity." in (
        text
    )
    assert "Close this tab to go back to NHS App." in text
    assert _links(main) == EMERGENCY_LINKS
    assert "<button" not in main
    assert "<form" not in main
    assert "Citizen portal" not in main
    assert not signed_in(browser)


def test_cancelling_identity_verification_during_step_up_keeps_the_patient_at_p5(
    browser: PortalBrowser,
) -> None:
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/").headers["Location"]

    page = _declined(browser, _state_of(browser.press_nhs_login_button(prove)))

    assert page.status_code == 200
    assert "<h1>We could not confirm your identity</h1>" in page.text
    assert "You can still use the rest of this service." in page.text
    assert NO_CONSENT not in page.text
    assert "cannot sign in" not in page.text
    assert 'href="/home/"' in _main(page)
    assert signed_in(browser)
    assert Patient.objects.get().identity_proofing_level == "P5"


def test_declining_to_share_at_the_new_level_during_step_up_keeps_the_patient_at_p5(
    browser: PortalBrowser,
) -> None:
    """NHS login asks for consent again at a new level of verification; declining it there is
    an access_denied on a step-up flow."""
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/").headers["Location"]
    sign_in_page = browser.get(browser.press_nhs_login_button(prove).headers["Location"])
    step_up = browser.answer_simulator(sign_in_page, user="p5-demo-practice")

    page = browser.follow(browser.confirm_step_up(step_up, consent="decline"))

    assert "<h1>We could not confirm your identity</h1>" in page.text
    assert signed_in(browser)
    assert Patient.objects.get().identity_proofing_level == "P5"


# --- 2. A P5 patient's NHS number ------------------------------------------------------------


def test_a_p5_patient_never_sees_and_the_portal_never_keeps_their_nhs_number(
    browser: PortalBrowser, caplog: pytest.LogCaptureFixture
) -> None:
    """Scopes and claims, note 2: NHS login releases it at P5, but it must not be given or
    presented to the patient below P9."""
    caplog.set_level("DEBUG")
    page = browser.sign_in(user="p5-demo-practice")

    assert page.url.endswith("/home/")
    assert "Medium (P5)" in page.text
    assert "NHS number" not in page.text
    assert "999 000 0034" not in page.text
    assert P5_NHS_NUMBER not in page.text
    assert Patient.objects.get().nhs_number == ""
    session = _session(browser)
    assert session[PATIENT_COPY]["nhs_number"] == ""
    assert P5_NHS_NUMBER not in str(dict(session.items()))
    for path in ("/auth/prove-who-you-are/", "/auth/sign-out/"):
        assert P5_NHS_NUMBER not in browser.get(path).text
    assert not [m for m in caplog.messages if P5_NHS_NUMBER in m or "999 000 0034" in m]


def test_a_p5_sign_in_clears_the_number_an_earlier_p9_sign_in_kept(
    browser: PortalBrowser,
) -> None:
    PatientFactory.create(nhs_login_sub=P5_SUB, nhs_number=P5_NHS_NUMBER, gp_ods_code="A12345")

    page = browser.sign_in(user="p5-demo-practice")

    assert "999 000 0034" not in page.text
    assert Patient.objects.get().nhs_number == ""


def test_after_the_step_up_to_p9_the_nhs_number_appears(browser: PortalBrowser) -> None:
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/").headers["Location"]
    sign_in_page = browser.get(browser.press_nhs_login_button(prove).headers["Location"])
    step_up = browser.answer_simulator(sign_in_page, user="p5-demo-practice")
    assert browser.follow(browser.confirm_step_up(step_up)).status_code == 200

    home = browser.get("/home/")

    assert "High (P9)" in home.text
    assert "999 000 0034" in home.text
    assert Patient.objects.get().nhs_number == P5_NHS_NUMBER
    assert _session(browser)[PATIENT_COPY]["nhs_number"] == P5_NHS_NUMBER


def test_a_p9_patient_sees_their_nhs_number(browser: PortalBrowser) -> None:
    page = browser.sign_in(user="p9-demo-practice")

    assert "999 000 0018" in page.text
    assert _session(browser)[PATIENT_COPY]["nhs_number"] == "9990000018"


# --- 3. The step-up page ------------------------------------------------------------------------


def test_the_step_up_page_says_nothing_of_what_nhs_login_will_ask_for(
    browser: PortalBrowser,
) -> None:
    browser.sign_in(user="p5-demo-practice")

    main = _main(browser.get("/auth/prove-who-you-are/?next=/home/linkage-details/"))

    assert "<h1>Prove who you are to continue</h1>" in main
    for word in ("photo", "passport", "driving licence", " ID ", "selfie", "video"):
        assert word.lower() not in _text(main).lower(), word
    assert '<button class="nhslogin-button" type="submit">Continue to NHS login</button>' in main


# --- 4. What the provider returns ------------------------------------------------------------


TokenEdit = Callable[[dict[str, Any]], dict[str, Any]]


def _resign(token: str, edit: TokenEdit, *, algorithm: str = "RS512") -> str:
    """The simulator's token with its claims edited, signed again with its published key."""
    key = current_signing_key()
    claims = edit(jwt.decode(token, options={"verify_signature": False}))
    forged = jwt.encode(claims, key.private_key, algorithm=algorithm, headers={"kid": key.kid})
    secret_register(forged)
    return forged


@pytest.fixture
def provider_answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Rewrites the token response the portal receives, as a misbehaving provider would."""

    def rewrite(
        *, id_token: TokenEdit | None = None, access_token: Callable[[str], str] | None = None
    ) -> None:
        real = nhs_login_client.token_request

        def token_request(*, code: str, code_verifier: str | None) -> dict[str, Any]:
            tokens = dict(real(code=code, code_verifier=code_verifier))
            if id_token is not None:
                tokens["id_token"] = _resign(tokens["id_token"], id_token)
            if access_token is not None:
                tokens["access_token"] = access_token(tokens["access_token"])
            return tokens

        monkeypatch.setattr(nhs_login_client, "token_request", token_request)

    return rewrite


def _without(name: str) -> TokenEdit:
    return lambda claims: {key: value for key, value in claims.items() if key != name}


def _with(**changes: Any) -> TokenEdit:
    return lambda claims: {**claims, **changes}


def test_the_simulators_tokens_pass_every_check(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    assert settings.NHS_LOGIN_ACCESS_TOKEN_SIGNED is True

    page = browser.sign_in()

    assert page.url.endswith("/home/")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        pytest.param(_without("vtm"), 'Token is missing the "vtm" claim', id="no-vtm"),
        pytest.param(
            _with(vtm="https://trustmark.attacker.example/auth.login.nhs.uk"),
            "vtm is not a URL on the issuer's origin",
            id="vtm-elsewhere",
        ),
        pytest.param(
            _with(identity_proofing_level="P7"), "is not P0, P5 or P9", id="level-not-a-level"
        ),
        pytest.param(
            _with(identity_proofing_level="P5"), "below the vot's level", id="level-below-vot"
        ),
        pytest.param(
            lambda claims: {**claims, "iat": int(time.time()) - 400},
            "seconds ago, more than 330",
            id="issued-too-long-ago",
        ),
    ],
)
def test_an_id_token_failing_a_check_is_refused(
    browser: PortalBrowser,
    provider_answers: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    edit: TokenEdit,
    reason: str,
) -> None:
    provider_answers(id_token=edit)

    page = browser.sign_in(user="p9-demo-practice")

    assert page.status_code == 400
    assert NOT_CONFIRMED in page.text
    assert not Patient.objects.exists()
    assert any(
        "sign-in refused (IdTokenInvalidError)" in message and reason in message
        for message in caplog.messages
    ), caplog.messages


def _opaque(access_token: str) -> str:
    opaque = "opaque-access-token-0123456789abcdef"
    secret_register(opaque)
    return opaque


@pytest.mark.parametrize(
    ("rewrite", "reason"),
    [
        pytest.param(_opaque, "not a JWS", id="opaque"),
        pytest.param(
            lambda token: _resign(token, _with(vot="P9.Cm")),
            "vot 'P9.Cm' differs from the ID token's",
            id="vot-differs",
        ),
        pytest.param(
            lambda token: _resign(token, _with(sub="5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e02")),
            "sub differs from the ID token's",
            id="another-patient",
        ),
        pytest.param(lambda token: _resign(token, _without("vtm")), '"vtm" claim', id="no-vtm"),
        pytest.param(
            lambda token: _resign(token, _with(vtm="https://attacker.example/trustmark")),
            "vtm is not a URL on the issuer's origin",
            id="vtm-elsewhere",
        ),
        pytest.param(
            lambda token: _resign(token, _with(identity_proofing_level="P5")),
            "below the vot's level",
            id="level-below-vot",
        ),
        pytest.param(
            lambda token: _resign(token, _with(aud="another-client")),
            "InvalidAudienceError",
            id="another-client",
        ),
        pytest.param(
            lambda token: _resign(token, lambda claims: claims, algorithm="RS256"),
            "is not RS512",
            id="rs256",
        ),
    ],
)
def test_an_access_token_failing_a_check_is_refused(
    browser: PortalBrowser,
    provider_answers: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
    rewrite: Callable[[str], str],
    reason: str,
) -> None:
    provider_answers(access_token=rewrite)

    page = browser.sign_in(user="p9-demo-practice")

    assert page.status_code == 400
    assert NOT_CONFIRMED in page.text
    assert not Patient.objects.exists()
    assert any(
        "sign-in refused (AccessTokenInvalidError)" in message and reason in message
        for message in caplog.messages
    ), caplog.messages


def test_with_opaque_access_tokens_configured_the_access_token_is_not_checked(
    browser: PortalBrowser, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.NHS_LOGIN_ACCESS_TOKEN_SIGNED = False

    def refuse_everything(access_token: str, **kwargs: Any) -> dict[str, Any]:
        raise AssertionError("the access token was checked")

    monkeypatch.setattr("accounts.backends.access_token_verify", refuse_everything)

    page = browser.sign_in()

    assert page.url.endswith("/home/")


def test_a_userinfo_refusal_is_read_from_www_authenticate_and_only_its_code_logged(
    browser: PortalBrowser,
    settings: SettingsWrapper,
    provider_answers: Callable[..., None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The simulator answers a bad bearer token with 401 and `WWW-Authenticate: Bearer
    error="invalid_token", error_description=...` (Federation specification 3.6.2.2)."""
    settings.NHS_LOGIN_ACCESS_TOKEN_SIGNED = False  # let the opaque token reach userinfo
    provider_answers(access_token=_opaque)

    page = browser.sign_in()

    assert page.status_code == 400
    assert NOT_CONFIRMED in page.text
    assert not Patient.objects.exists()
    refusals = [m for m in caplog.messages if m.startswith("NHS login refused the userinfo")]
    assert refusals == ["NHS login refused the userinfo request: invalid_token (HTTP 401)"]
