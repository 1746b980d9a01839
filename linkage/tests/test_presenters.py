"""What the patient's linkage pages say for each refusal (linkage/presenters.py): no database."""

from __future__ import annotations

import datetime
import re

import pytest

from linkage.errors import ERROR_STATUS
from linkage.keys import LinkageInformation
from linkage.presenters import (
    CANCELLED_BY_PATIENT,
    DETAILS_MISSING,
    LinkageDetails,
    linkage_details_for,
    linkage_refusal_for,
)

# The refusals a signed-in patient's own retrieve or create can meet; the others are the API's.
PATIENT_REFUSALS = [
    DETAILS_MISSING,
    "PRACTICE_NOT_FOUND",
    "PRACTICE_NOT_LIVE",
    "PATIENT_NOT_FOUND",
    "PATIENT_NOT_ELIGIBLE",
    "UNDER_MINIMUM_AGE",
    "LINKAGE_KEY_NOT_FOUND",
    "LINKAGE_KEY_REVOKED",
    CANCELLED_BY_PATIENT,
]


@pytest.mark.parametrize("reason", PATIENT_REFUSALS)
def test_every_refusal_a_patient_can_meet_has_a_page_with_something_to_do(reason: str) -> None:
    refusal = linkage_refusal_for(reason, ods_code="A12345")

    assert refusal.title
    assert len(refusal.paragraphs) >= 2
    assert reason in {DETAILS_MISSING, CANCELLED_BY_PATIENT} or reason in ERROR_STATUS


@pytest.mark.parametrize("ods_code", ["A12345", "a12345", " a12345 "])
def test_the_not_live_page_names_the_gp_practice_and_its_code_in_capitals(ods_code: str) -> None:
    """NHS login may give the practice code in lower case; a sentence's capital must not lower
    the rest ("Your gp practice (a12345)")."""
    refusal = linkage_refusal_for("PRACTICE_NOT_LIVE", ods_code=ods_code)

    assert refusal.title == "Your GP practice does not offer this service yet"
    assert refusal.paragraphs[0] == (
        "Your GP practice (practice code A12345) has not switched on online services here."
    )


# "practice" only as "GP practice" or "practice code": never "gp practice", "ODS code" or a
# bare "practice".
_PRACTICE_WORDING = re.compile(r"(?<!GP )practice(?! code)|ODS|gp practice|Gp practice")


@pytest.mark.parametrize("reason", PATIENT_REFUSALS)
def test_every_refusal_says_gp_practice_and_practice_code(reason: str) -> None:
    refusal = linkage_refusal_for(reason, ods_code="a12345")
    text = " ".join((refusal.title, *refusal.paragraphs))

    assert _PRACTICE_WORDING.findall(text) == []
    assert "a12345" not in text


def test_without_a_practice_code_the_practice_is_named_plainly() -> None:
    refusal = linkage_refusal_for("PRACTICE_NOT_FOUND", ods_code="")

    assert refusal.paragraphs[0] == "We cannot find your GP practice on this system."


def test_only_a_key_not_yet_made_offers_to_create_one() -> None:
    offering = [r for r in PATIENT_REFUSALS if linkage_refusal_for(r, ods_code="A1").can_create]

    assert offering == ["LINKAGE_KEY_NOT_FOUND"]


def test_only_a_key_the_patient_cancelled_offers_a_new_one_at_once() -> None:
    offering = [r for r in PATIENT_REFUSALS if linkage_refusal_for(r, ods_code="A1").can_get_new]

    assert offering == [CANCELLED_BY_PATIENT]
    assert "Ask your GP practice" in " ".join(
        linkage_refusal_for("LINKAGE_KEY_REVOKED", ods_code="A1").paragraphs
    )


def test_a_key_the_patient_cancelled_says_when_and_that_the_account_id_stays() -> None:
    refusal = linkage_refusal_for(
        CANCELLED_BY_PATIENT, ods_code="A12345", cancelled_on=datetime.date(2026, 3, 5)
    )
    undated = linkage_refusal_for(CANCELLED_BY_PATIENT, ods_code="A12345")

    assert refusal.paragraphs[0].startswith("You cancelled your linkage key on 5 March 2026.")
    assert undated.paragraphs[0].startswith("You cancelled your linkage key. Apps")
    assert "Your Account ID and GP practice code stay the same" in refusal.paragraphs[1]


INFORMATION = LinkageInformation("5100000001", "Xw7kQ2mR9tLpZ", "A12345")


def _details(
    *, show_key: bool = False, names: tuple[str, str] = ("Ava", "Thompson")
) -> LinkageDetails:
    return linkage_details_for(
        INFORMATION,
        patient_names=names,
        practice_name="Demo Surgery",
        show_key=show_key,
        today=datetime.date(2026, 3, 5),
    )


def test_details_keep_the_key_off_the_page_until_it_is_asked_for() -> None:
    hidden = _details(show_key=False)
    shown = _details(show_key=True)

    assert hidden.linkage_key is None
    assert shown.linkage_key == "Xw7kQ2mR9tLpZ"
    assert (shown.account_id, shown.ods_code, shown.practice_name) == (
        "5100000001",
        "A12345",
        "Demo Surgery",
    )


def test_the_printed_details_say_whose_they_are_and_the_day_they_were_correct_on() -> None:
    assert _details().print_note == "Linkage details for Ava Thompson, correct on 5 March 2026."


@pytest.mark.parametrize("names", [("", ""), (" ", "")])
def test_without_a_name_the_printed_details_say_only_the_day(names: tuple[str, str]) -> None:
    assert _details(names=names).print_note == "Linkage details, correct on 5 March 2026."


def test_a_single_name_is_printed_without_stray_spaces() -> None:
    assert _details(names=("", "Thompson")).print_note.startswith("Linkage details for Thompson,")
