"""Input rules shared by the API, the pages and the register import (docs/linkage-api.md,
"Terms")."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone

_ODS_CODE = re.compile(r"[A-Z0-9]{6}")
_TEN_ASCII_DIGITS = re.compile(r"[0-9]{10}")
_SURNAME_IGNORED = re.compile("[\\s\\-'\u2019]")  # spaces, hyphens, both apostrophes


class InvalidValueError(ValueError):
    """A value that breaks its rule; the message names the rule, never the value."""


def nhs_number_is_valid(nhs_number: str) -> bool:
    """Ten digits whose modulus-11 check digit is right. A remainder that makes the check 11
    means 0; one that makes it 10 matches no digit, so no such number is valid."""
    if not _TEN_ASCII_DIGITS.fullmatch(nhs_number):  # str.isdigit() takes other scripts' digits
        return False
    total = sum(int(digit) * (10 - position) for position, digit in enumerate(nhs_number[:9]))
    check = (11 - total % 11) % 11
    return check == int(nhs_number[9])


def nhs_number_normalise(raw: str) -> str:
    """Spaces and hyphens are accepted (999 000 0018); stored as 10 digits."""
    nhs_number = re.sub(r"[\s-]", "", raw)
    if not nhs_number_is_valid(nhs_number):
        raise InvalidValueError("NHS number must be 10 digits with a valid check digit")
    return nhs_number


def ods_code_normalise(raw: str) -> str:
    ods_code = raw.strip().upper()
    if not _ODS_CODE.fullmatch(ods_code):
        raise InvalidValueError("ODS code must be 6 letters or digits")
    return ods_code


def date_of_birth_parse(raw: str) -> date:
    """YYYY-MM-DD, a real date, not in the future."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        raise InvalidValueError("date of birth must be a date written YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidValueError("date of birth is not a real date") from error
    if value > timezone.localdate():
        raise InvalidValueError("date of birth is in the future")
    return value


def surnames_match(given: str, registered: str) -> bool:
    """Case, spaces, hyphens and apostrophes are ignored: O'Brien matches OBRIEN."""
    return (
        _SURNAME_IGNORED.sub("", given).casefold()
        == _SURNAME_IGNORED.sub("", registered).casefold()
    )


def age_on(date_of_birth: date, today: date) -> int:
    """Whole years; a patient whose birthday is today has had it. 29 February birthdays fall
    on 1 March in other years."""
    years = today.year - date_of_birth.year
    if (today.month, today.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years
