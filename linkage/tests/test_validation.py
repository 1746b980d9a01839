"""linkage/validation.py: the input rules the API, the pages and the register import share.

The messages are pinned word for word: staff read them in the register import's report and in
the commands' errors, so they are part of what the rules say."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine

from linkage.validation import (
    InvalidValueError,
    age_on,
    date_of_birth_parse,
    nhs_number_is_valid,
    nhs_number_normalise,
    ods_code_normalise,
    surnames_match,
)

# Noon in London, so that "today" is the same date in every time zone the tests might see.
TODAY = datetime.date(2026, 5, 1)


@pytest.fixture
def _today() -> Iterator[None]:
    with time_machine.travel(datetime.datetime(2026, 5, 1, 11, 0, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.mark.parametrize(
    ("nhs_number", "valid"),
    [
        pytest.param("9990000018", True, id="valid"),
        pytest.param("9990000050", True, id="remainder-zero-makes-check-digit-0"),
        pytest.param("9990000131", True, id="check-digit-1"),
        pytest.param("9990000093", True, id="check-digit-3"),
        pytest.param("9990000019", False, id="wrong-check-digit"),
        pytest.param("9990000010", False, id="check-digit-would-be-ten"),
        pytest.param("9990000000", False, id="check-digit-would-be-ten-written-0"),
        pytest.param("9990000051", False, id="check-digit-1-where-0-is-due"),
        pytest.param("999000001", False, id="nine-digits"),
        pytest.param("99900000181", False, id="a-digit-after-the-tenth"),
        pytest.param("9990000018X", False, id="a-letter-after-the-tenth-digit"),
        pytest.param("9990000018\n", False, id="a-newline-after-the-tenth-digit"),
        pytest.param(" 9990000018", False, id="a-space-before"),
        pytest.param("99900000\uff118", False, id="full-width-digit"),
        pytest.param("", False, id="empty"),
    ],
)
def test_nhs_number_modulus_eleven(nhs_number: str, valid: bool) -> None:
    assert nhs_number_is_valid(nhs_number) is valid


@pytest.mark.parametrize(
    "written",
    ["999 000 0018", "999-000-0018", " 9990000018 ", "999\t000\t0018"],
)
def test_nhs_number_written_with_spaces_or_hyphens_is_stored_as_ten_digits(written: str) -> None:
    assert nhs_number_normalise(written) == "9990000018"


@pytest.mark.parametrize(
    "written", ["999 000 0019", "999 000 00181", "999.000.0018", "999 000 001B"]
)
def test_nhs_number_that_is_not_ten_digits_with_its_check_digit_is_refused(written: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        nhs_number_normalise(written)

    assert str(refused.value) == "NHS number must be 10 digits with a valid check digit"


@pytest.mark.parametrize(
    ("written", "ods_code"),
    [
        pytest.param("A12345", "A12345", id="as-stored"),
        pytest.param(" a12345 ", "A12345", id="case"),
    ],
)
def test_ods_code_is_stored_in_capitals(written: str, ods_code: str) -> None:
    assert ods_code_normalise(written) == ods_code


@pytest.mark.parametrize("written", ["A1234", "A123456", "A1234-", "A12 345", "", "\uff2112345"])
def test_ods_code_that_is_not_six_letters_or_digits_is_refused(written: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        ods_code_normalise(written)

    assert str(refused.value) == "ODS code must be 6 letters or digits"


@pytest.mark.usefixtures("_today")
@pytest.mark.parametrize(
    "written",
    [
        pytest.param("1985-03-05", id="long-ago"),
        pytest.param("2024-02-29", id="leap-day"),
        pytest.param(TODAY.isoformat(), id="born-today"),
    ],
)
def test_date_of_birth_in_the_past_or_today_is_accepted(written: str) -> None:
    assert date_of_birth_parse(written) == datetime.date.fromisoformat(written)


@pytest.mark.usefixtures("_today")
@pytest.mark.parametrize(
    ("written", "message"),
    [
        pytest.param(
            "05/03/1985", "date of birth must be a date written YYYY-MM-DD", id="uk-order"
        ),
        pytest.param(
            "1985-3-5", "date of birth must be a date written YYYY-MM-DD", id="no-leading-zeros"
        ),
        pytest.param(
            "1985-03-05T00:00",
            "date of birth must be a date written YYYY-MM-DD",
            id="with-a-time",
        ),
        pytest.param("2023-02-29", "date of birth is not a real date", id="not-a-leap-year"),
        pytest.param("1985-13-01", "date of birth is not a real date", id="month-13"),
        pytest.param(
            (TODAY + datetime.timedelta(days=1)).isoformat(),
            "date of birth is in the future",
            id="tomorrow",
        ),
    ],
)
def test_date_of_birth_that_breaks_a_rule_is_refused_with_the_rule(
    written: str, message: str
) -> None:
    with pytest.raises(InvalidValueError) as refused:
        date_of_birth_parse(written)

    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        pytest.param(datetime.date(2010, 5, 1), datetime.date(2026, 5, 1), 16, id="birthday-today"),
        pytest.param(datetime.date(2010, 5, 1), datetime.date(2026, 4, 30), 15, id="day-before"),
        pytest.param(
            datetime.date(2008, 2, 29), datetime.date(2024, 2, 29), 16, id="leap-day-in-leap-year"
        ),
        pytest.param(datetime.date(2009, 2, 28), datetime.date(2025, 2, 28), 16, id="feb-28"),
        pytest.param(
            datetime.date(2008, 2, 29), datetime.date(2023, 2, 28), 14, id="leap-day-not-yet"
        ),
        pytest.param(
            datetime.date(2008, 2, 29), datetime.date(2023, 3, 1), 15, id="leap-day-on-1-march"
        ),
    ],
)
def test_age_counts_the_birthday_itself(
    born: datetime.date, today: datetime.date, age: int
) -> None:
    assert age_on(born, today) == age


@pytest.mark.parametrize(
    ("given", "registered", "match"),
    [
        pytest.param("o'brien-smith", "O'Brien-Smith", True, id="case"),
        pytest.param("OBRIEN SMITH", "O'Brien-Smith", True, id="spaces-no-punctuation"),
        pytest.param("O\u2019Brien", "O'Brien", True, id="curly-apostrophe"),
        pytest.param("Brien", "O'Brien", False, id="different"),
        pytest.param("OBrienX", "O'Brien", False, id="one-letter-more"),
    ],
)
def test_surname_comparison_ignores_case_spaces_hyphens_apostrophes(
    given: str, registered: str, match: bool
) -> None:
    assert surnames_match(given, registered) is match
