"""What the patient's linkage pages say for each refusal (linkage/presenters.py): no database."""

from __future__ import annotations

import re

import pytest

from linkage.errors import ERROR_STATUS
from linkage.presenters import DETAILS_MISSING, linkage_refusal_for

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
]


@pytest.mark.parametrize("reason", PATIENT_REFUSALS)
def test_every_refusal_a_patient_can_meet_has_a_page_with_something_to_do(reason: str) -> None:
    refusal = linkage_refusal_for(reason, ods_code="A12345")

    assert refusal.title
    assert len(refusal.paragraphs) >= 2
    assert reason == DETAILS_MISSING or reason in ERROR_STATUS


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
