"""A patient this service could not help even at P9 is told so at P5, before NHS login is
asked to check their identity in full: over real HTTP, against the simulator, which gives the
practice's code and the NHS number at P5 as NHS login does ("Scopes and claims"; ADR 0021,
docs/nhs-login-levels-and-claims.md)."""

from __future__ import annotations

import pytest

from accounts.models import Patient
from linkage.models import Practice
from tests.portal_browser import PortalBrowser, form_field
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

NOT_FIXED = "Proving who you are with NHS login would not change this."


@pytest.fixture
def browser(nhs_login_live: NhsLoginLive) -> PortalBrowser:
    return PortalBrowser(nhs_login_live.base_url)


def step_up_pressed(browser: PortalBrowser) -> tuple[str, int, str]:
    """Where the P9-only page sends the patient, and what pressing the step-up's button
    (posted straight, as a stale page or another tab might) answers: the page's heading, and
    the answer's status and where it sends the browser."""
    prove = browser.follow(browser.get("/home/linkage-details/"))
    token = form_field(browser.get("/auth/sign-out/").text, "sign-out", "csrfmiddlewaretoken")
    pressed = browser.session.post(
        f"{browser.base_url}/auth/nhs-login/start/?step_up=1&next=/home/linkage-details/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{browser.base_url}/home/"},
        allow_redirects=False,
        timeout=30,
    )
    heading = prove.text.split("<h1>")[1].split("</h1>")[0]
    if heading != "Prove who you are to continue":
        assert "/auth/nhs-login/start/" not in prove.text  # no step-up offered
    return heading, pressed.status_code, pressed.headers.get("Location", "")


@pytest.mark.parametrize(
    ("user", "title"),
    [
        pytest.param(
            "p5-other-practice", "Your GP practice does not use this service", id="not-here"
        ),
        pytest.param("p5-no-nhs-number", "We cannot find your NHS number", id="no-nhs-number"),
    ],
)
def test_a_p5_patient_the_step_up_could_not_help_is_told_before_it(
    browser: PortalBrowser, user: str, title: str
) -> None:
    home = browser.sign_in(user=user)

    assert home.url.endswith("/home/")
    assert NOT_FIXED in home.text
    assert 'href="/home/linkage-details/"' not in home.text
    heading, status, location = step_up_pressed(browser)
    assert heading == title.replace("'", "&#39;")
    assert (status, location) == (200, "")
    assert Patient.objects.get().identity_proofing_level == "P5"


def test_a_p5_patient_of_a_practice_not_offering_the_service_yet_is_told_before_it(
    browser: PortalBrowser,
) -> None:
    Practice.objects.filter(ods_code="A12345").update(online_services_live=False)

    home = browser.sign_in(user="p5-demo-practice")

    assert "Demo Surgery uses this service, but has not started offering" in home.text
    heading, status, location = step_up_pressed(browser)
    assert heading == "Demo Surgery does not offer this service yet"
    assert (status, location) == (200, "")


def test_a_p5_patient_of_a_practice_offering_the_service_is_sent_to_prove_who_they_are(
    browser: PortalBrowser, nhs_login_live: NhsLoginLive
) -> None:
    home = browser.sign_in(user="p5-demo-practice")

    assert NOT_FIXED not in home.text
    assert 'href="/home/linkage-details/"' in home.text
    heading, status, location = step_up_pressed(browser)
    assert heading == "Prove who you are to continue"
    assert status == 302
    assert location.startswith(f"{nhs_login_live.issuer}/authorize?")


def test_the_p5_sign_in_records_that_nhs_login_gave_an_nhs_number_but_not_the_number(
    browser: PortalBrowser,
) -> None:
    browser.sign_in(user="p5-other-practice")

    patient = Patient.objects.get()
    assert (patient.has_nhs_number, patient.nhs_number, patient.gp_ods_code) == (
        True,
        "",
        "X99999",
    )
