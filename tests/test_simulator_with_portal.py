"""The stricter simulator with the portal over real HTTP: its test users for every state of the
demo practice's register reach the right linkage page, the consent screen's three answers, the
NHS App helper's asserted token, the settings page reached from the portal, and the portal
registered as NHS login registers it."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings

from accounts.models import Patient
from accounts.sign_in_flow import vtr_sets_sent
from nhs_login_simulator.models import Client, Consent
from nhs_login_simulator.tests.nhs_app import NhsApp
from tests.portal_browser import PortalBrowser, is_consent_screen
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


@pytest.mark.parametrize(
    ("user", "heading"),
    [
        pytest.param("p9-under-16", "You need to be 16 or over", id="under-16"),
        pytest.param(
            "p9-deceased", "Your registration at this GP practice has ended", id="deceased"
        ),
        pytest.param(
            "p9-registration-ended",
            "Your registration at this GP practice has ended",
            id="registration-ended",
        ),
        pytest.param("p9-not-registered", "We cannot find your registration", id="not-registered"),
        pytest.param("p9-passkey", "You do not have a linkage key yet", id="passkey-p9-cm"),
        pytest.param("p9-demo-practice", "Your linkage details", id="has-a-key"),
    ],
)
def test_each_test_user_reaches_the_linkage_page_of_its_register_state(
    browser: PortalBrowser, user: str, heading: str
) -> None:
    home = browser.sign_in(user=user)
    assert home.url.endswith("/home/"), home.text

    page = browser.follow(browser.get("/home/linkage-details/"))

    assert f"<h1>{heading}</h1>" in page.text


def test_the_passkey_user_signs_in_with_the_p9_cm_vector(browser: PortalBrowser) -> None:
    browser.sign_in(user="p9-passkey")

    assert Patient.objects.get().vot == "P9.Cm"


def test_the_portal_is_registered_with_its_scopes_and_every_vtr_set_it_sends(
    nhs_login_live: NhsLoginLive,
) -> None:
    client = Client.objects.get(client_id=nhs_login_live.client_id)

    assert client.scopes == settings.NHS_LOGIN_SCOPES.split()
    assert [tuple(vtr) for vtr in client.vtr_sets] == list(vtr_sets_sent())
    assert client.key_id == ""  # a PEM, as NHS login registers it


def test_the_first_sign_in_shows_the_consent_screen_and_the_second_does_not(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    consent = browser.answer_simulator(sign_in_page, user="p9-demo-practice", consent="leave")
    assert is_consent_screen(consent)
    assert "Share your NHS login information with Citizen portal" in consent.text

    home = browser.follow(browser.answer_consent(consent))
    assert home.url.endswith("/home/")

    again = PortalBrowser(nhs_login_live.base_url)
    second = again.answer_simulator(
        again.get(again.press_nhs_login_button().headers["Location"]),
        user="p9-demo-practice",
        consent="leave",
    )
    assert not is_consent_screen(second)
    assert again.follow(second).url.endswith("/home/")


def test_declining_consent_comes_back_as_a_bare_access_denied(browser: PortalBrowser) -> None:
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])

    callback = browser.answer_simulator(sign_in_page, user="p9-demo-practice", consent="decline")

    query = parse_qs(urlsplit(callback.headers["Location"]).query)
    assert set(query) == {"error", "state"}
    assert query["error"] == ["access_denied"]
    page = browser.follow(callback)
    assert "You cannot continue without sharing your information" in page.text
    assert browser.get("/home/").status_code != 200
    assert not Consent.objects.exists()


def test_changing_ones_mind_on_the_confirmation_screen_signs_the_patient_in(
    browser: PortalBrowser,
) -> None:
    page = browser.sign_in(user="p9-demo-practice", consent="change-mind")

    assert page.url.endswith("/home/")
    assert Consent.objects.get().identity_proofing_level == "P9"


def test_a_step_up_asks_for_consent_at_the_new_level(browser: PortalBrowser) -> None:
    browser.sign_in(user="p5-demo-practice")
    prove = browser.get("/home/linkage-details/")
    start = browser.press_nhs_login_button(prove.headers["Location"])
    step_up = browser.answer_simulator(
        browser.get(start.headers["Location"]), user="p5-demo-practice"
    )
    assert "Prove who you are" in step_up.text

    consent = browser.confirm_step_up(step_up, consent="leave")

    assert is_consent_screen(consent)
    assert "identity level P9" in consent.text
    page = browser.follow(browser.answer_consent(consent))
    assert page.url.endswith("/home/linkage-details/")
    assert Patient.objects.get().identity_proofing_level == "P9"


def test_the_nhs_app_helper_hands_the_portal_a_token_that_signs_the_patient_in(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    nhs_app = NhsApp.register(sso_with=[nhs_login_live.client_id])
    token = nhs_app.asserted_login_identity(user="p9-demo-practice")

    arrived = browser.follow(browser.get(f"/auth/nhs-app/?asserted_login_identity={token}"))

    # No sign-in page: the simulator goes straight to the consent screen for the portal.
    assert is_consent_screen(arrived), arrived.text
    page = browser.follow(browser.answer_consent(arrived))
    assert page.url.endswith("/home/")
    assert Patient.objects.get().nhs_login_sub == "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"


def test_the_settings_page_shows_the_patient_signed_in_through_the_portal(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    browser.sign_in(user="p9-demo-practice")

    page = browser.get(f"{nhs_login_live.issuer}/settings")

    assert page.status_code == 200
    assert "<h1>Your NHS login</h1>" in page.text
    assert "ava.thompson@example.org" in page.text
    assert f'<a href="{nhs_login_live.base_url}/">Back to Citizen portal</a>' in page.text


def test_the_trustmark_is_served_on_the_issuers_own_origin(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    host = urlsplit(nhs_login_live.issuer).hostname

    trustmark = browser.get(f"{nhs_login_live.issuer}/trustmark/{host}")

    assert trustmark.status_code == 200
    assert json.loads(trustmark.text)["idp"] == nhs_login_live.issuer
