"""The API body's field rule (linkage/api.py, ``json_body``): at most MAX_FIELD_LENGTH
characters, no control character, whatever else Unicode allows. Needs no database."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from linkage.api import MAX_FIELD_LENGTH, RETRIEVE_FIELDS, json_body
from linkage.errors import InvalidRequestError
from linkage.tests.conftest import retrieve_body

CONTROL_CHARACTERS = [chr(code) for code in (*range(32), 127)]
CONTROL_IDS = [f"{ord(character):#04x}" for character in CONTROL_CHARACTERS]


def _read(surname: str) -> dict[str, str]:
    request = RequestFactory().post(
        "/api/v1/linkage/retrieve",
        json.dumps(retrieve_body(surname=surname)),
        content_type="application/json",
    )
    return json_body(request, RETRIEVE_FIELDS)


@pytest.mark.parametrize(
    "surname",
    [
        "S" * MAX_FIELD_LENGTH,
        "O'Brien-Smith",
        "Ó Súilleabháin",
        "\x80\xa0\u2028\U0001f600",  # C1, no-break space, line separator, an emoji
    ],
    ids=["at-the-limit", "punctuation", "accents", "beyond-ascii"],
)
def test_a_printable_value_up_to_the_limit_is_taken(surname: str) -> None:
    assert _read(surname)["surname"] == surname


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=CONTROL_IDS)
def test_a_control_character_anywhere_is_refused(character: str) -> None:
    for surname in (f"{character}Smith", f"Sm{character}ith", f"Smith{character}"):
        with pytest.raises(InvalidRequestError, match="printable characters"):
            _read(surname)


def test_a_value_over_the_limit_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match=f"at most {MAX_FIELD_LENGTH}"):
        _read("S" * (MAX_FIELD_LENGTH + 1))
