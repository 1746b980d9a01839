"""Input rules of the linkage service beside the NHS number and ODS code (core/nhs_identifiers.py):
dates of birth, surnames and ages, shared by the API, the pages and the register import
(docs/linkage-api.md, "Terms")."""

from __future__ import annotations

import re
from datetime import date

from django.utils import timezone

from core.nhs_identifiers import InvalidValueError, nhs_number_normalise, ods_code_normalise
from linkage.errors import (
    InvalidDateOfBirthError,
    InvalidNhsNumberError,
    InvalidOdsCodeError,
    InvalidRequestError,
)

_SURNAME_IGNORED = re.compile("[\\s\\-'\u2019]")  # spaces, hyphens, both apostrophes


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


def request_nhs_number(raw: str) -> str:
    """An NHS number given in a request, or the contract's INVALID_NHS_NUMBER."""
    try:
        return nhs_number_normalise(raw)
    except InvalidValueError as error:
        raise InvalidNhsNumberError from error


def request_ods_code(raw: str) -> str:
    """An ODS code given in a request, or the contract's INVALID_ODS_CODE."""
    try:
        return ods_code_normalise(raw)
    except InvalidValueError as error:
        raise InvalidOdsCodeError from error


def request_date_of_birth(raw: str | date) -> date:
    """A date of birth given in a request (a date already parsed passes), or the contract's
    INVALID_DATE_OF_BIRTH."""
    if isinstance(raw, date):
        return raw
    try:
        return date_of_birth_parse(raw)
    except InvalidValueError as error:
        raise InvalidDateOfBirthError from error


def request_reason(raw: str) -> str:
    """Why a key is revoked or reissued, or a connection ended: kept with the record, so it
    may not be blank (the contract's INVALID_REQUEST)."""
    reason = raw.strip()
    if not reason:
        raise InvalidRequestError("Give a reason")
    return reason
