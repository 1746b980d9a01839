"""The two identifiers every app reads: the NHS number and the ODS code of a GP practice.

One rule for each, used by the sign-in (the claims NHS login releases), the linkage API, the
patient's pages, the register import and the admin, so that a number or a code one part accepts
is never refused by another. docs/linkage-api.md ("Terms") states them for API clients.
"""

from __future__ import annotations

import re

# A GP practice's ODS code: six letters or digits (A12345). NHS login's gp_registration_details
# carries the same code, so the claim is held to the same rule.
_ODS_CODE = re.compile(r"[A-Z0-9]{6}")
_TEN_ASCII_DIGITS = re.compile(r"[0-9]{10}")
_NINE_ASCII_DIGITS = re.compile(r"[0-9]{9}")


class InvalidValueError(ValueError):
    """A value that breaks its rule; the message names the rule, never the value."""


def nhs_number_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of an NHS number's first nine digits: each weighted 10 down
    to 2, the remainder of the sum taken from 11. A result of 11 means 0; one of 10 matches no
    digit, so those nine digits begin no valid number (None)."""
    if not _NINE_ASCII_DIGITS.fullmatch(first_nine):
        raise InvalidValueError("an NHS number begins with 9 digits")
    total = sum(int(digit) * (10 - position) for position, digit in enumerate(first_nine))
    check = (11 - total % 11) % 11
    return None if check == 10 else check


def nhs_number_is_valid(nhs_number: str) -> bool:
    """Ten ASCII digits whose last is the check digit of the other nine."""
    if not _TEN_ASCII_DIGITS.fullmatch(nhs_number):  # str.isdigit() takes other scripts' digits
        return False
    return nhs_number_check_digit(nhs_number[:9]) == int(nhs_number[9])


def nhs_number_normalise(raw: str) -> str:
    """Spaces and hyphens are accepted (999 000 0018); stored as 10 digits."""
    nhs_number = re.sub(r"[\s-]", "", raw)
    if not nhs_number_is_valid(nhs_number):
        raise InvalidValueError("NHS number must be 10 digits with a valid check digit")
    return nhs_number


def ods_code_is_valid(ods_code: str) -> bool:
    """Six upper-case letters or digits, as stored."""
    return bool(_ODS_CODE.fullmatch(ods_code))


def ods_code_normalise(raw: str) -> str:
    """Surrounding spaces and case are forgiven (a12345 is A12345)."""
    ods_code = raw.strip().upper()
    if not ods_code_is_valid(ods_code):
        raise InvalidValueError("ODS code must be 6 letters or digits")
    return ods_code
