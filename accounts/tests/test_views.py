"""Patient pages, step-up, sign-out and the session limits, through Django's test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import Patient
from accounts.tests.factories import PatientFactory, UserFactory
from linkage.tests.factories import PracticeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient() -> Patient:
    return PatientFactory.create(nhs_number="9990000018")


@pytest.fixture
def patient_client(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    return client


def _signed_in(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    return client


@pytest.fixture
def p5_patient_client() -> Client:
    """A P5 patient of a practice that offers online services here."""
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    return _signed_in(PatientFactory.create(p5=True))


def test_home_needs_a_signed_in_patient(client: Client) -> None:
    response = client.get("/home/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/home/"


def test_home_shows_the_patients_details(patient_client: Client) -> None:
    html = patient_client.get("/home/").content.decode()

    assert "Ava Thompson" in html
    assert "999 000 0018" in html
    assert "5 March 1985" in html
    assert "A12345" in html
    assert "High (P9)" in html


def test_home_names_the_practice_beside_its_code() -> None:
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    client = Client()
    client.force_login(
        PatientFactory.create(gp_ods_code="A12345").user,
        backend="accounts.backends.NhsLoginBackend",
    )

    html = client.get("/home/").content.decode()

    assert re.search(r"GP practice\s*</dt>\s*<dd[^>]*>\s*Demo Surgery", html)
    assert re.search(r"GP practice code\s*</dt>\s*<dd[^>]*>\s*A12345", html)
    assert "sometimes called an ODS code." in html
    assert "ODS code that apps ask for" not in html


def test_home_of_a_patient_whose_practice_is_not_here_shows_the_code_alone(
    patient_client: Client,
) -> None:
    html = patient_client.get("/home/").content.decode()

    assert not re.search(r"GP practice\s*</dt>", html)
    assert re.search(r"GP practice code\s*</dt>\s*<dd[^>]*>\s*A12345", html)


def test_without_a_first_name_the_row_says_last_name_and_the_header_no_username() -> None:
    patient = PatientFactory.create(given_name="")
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")

    html = client.get("/home/").content.decode()

    assert re.search(r"Last name\s*</dt>\s*<dd[^>]*>\s*Thompson", html)
    assert not re.search(r">\s*Name\s*</dt>", html)
    assert re.search(r"nhsuk-header__account.*Thompson", html, re.S)
    assert patient.user.get_username() not in html
    assert patient.email not in html


def test_home_of_a_p5_patient_has_no_nhs_number(p5_patient_client: Client) -> None:
    """Scopes and claims, note 2: not presented below P9, not even as "Not available"."""
    html = p5_patient_client.get("/home/").content.decode()

    assert "Medium (P5)" in html
    assert "NHS number" not in html


def test_signed_in_patient_on_the_start_page_goes_home(patient_client: Client) -> None:
    response = patient_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/home/"


def test_staff_without_a_patient_record_cannot_see_patient_pages() -> None:
    client = Client()
    client.force_login(UserFactory.create(is_staff=True))

    assert client.get("/home/").status_code == 403
    assert client.get("/home/linkage-details/").status_code == 403


def test_header_shows_the_patients_name_and_a_sign_out_link(patient_client: Client) -> None:
    html = patient_client.get("/home/").content.decode()

    assert re.search(r"nhsuk-header__account.*Ava Thompson", html, re.S)
    assert 'href="/auth/sign-out/"' in html


def test_p9_patient_reaches_the_p9_only_page(patient_client: Client) -> None:
    response = patient_client.get("/home/linkage-details/")

    assert response.status_code == 200
    assert "Your GP practice does not use this service" in response.content.decode()


def test_p5_patient_is_sent_to_prove_who_they_are_and_back_afterwards(
    p5_patient_client: Client,
) -> None:
    response = p5_patient_client.get("/home/linkage-details/")

    assert response.status_code == 302
    assert response["Location"] == "/auth/prove-who-you-are/?next=%2Fhome%2Flinkage-details%2F"
    html = p5_patient_client.get(response["Location"]).content.decode()
    assert "<h1>Prove who you are to continue</h1>" in html
    assert 'action="/auth/nhs-login/start/?step_up=1&amp;next=/home/linkage-details/"' in html


def test_prove_who_you_are_ignores_a_next_address_on_another_site(
    p5_patient_client: Client,
) -> None:
    html = p5_patient_client.get(
        "/auth/prove-who-you-are/?next=https://attacker.example/"
    ).content.decode()

    assert 'action="/auth/nhs-login/start/?step_up=1&amp;next=/home/"' in html


@pytest.mark.parametrize(
    ("patient", "title"),
    [
        pytest.param(
            {"gp_ods_code": "X99999"}, "Your GP practice does not use this service", id="not-here"
        ),
        pytest.param(
            {"gp_ods_code": "B23456"}, "Closed Surgery does not offer this service yet", id="off"
        ),
        pytest.param({"has_nhs_number": False}, "We cannot find your NHS number", id="no-number"),
        pytest.param(
            {"gp_ods_code": ""},
            "We do not know which GP practice you&#39;re registered with",
            id="no-practice",
        ),
    ],
)
def test_a_p5_patient_the_step_up_would_not_help_is_told_so_and_not_sent_to_nhs_login(
    patient: dict[str, object], title: str
) -> None:
    """ADR 0021: NHS login gives the practice's code and the NHS number at P5, so a patient
    whose record this service could not find even at P9 is told at P5, not after proving
    who they are."""
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    PracticeFactory.create(ods_code="B23456", name="Closed Surgery", online_services_live=False)
    client = _signed_in(PatientFactory.create(p5=True, **patient))

    home = client.get("/home/").content.decode()
    assert "Proving who you are with NHS login would not change this." in home
    assert 'href="/home/linkage-details/"' not in home
    assert "prove who you are with NHS login before" not in home

    prove = client.get(client.get("/home/linkage-details/")["Location"])
    assert prove.status_code == 200
    assert f"<h1>{title}</h1>" in prove.content.decode()
    assert "/auth/nhs-login/start/" not in prove.content.decode()

    step_up = client.post("/auth/nhs-login/start/?step_up=1&next=/home/linkage-details/")
    assert step_up.status_code == 200
    assert f"<h1>{title}</h1>" in step_up.content.decode()


def test_a_p9_patient_whose_practice_is_not_here_is_told_on_their_home_page(
    patient_client: Client,
) -> None:
    html = patient_client.get("/home/").content.decode()

    assert "Your GP practice (GP practice code A12345) does not use this service" in html
    assert "would not change this" not in html  # they have proved who they are already
    assert 'href="/home/linkage-details/"' not in html


def test_a_patient_signed_in_before_the_portal_recorded_the_nhs_number_is_not_stopped(
    p5_patient_client: Client,
) -> None:
    Patient.objects.update(has_nhs_number=None)

    html = p5_patient_client.get("/home/").content.decode()

    assert 'href="/home/linkage-details/"' in html
    assert "You&#39;ll need to prove who you are with NHS login" in html


def test_sign_out_asks_first_and_says_nhs_login_is_not_signed_out(
    patient_client: Client,
) -> None:
    page = patient_client.get("/auth/sign-out/").content.decode()
    assert "It does not sign you out of NHS login" in page

    response = patient_client.post("/auth/sign-out/confirm/")

    assert response["Location"] == "/auth/signed-out/"
    signed_out = patient_client.get(response["Location"]).content.decode()
    assert "<h1>You have signed out</h1>" in signed_out
    assert "cannot sign you out of NHS login" in signed_out
    assert patient_client.get("/home/").status_code == 302


def test_sign_out_needs_a_post(patient_client: Client) -> None:
    """A GET goes to the page that asks (tests/test_post_only_addresses.py), signing no one out."""
    assert patient_client.get("/auth/sign-out/confirm/")["Location"] == "/auth/sign-out/"
    assert patient_client.get("/home/").status_code == 200


def test_signed_in_pages_carry_the_timeout_warning_with_and_without_javascript(
    patient_client: Client,
) -> None:
    html = patient_client.get("/home/").content.decode()

    # With JavaScript: the dialog over the page at 28 minutes, NHS login at 30 (and 5 seconds).
    assert 'data-session-warn-after="1680"' in html
    assert 'data-session-end-after="1805"' in html
    assert 'data-session-end-url="/auth/nhs-login/sign-in-again/?next=%2Fhome%2F"' in html
    assert 'data-session-warning-url="/auth/session/expiring/?next=%2Fhome%2F"' in html
    assert '<dialog class="app-session-dialog" id="session-warning"' in html
    # Without: the warning page.
    refresh = (
        '<meta http-equiv="refresh" content="1680;url=/auth/session/expiring/?next=%2Fhome%2F">'
    )
    assert f"<noscript>{refresh}</noscript>" in html


def test_signed_out_pages_have_no_timeout(client: Client) -> None:
    html = client.get("/").content.decode()

    assert "data-session-" not in html
    assert "http-equiv" not in html
    assert "<dialog" not in html


SIGN_IN_AGAIN = "/auth/nhs-login/sign-in-again/"


def test_inactive_patient_is_signed_out_and_sent_to_sign_in_again_after_30_minutes(
    patient_client: Client,
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert patient_client.get("/home/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=59, seconds=1), tick=False):
        response = patient_client.get("/home/linkage-details/")

    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2Flinkage-details%2F"
    assert "_auth_user_id" not in patient_client.session
    assert patient_client.get("/home/").status_code == 302


def test_active_patient_is_signed_out_after_12_hours(patient_client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    for minutes in range(25, 12 * 60, 25):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert patient_client.get("/home/").status_code == 200

    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = patient_client.get("/home/")

    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"
    assert patient_client.get("/home/").status_code == 302


def test_the_warning_page_does_not_keep_the_session_alive(patient_client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=28), tick=False):
        warning = patient_client.get("/auth/session/expiring/?next=/home/")
    with time_machine.travel(start + timedelta(minutes=30, seconds=1), tick=False):
        response = patient_client.get("/home/")

    html = warning.content.decode()
    assert "You're about to be signed out" in html
    assert "we will sign you out in 2 minutes" in html
    assert response["Location"] == f"{SIGN_IN_AGAIN}?next=%2Fhome%2F"


def test_stay_signed_in_restarts_the_inactivity_clock(patient_client: Client) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        patient_client.get("/home/")
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        response = patient_client.post("/auth/session/stay-signed-in/", {"next": "/home/"})
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert patient_client.get("/home/").status_code == 200

    assert response["Location"] == "/home/"


def test_stay_signed_in_never_redirects_off_site(patient_client: Client) -> None:
    response = patient_client.post(
        "/auth/session/stay-signed-in/", {"next": "https://attacker.example/"}
    )

    assert response["Location"] == "/home/"


def test_the_contact_page_names_the_signed_in_patients_practice_and_where_to_find_it() -> None:
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    client = _signed_in(PatientFactory.create(gp_ods_code="A12345"))

    html = client.get("/contact/").content.decode()

    assert re.search(r"GP practice\s*</dt>\s*<dd[^>]*>\s*Demo Surgery", html)
    assert re.search(r"GP practice code\s*</dt>\s*<dd[^>]*>\s*A12345", html)
    assert 'href="https://www.nhs.uk/service-search/find-a-gp"' in html


def test_the_contact_page_of_a_practice_not_here_gives_the_code_nhs_login_gave(
    patient_client: Client,
) -> None:
    html = patient_client.get("/contact/").content.decode()

    assert not re.search(r"GP practice\s*</dt>", html)
    assert re.search(r"GP practice code\s*</dt>\s*<dd[^>]*>\s*A12345", html)


def test_the_contact_page_without_a_practice_code_says_so() -> None:
    client = _signed_in(PatientFactory.create(gp_ods_code=""))

    html = client.get("/contact/").content.decode()

    assert "NHS login did not tell us which GP practice" in html
    assert "nhsuk-summary-list" not in html


def test_the_contact_page_signed_out_says_where_to_find_a_practice(client: Client) -> None:
    html = client.get("/contact/").content.decode()

    assert 'href="https://www.nhs.uk/service-search/find-a-gp"' in html
    assert "If you sign in, this page shows" in html
    assert "nhsuk-summary-list" not in html


BACK_LINK = re.compile(r'<a\s+class="nhsuk-back-link"\s+href="([^"]+)"\s*>\s*Back\s*</a>')


@pytest.mark.parametrize("path", ["/auth/prove-who-you-are/", "/auth/sign-out/", "/privacy/"])
def test_a_signed_in_patients_pages_go_back_to_their_home_page_with_the_back_link(
    p5_patient_client: Client, path: str
) -> None:
    html = p5_patient_client.get(path).content.decode()

    assert BACK_LINK.findall(html) == ["/home/"]
    assert "Go back to" not in html


def test_the_back_link_is_above_the_main_content(p5_patient_client: Client) -> None:
    """The design system's place for it: before <main>, so it is not read as the page's
    content."""
    html = p5_patient_client.get("/auth/sign-out/").content.decode()

    assert html.index("nhsuk-back-link") < html.index('<main class="nhsuk-main-wrapper')


def test_a_signed_in_404_offers_the_home_page(patient_client: Client) -> None:
    response = patient_client.get("/no-such-page/")

    assert response.status_code == 404
    assert '<a href="/home/">Go to your details</a>' in response.content.decode()


def test_the_header_takes_a_signed_in_patient_home(patient_client: Client) -> None:
    html = patient_client.get("/privacy/").content.decode()

    assert 'class="nhsuk-header__service-logo" href="/home/"' in html
