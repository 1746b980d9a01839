"""core/nhs_identifiers.py: the NHS number and ODS code rules every app shares.

The messages are pinned word for word: staff read them in the register import's report and in
the commands' errors, so they are part of what the rules say."""

from __future__ import annotations

import pytest

from core.nhs_identifiers import (
    InvalidValueError,
    nhs_number_check_digit,
    nhs_number_is_valid,
    nhs_number_normalise,
    ods_code_is_valid,
    ods_code_normalise,
)


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


@pytest.mark.parametrize(
    ("first_nine", "check"),
    [
        pytest.param("999000001", 8, id="eight"),
        pytest.param("999000005", 0, id="remainder-zero-makes-0"),
        pytest.param("999000013", 1, id="one"),
        pytest.param("999000000", None, id="would-be-ten"),
    ],
)
def test_the_check_digit_of_nine_digits(first_nine: str, check: int | None) -> None:
    assert nhs_number_check_digit(first_nine) == check


@pytest.mark.parametrize("first_nine", ["99900000", "9990000018", "99900000A", "99900000\uff11"])
def test_a_check_digit_is_only_worked_out_for_nine_ascii_digits(first_nine: str) -> None:
    with pytest.raises(InvalidValueError) as refused:
        nhs_number_check_digit(first_nine)

    assert str(refused.value) == "an NHS number begins with 9 digits"


@pytest.mark.parametrize(
    ("ods_code", "valid"),
    [("A12345", True), ("Y00001", True), ("a12345", False), ("A1234", False), ("A123456", False)],
)
def test_an_ods_code_as_stored_is_six_capitals_or_digits(ods_code: str, valid: bool) -> None:
    assert ods_code_is_valid(ods_code) is valid
