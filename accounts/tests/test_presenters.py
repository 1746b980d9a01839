"""How the accounts pages read: no database needed."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import get_template

from accounts.gp_practices import GpPractice
from accounts.models import Patient
from accounts.online_services import OnlineServicesProblem
from accounts.presenters import (
    NO_CONSENT_TITLE,
    SIGN_IN_PROBLEM_WORDING,
    PatientPresenter,
    date_display,
    minutes_left_display,
    nhs_number_display,
    online_services_problem_wording,
    patient_name_display,
)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        pytest.param("9990000018", "999 000 0018", id="ten-digits"),
        pytest.param("", "Not available", id="absent"),
        pytest.param("999000001", "Not available", id="nine-digits"),
        pytest.param("99900000AB", "Not available", id="not-digits"),
    ],
)
def test_nhs_number_is_shown_in_groups_of_three_three_four(raw: str, shown: str) -> None:
    assert nhs_number_display(raw) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(datetime.date(1990, 3, 5), "5 March 1990", id="no-leading-zero"),
        pytest.param(datetime.date(2001, 11, 21), "21 November 2001", id="two-digit-day"),
        pytest.param(None, "Not available", id="absent"),
    ],
)
def test_dates_read_as_day_month_year(value: datetime.date | None, shown: str) -> None:
    assert date_display(value) == shown


def test_presenter_words_the_identity_level_and_joins_the_name() -> None:
    patient = Patient(given_name="Ava", family_name="Thompson", identity_proofing_level="P5")

    details = PatientPresenter(patient)

    assert details.name == "Ava Thompson"
    assert details.identity_level.startswith("Medium (P5)")
    assert details.gp_ods_code == "Not available"


def test_presenter_shows_the_family_name_alone_when_the_given_name_was_not_shared() -> None:
    assert PatientPresenter(Patient(family_name="Thompson")).name == "Thompson"
    assert PatientPresenter(Patient()).name == "Not available"


@pytest.mark.parametrize(
    ("given_name", "family_name", "label", "shown"),
    [
        pytest.param("Ava", "Thompson", "Name", "Ava Thompson", id="both"),
        # Without the profile_extended scope NHS login gives no first name.
        pytest.param("", "Thompson", "Last name", "Thompson", id="last-name-only"),
        pytest.param("Ava", "", "First name", "Ava", id="first-name-only"),
    ],
)
def test_the_name_row_is_labelled_for_what_nhs_login_gave(
    given_name: str, family_name: str, label: str, shown: str
) -> None:
    details = PatientPresenter(Patient(given_name=given_name, family_name=family_name))

    assert (details.name_label, details.name) == (label, shown)


def test_the_header_name_is_the_name_nhs_login_gave_or_nothing() -> None:
    """Never the account's username or an email address in place of a name."""
    assert patient_name_display(Patient(given_name="Ava", family_name="Thompson")) == (
        "Ava Thompson"
    )
    assert patient_name_display(Patient(family_name="Thompson")) == "Thompson"
    assert patient_name_display(Patient(email="ava.thompson@example.org")) == ""


def test_the_practice_is_named_when_this_system_knows_it() -> None:
    practice = GpPractice(ods_code="A12345", name="Demo Surgery", online_services_live=True)

    assert PatientPresenter(Patient(gp_ods_code="A12345"), practice=practice).practice_name == (
        "Demo Surgery"
    )
    assert PatientPresenter(Patient(gp_ods_code="X99999")).practice_name == ""


def test_nhs_number_is_presented_at_p9_only() -> None:
    """Scopes and claims, note 2: even a number somehow kept is not shown below P9."""
    p9 = PatientPresenter(Patient(nhs_number="9990000018", identity_proofing_level="P9"))
    p5 = PatientPresenter(Patient(nhs_number="9990000018", identity_proofing_level="P5"))

    assert (p9.shows_nhs_number, p9.nhs_number) == (True, "999 000 0018")
    assert (p5.shows_nhs_number, p5.nhs_number) == (False, "Not available")


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(120, "2 minutes", id="two"),
        pytest.param(60, "1 minute", id="one-is-singular"),
        pytest.param(89, "1 minute", id="rounded-down"),
        pytest.param(91, "2 minutes", id="rounded-up"),
        pytest.param(20, "1 minute", id="never-0-minutes"),
        pytest.param(0, "1 minute", id="time-up"),
    ],
)
def test_the_time_left_reads_in_whole_minutes(seconds: int, shown: str) -> None:
    assert minutes_left_display(seconds) == shown


@pytest.mark.parametrize("problem", sorted(SIGN_IN_PROBLEM_WORDING))
def test_every_sign_in_problem_has_a_title_sentences_and_a_template(problem: str) -> None:
    wording = SIGN_IN_PROBLEM_WORDING[problem]

    assert wording.title
    assert wording.title[0].isupper()
    assert not wording.title.endswith(".")
    assert all(
        paragraph[0].isupper() and paragraph.endswith(".") for paragraph in wording.paragraphs
    )
    assert get_template(wording.template)


def test_the_no_consent_screens_are_nhs_logins_own_pages() -> None:
    """NHS login's "Sharing a user's NHS login information with your service": its wording,
    in templates of their own; from the NHS App, no new sign-in is offered."""
    web, nhs_app = (
        SIGN_IN_PROBLEM_WORDING["no_consent"],
        SIGN_IN_PROBLEM_WORDING["no_consent_nhs_app"],
    )

    assert web.title == nhs_app.title == NO_CONSENT_TITLE
    assert (web.paragraphs, nhs_app.paragraphs) == ((), ())
    assert web.template != nhs_app.template
    assert "accounts/sign_in_problem.jinja" not in (web.template, nhs_app.template)
    assert (web.try_again, nhs_app.try_again) == (True, False)


@pytest.mark.parametrize("problem", ["too_many_attempts", "step_up_incomplete"])
def test_a_problem_that_trying_again_would_not_fix_offers_no_new_sign_in(problem: str) -> None:
    """Straight back to NHS login would be refused again (too many attempts), or would ask
    the patient to prove who they are all over again (the step-up they did not finish)."""
    assert SIGN_IN_PROBLEM_WORDING[problem].try_again is False


@pytest.mark.parametrize("problem", list(OnlineServicesProblem))
def test_every_online_services_problem_says_why_and_what_to_do_instead(
    problem: OnlineServicesProblem,
) -> None:
    wording = online_services_problem_wording(problem, ods_code="X99999", practice=None)

    assert wording.title[0].isupper()
    assert not wording.title.endswith(".")
    for sentence in (wording.reason, wording.next_step, wording.not_fixed_by_proving):
        assert sentence[0].isupper()
        assert sentence.endswith(".")
    assert "ODS" not in wording.title + wording.reason + wording.next_step


def test_a_practice_not_offering_the_service_is_named_and_one_not_here_by_its_code() -> None:
    practice = GpPractice(ods_code="B23456", name="Closed Surgery", online_services_live=False)

    not_live = online_services_problem_wording(
        OnlineServicesProblem.PRACTICE_NOT_LIVE, ods_code="B23456", practice=practice
    )
    not_here = online_services_problem_wording(
        OnlineServicesProblem.PRACTICE_NOT_HERE, ods_code="X99999", practice=None
    )

    assert not_live.title == "Closed Surgery does not offer this service yet"
    assert "(GP practice code X99999)" in not_here.reason
