"""NHS login's "Testing scenarios" for a service that offers P5 and P9
(docs/nhs-login-conformance.md), end to end over real HTTP: the portal, the simulator as NHS
login, real keys and signatures.

The scenarios that other modules already prove are named in the conformance document; these are
the ones that need the whole journey: a scope the service is not registered for, a P0 user asked
to uplift, the consent screen naming what the service asked for, and the returned vector checked
against the one sent.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Patient
from accounts.sign_in_flow import p9_vectors
from tests.portal_browser import PortalBrowser, is_consent_screen
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


def test_a_scope_the_service_is_not_registered_for_is_refused_and_the_patient_told(
    browser: PortalBrowser, settings: SettingsWrapper
) -> None:
    """ "Supplier to request scopes that are not supported by their service and ensure invalid
    scope error returned to the user": the portal is registered without ``landline``."""
    settings.OIDC_RP_SCOPES = settings.NHS_LOGIN_SCOPES = f"{settings.NHS_LOGIN_SCOPES} landline"

    answer = browser.get(browser.press_nhs_login_button().headers["Location"])

    callback = urlsplit(answer.headers["Location"])
    assert callback.path == "/auth/nhs-login/callback/"
    assert parse_qs(callback.query)["error"] == ["invalid_scope"]
    page = browser.follow(answer)
    assert "Sorry, there is a problem with this service" in page.text
    assert "There is a problem with how this service connects to NHS login." in page.text
    assert browser.get("/home/").status_code != 200


def test_a_p0_user_is_asked_to_uplift_and_arrives_at_p5_then_steps_up_to_p9(
    browser: PortalBrowser,
) -> None:
    """P5 and P9 "Login" scenarios: a user verified at P0 is asked to uplift to the lowest level
    the service accepts (P5), is asked to share, arrives; the P9-only page then takes them
    through the step-up to P9."""
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    uplift = browser.answer_simulator(sign_in_page, user="p0-unverified")
    assert "Prove who you are" in uplift.text

    home = browser.follow(browser.confirm_step_up(uplift))

    assert home.url.endswith("/home/")
    assert Patient.objects.get().vot.startswith("P5.")
    prove = browser.get("/home/linkage-details/")
    start = browser.press_nhs_login_button(prove.headers["Location"])
    step_up = browser.answer_simulator(browser.get(start.headers["Location"]), user="p0-unverified")
    assert "Prove who you are" in step_up.text
    browser.follow(browser.confirm_step_up(step_up))
    assert Patient.objects.get().vot in p9_vectors()


@pytest.mark.parametrize(
    ("user", "level"),
    [
        pytest.param("p5-demo-practice", "P5", id="verified-at-p5"),
        pytest.param("p9-demo-practice", "P9", id="verified-at-p9"),
    ],
)
def test_the_consent_screen_names_what_the_service_asked_for_and_the_vot_is_one_requested(
    browser: PortalBrowser, settings: SettingsWrapper, user: str, level: str
) -> None:
    """ "The correct scopes are presented on consent screen", and "Suppliers to check that the
    VoT parameter in the request matches the VoT parameter in the response"."""
    start = browser.press_nhs_login_button()
    requested = json.loads(parse_qs(urlsplit(start.headers["Location"]).query)["vtr"][0])
    consent = browser.answer_simulator(
        browser.get(start.headers["Location"]), user=user, consent="leave"
    )

    assert is_consent_screen(consent)
    assert f"identity level {level}" in consent.text
    for shared in ("Your profile", "Your email address", "Your mobile phone number"):
        assert shared in consent.text
    home = browser.follow(browser.answer_consent(consent))
    assert home.url.endswith("/home/")
    vot = Patient.objects.get().vot
    assert vot.startswith(f"{level}.")
    assert vot in requested
    assert requested == settings.NHS_LOGIN_VTR
