"""The session limits of NHS login's "Session management", through Django's test client: the
page's own timer, the automatic sign-in at the end of a session, the 12 hours a step-up does
not restart, and the simulator's pages the portal's middleware leaves alone.

Over real HTTP, with NHS login's answers, in tests/test_sign_in_session.py.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.sessions.backends.base import SessionBase
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.middleware import (
    LAST_ACTIVITY_AT,
    SIGNED_IN_AT,
    session_signed_in_at_kept,
)
from accounts.models import Patient
from accounts.tests.factories import PatientFactory
from core.middleware import portal_middleware_exempt

pytestmark = pytest.mark.django_db

SIGN_IN_AGAIN = "/auth/nhs-login/sign-in-again/"


def test_when_the_warning_runs_out_the_page_moves_itself_into_nhs_login(
    patient_client: Client,
) -> None:
    """No button to press: the timer (and the <noscript> refresh) go to the automatic sign-in,
    which comes back to the page the patient was on before the warning."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        html = patient_client.get("/auth/session/expiring/?next=/home/").content.decode()

    url = f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"
    assert 'data-session-end-after="125"' in html  # 2 minutes, then 5 seconds' margin
    assert f'data-session-end-url="{url}"' in html
    assert f'<noscript><meta http-equiv="refresh" content="125;url={url}"></noscript>' in html
    # The warning page is the warning: no dialog over it.
    assert "data-session-warn-after" not in html
    assert 'id="session-warning"' not in html


def test_the_warning_page_timer_never_leads_off_site(patient_client: Client) -> None:
    html = patient_client.get(
        "/auth/session/expiring/?next=https://attacker.example/"
    ).content.decode()

    assert f'data-session-end-url="{SIGN_IN_AGAIN}"' in html


