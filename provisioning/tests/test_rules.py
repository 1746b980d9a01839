"""The rules that need no NHS login to test: every answer of the specification has our words for
staff, a UK mobile number in E.164, and when a bearer token stops being used."""

from __future__ import annotations

import time

import jwt
import pytest

from provisioning.client import _token_lifetime_end
from provisioning.forms import uk_mobile_e164
from provisioning.outcomes import (
    ERROR_CODES,
    NOT_ANSWERED,
    STAFF_WORDING,
    SUCCESS_CODES,
    outcome_display,
    staff_wording,
)

# The specification's tables (Provision Account interface v1, 3.3.2 and 3.3.3).
SPECIFICATION_CODES = {
    "create",
    "uplift",
    "11000",
    "11010",
    "11021",
    "11011",
    "11001",
    "11002",
    "11006",
    "11007",
    "11008",
    "11009",
    "11018",
    "11019",
    "11005",
    "11004",
    "11003",
}


def test_every_code_of_the_specification_has_our_words_and_a_next_step() -> None:
    assert set(SUCCESS_CODES) | set(ERROR_CODES) == SPECIFICATION_CODES
    for code in SPECIFICATION_CODES:
        wording = STAFF_WORDING[code]
        assert wording.summary
        assert wording.next_step


def test_the_specification_s_descriptions_are_never_shown_to_staff() -> None:
    descriptions = ("User already has P9 account", "Data in request not valid", "Service not")
    for wording in STAFF_WORDING.values():
        assert not any(d in wording.message() for d in descriptions)


def test_a_code_this_version_does_not_know_reads_as_no_answer() -> None:
    assert staff_wording("12345") == STAFF_WORDING[NOT_ANSWERED]
    assert outcome_display("11004").startswith("This email address is already used")


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("07700 900123", "+447700900123"),
        ("07700-900-123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("0044 7700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("07624 123456", "+447624123456"),
    ],
)
def test_a_uk_mobile_number_is_written_in_e164(raw: str, e164: str) -> None:
    assert uk_mobile_e164(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "01632 960001",
        "07000 123456",
        "07600 123456",
        "0770090012",
        "077009001234",
        "+33612345678",
        "",
    ],
)
def test_anything_but_a_uk_mobile_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a UK mobile number"):
        uk_mobile_e164(raw)


def _token(exp: float) -> str:
    return jwt.encode({"exp": int(exp)}, "k" * 32, algorithm="HS256")


def test_a_token_is_used_until_its_own_exp_when_that_comes_first() -> None:
    now = time.time()
    body = {"access_token": _token(now + 100), "expires_in": 300}
    assert _token_lifetime_end(body, now) == int(now + 100)


def test_a_token_is_used_until_expires_in_when_that_comes_first() -> None:
    now = time.time()
    body = {"access_token": _token(now + 900), "expires_in": 300}
    assert _token_lifetime_end(body, now) == now + 300


def test_an_opaque_token_lives_expires_in_and_one_without_either_is_not_kept() -> None:
    now = time.time()
    assert _token_lifetime_end({"access_token": "SlAV32hkKG", "expires_in": 300}, now) == now + 300
    assert _token_lifetime_end({"access_token": "SlAV32hkKG"}, now) == now
