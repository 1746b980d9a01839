"""What the admin tells staff about key actions, and the patient's letter
(linkage/staff_key_presenters.py): no database."""

from __future__ import annotations

import datetime

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from linkage.errors import ERROR_STATUS
from linkage.staff_key_presenters import key_letter_for, staff_key_refusal

# What the services can refuse a staff member's issue, reissue or revoke with.
STAFF_REFUSALS = [
    "PATIENT_NOT_ELIGIBLE",
    "UNDER_MINIMUM_AGE",
    "LINKAGE_KEY_EXISTS",
    "LINKAGE_KEY_REVOKED",
    "PRACTICE_NOT_LIVE",
    "PRACTICE_NOT_FOUND",
    "PATIENT_NOT_FOUND",
    "INVALID_REQUEST",
]


@pytest.mark.parametrize("error_code", STAFF_REFUSALS)
@pytest.mark.parametrize(
    ("action", "not_done"),
    [
        ("issue", "No key was issued: "),
        ("reissue", "No new key was issued: "),
        ("revoke", "The key was not revoked: "),
    ],
)
def test_each_refusal_says_what_did_not_happen_and_why_in_words(
    error_code: str, action: str, not_done: str
) -> None:
    sentence = staff_key_refusal(error_code, action=action)  # type: ignore[arg-type]

    assert error_code in ERROR_STATUS
    assert sentence.startswith(not_done)
    assert sentence.endswith(".")
    assert error_code not in sentence
    assert "_" not in sentence


def test_the_minimum_age_is_the_one_configured(settings: SettingsWrapper) -> None:
    settings.LINKAGE_MINIMUM_AGE = 13

    sentence = staff_key_refusal("UNDER_MINIMUM_AGE", action="issue")

    assert sentence == (
        "No key was issued: the patient is under 13, the youngest age for a linkage key of "
        "their own."
    )


def test_a_refusal_without_words_of_its_own_still_says_nothing_was_done() -> None:
    sentence = staff_key_refusal("RATE_LIMITED", action="reissue")

    assert sentence.startswith("No new key was issued: the system could not do it just now.")


def test_the_letter_names_the_patient_and_dates_itself_in_nhs_style() -> None:
    letter = key_letter_for(
        practice_name="Demo Surgery",
        ods_code="A12345",
        given_name=" Ava ",
        surname="Thompson",
        issued_on=datetime.date(2027, 3, 5),
        account_id="5100000001",
        linkage_key="Kp3nV8cT2wJsBqR",
        reissued=False,
    )

    assert (letter.patient_name, letter.date) == ("Ava Thompson", "5 March 2027")


def test_a_patient_with_one_name_is_named_without_a_stray_space() -> None:
    letter = key_letter_for(
        practice_name="Demo Surgery",
        ods_code="A12345",
        given_name="",
        surname="Thompson",
        issued_on=datetime.date(2027, 3, 5),
        account_id="5100000001",
        linkage_key="Kp3nV8cT2wJsBqR",
        reissued=True,
    )

    assert letter.patient_name == "Thompson"


def test_the_letter_never_prints_its_key() -> None:
    letter = key_letter_for(
        practice_name="Demo Surgery",
        ods_code="A12345",
        given_name="Ava",
        surname="Thompson",
        issued_on=datetime.date(2027, 3, 5),
        account_id="5100000001",
        linkage_key="Kp3nV8cT2wJsBqR",
        reissued=False,
    )

    assert "Kp3nV8cT2wJsBqR" not in repr(letter)
    assert "5100000001" in repr(letter)