def test_the_warning_page_after_the_limit_signs_in_again_to_the_page_before_it(
    patient_client: Client,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = patient_client.get("/auth/session/expiring/?next=/home/linkage-details/")

    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2Flinkage-details%2F"


@pytest.mark.parametrize(
    ("posted_to", "form_page"),
    [
        pytest.param("/auth/session/stay-signed-in/", "/home/", id="stay-signed-in"),
        pytest.param("/home/linkage-details/show-key/", "/home/linkage-details/", id="show-key"),
    ],
)
def test_a_form_posted_after_the_limit_signs_in_again_to_the_forms_page(
    patient_client: Client, posted_to: str, form_page: str
) -> None:
    """The address a form posts to shows nothing to a GET (core/form_posts.py), so the patient
    comes back to the page the form is on."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = patient_client.post(posted_to, {"next": "/home/"})

    assert response["Location"] == f"{SIGN_IN_AGAIN}?{urlencode({'next': form_page})}"
    assert patient_client.get("/home/").status_code == 302


def test_near_the_12_hours_the_page_moves_into_nhs_login_without_a_warning(
    patient_client: Client,
) -> None:
    """ "Stay signed in" cannot extend the 12 hours, so there is no warning page before them."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    for minutes in range(25, 11 * 60 + 50, 25):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            patient_client.get("/home/")
    with time_machine.travel(start + timedelta(hours=11, minutes=50), tick=False):
        html = patient_client.get("/home/").content.decode()

    assert 'data-session-end-after="605"' in html
    assert f'data-session-end-url="{SIGN_IN_AGAIN}?next=%2Fhome%2F"' in html
    assert "data-session-warn-after" not in html
    assert 'id="session-warning"' not in html
    refresh = f"605;url={SIGN_IN_AGAIN}?next=%2Fhome%2F"
    assert f'<noscript><meta http-equiv="refresh" content="{refresh}"></noscript>' in html


def test_sign_in_again_with_the_session_still_alive_goes_on_to_the_page(
    patient_client: Client,
) -> None:
    """Another tab kept the session alive when this tab's timer fired: a GET signs no one
    out, and there is nothing to sign in again for."""
    response = patient_client.get(f"{SIGN_IN_AGAIN}?next=/home/linkage-details/")

    assert response["Location"] == "/home/linkage-details/"
    assert patient_client.get("/home/").status_code == 200


def test_sign_in_again_is_not_activity(patient_client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        patient_client.get(SIGN_IN_AGAIN)
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        response = patient_client.get("/home/")

    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"


def test_the_simulators_pages_are_not_activity_and_never_sign_the_patient_out(
    patient_client: Client,
) -> None:
    """They stand in for NHS login, whose pages the portal's session never reaches."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=20), tick=False):
        assert patient_client.get("/nhs-login-simulator/.well-known/jwks.json").status_code == 200
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        discovery = patient_client.get("/nhs-login-simulator/.well-known/openid-configuration")
        session = dict(patient_client.session)
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        response = patient_client.get("/home/")

    assert discovery.status_code == 200  # not sent to sign in again
    assert "_auth_user_id" in session  # not signed out
    assert session[LAST_ACTIVITY_AT] == pytest.approx(start.timestamp())
    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"


def test_the_simulators_pages_carry_no_portal_content_security_policy(client: Client) -> None:
    """django-csp's EXCLUDE_URL_PREFIXES: the simulator sets a policy of its own."""
    portal = client.get("/")["Content-Security-Policy"]
    simulator = client.get("/nhs-login-simulator/.well-known/openid-configuration")

    assert "frame-ancestors 'none'" in portal
    assert "Content-Security-Policy" not in simulator  # JSON: the simulator sets none


@pytest.mark.parametrize(
    ("path", "exempt"),
    [
        pytest.param("/nhs-login-simulator/authorize", True, id="simulator"),
        pytest.param("/nhs-login-simulator/settings", True, id="simulator-settings"),
        pytest.param("/home/", False, id="portal"),
        pytest.param("/nhs-login-simulatorx/", False, id="look-alike"),
    ],
)
def test_only_the_listed_prefixes_are_left_alone(path: str, exempt: bool) -> None:
    assert portal_middleware_exempt(RequestFactory().get(path)) is exempt


def test_with_no_prefixes_listed_the_middleware_acts_everywhere(
    settings: SettingsWrapper,
) -> None:
    settings.PORTAL_MIDDLEWARE_EXEMPT_PREFIXES = []

    assert portal_middleware_exempt(RequestFactory().get("/nhs-login-simulator/")) is False


def _session(user_id: int, signed_in_at: float) -> SessionBase:
    session = Client().session
    session["_auth_user_id"] = str(user_id)
    session[SIGNED_IN_AT] = signed_in_at
    return session


def test_a_step_up_of_the_same_patient_keeps_the_first_sign_in_time() -> None:
    patient: Patient = PatientFactory.create()

    assert session_signed_in_at_kept(
        _session(patient.user.pk, 1000.0), user_id=patient.user.pk
    ) == (1000.0)


def test_a_sign_in_as_someone_else_starts_the_12_hours_afresh() -> None:
    patient: Patient = PatientFactory.create()
    other: Patient = PatientFactory.create()

    assert (
        session_signed_in_at_kept(_session(other.user.pk, 1000.0), user_id=patient.user.pk) is None
    )


def test_a_session_not_signed_in_starts_the_12_hours_afresh() -> None:
    assert session_signed_in_at_kept(Client().session, user_id=1) is None


# --- The link to NHS login's settings ("NHS login user settings") ---------------------------

SETTINGS_URL = "https://settings.sandpit.signin.nhs.uk"


def test_signed_in_pages_link_to_nhs_login_settings_in_the_header_and_on_home(
    patient_client: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = SETTINGS_URL

    html = patient_client.get("/home/").content.decode()

    header = html[html.index('<nav class="nhsuk-header__account') : html.index("</nav>")]
    link = f'<a class="nhsuk-header__account-link" href="{SETTINGS_URL}">'
    assert link in header
    assert "NHS login settings" in header
    main = html[html.index("<main") :]
    assert f'<a href="{SETTINGS_URL}">Go to your NHS login settings</a>' in main
    assert "target=" not in header  # the same tab: NHS login's session opens it


def test_every_signed_in_page_has_the_settings_link_in_its_header(
    patient_client: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = SETTINGS_URL

    html = patient_client.get("/home/linkage-details/").content.decode()

    assert f'class="nhsuk-header__account-link" href="{SETTINGS_URL}"' in html


def test_signed_out_pages_have_no_settings_link(client: Client, settings: SettingsWrapper) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = SETTINGS_URL

    assert SETTINGS_URL not in client.get("/").content.decode()
    assert SETTINGS_URL not in client.get("/auth/signed-out/").content.decode()


def test_no_settings_link_when_there_is_no_settings_page_for_the_issuer(
    patient_client: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = ""

    html = patient_client.get("/home/").content.decode()

    assert "NHS login settings" not in html


def test_staff_have_no_nhs_login_settings_link(
    staff_client: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = SETTINGS_URL

    html = staff_client.get("/auth/sign-out/").content.decode()

    assert SETTINGS_URL not in html


# --- The warning over the page (accounts/session_timer.py) ------------------------------------


def test_the_warning_over_the_page_says_the_configured_minutes(
    patient_client: Client, settings: SettingsWrapper
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 20 * 60
    settings.SESSION_WARNING_SECONDS = 5 * 60

    html = patient_client.get("/home/").content.decode()

    assert 'data-session-warn-after="900"' in html
    assert "we will sign you out in 5 minutes if you\n      do not do anything" in html


def test_after_a_forms_post_the_warning_comes_back_to_the_forms_page(
    patient_client: Client,
) -> None:
    """The answer to "Show linkage key" is the answer to a post: its dialog, its warning page
    and its sign-in again all lead to the page with the button (core/form_posts.py)."""
    html = patient_client.post("/home/linkage-details/show-key/").content.decode()

    assert '<input type="hidden" name="next" value="/home/linkage-details/">' in html
    assert (
        'data-session-end-url="/auth/nhs-login/sign-in-again/?next=%2Fhome%2Flinkage-details%2F"'
        in html
    )
    assert (
        'data-session-warning-url="/auth/session/expiring/?next=%2Fhome%2Flinkage-details%2F"'
        in html
    )


def test_stay_signed_in_from_the_dialog_answers_its_script_with_the_new_delays(
    patient_client: Client,
) -> None:
    """The dialog's script asks for JSON and stays on its page; the post is activity."""
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        response = patient_client.post(
            "/auth/session/stay-signed-in/",
            {"next": "/home/"},
            headers={"accept": "application/json"},
        )
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert patient_client.get("/home/").status_code == 200

    assert response.status_code == 200
    assert response.json() == {"warnAfter": 28 * 60, "endAfter": 30 * 60 + 5}


def test_stay_signed_in_near_the_12_hours_says_no_warning_can_come(
    patient_client: Client,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    for minutes in range(25, 11 * 60 + 50, 25):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            patient_client.get("/home/")
    with time_machine.travel(start + timedelta(hours=11, minutes=50), tick=False):
        response = patient_client.post(
            "/auth/session/stay-signed-in/", headers={"accept": "application/json"}
        )

    assert response.json() == {"warnAfter": None, "endAfter": 10 * 60 + 5}
