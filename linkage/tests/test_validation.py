"""linkage/validation.py: the input rules the API, the pages and the register import share
beside the NHS number and the ODS code (core/tests/test_nhs_identifiers.py).

The messages are pinned word for word: staff read them in the register import's report and in
the commands' errors, so they are part of what the rules say."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine

from core.nhs_identifiers import InvalidValueError
from linkage.validation import age_on, date_of_birth_parse, surnames_match

# Noon in London, so that "today" is the same date in every time zone the tests might see.
TODAY = datetime.date(2026, 5, 1)


@pytest.fixture
def _today() -> Iterator[None]:
    with time_machine.travel(datetime.datetime(2026, 5, 1, 11, 0, tzinfo=datetime.UTC), tick=False):
        yield


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
