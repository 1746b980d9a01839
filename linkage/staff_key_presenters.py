"""What the admin tells practice staff about linkage keys: why an issue, reissue or revoke was
refused, in the practice's words rather than the API's error codes (docs/linkage-api.md,
"Errors"), and the letter that gives a patient a new key (docs/adr/0024). Wording only: no
database needed to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from django.conf import settings

from accounts.presenters import date_display

StaffKeyAction = Literal["issue", "reissue", "revoke"]

_NOT_DONE: dict[StaffKeyAction, str] = {
    "issue": "No key was issued",
    "reissue": "No new key was issued",
    "revoke": "The key was not revoked",
}

_NOT_ON_REGISTER = "the patient is no longer on the practice's register"


def _reasons() -> dict[str, str]:
    age = settings.LINKAGE_MINIMUM_AGE
    return {
        "PATIENT_NOT_ELIGIBLE": (
            "the patient's registration at the practice has ended, or they are recorded as "
            "deceased, so they cannot use the practice's online services"
        ),
        "UNDER_MINIMUM_AGE": (
            f"the patient is under {age}, the youngest age for a linkage key of their own"
        ),
        "LINKAGE_KEY_EXISTS": (
            "the patient already has an active linkage key. To give them a new one, open the "
            "key and reissue it"
        ),
        "LINKAGE_KEY_REVOKED": "the key had already been revoked, so nothing was changed",
        "PRACTICE_NOT_LIVE": (
            "online services are switched off for the practice. Switch them on in Practices first"
        ),
        "PRACTICE_NOT_FOUND": _NOT_ON_REGISTER,
        "PATIENT_NOT_FOUND": _NOT_ON_REGISTER,
        "INVALID_REQUEST": "a reason is needed",
    }


def staff_key_refusal(error_code: str, *, action: StaffKeyAction) -> str:
    """A sentence for the staff member: what did not happen, and why, from the service's
    errorCode. A code with no wording of its own still says that nothing happened."""
    reason = _reasons().get(
        error_code,
        "the system could not do it just now. Try again, and tell your administrator if it "
        "happens again",
    )
    return f"{_NOT_DONE[action]}: {reason}."


def patient_name_display(given_name: str, surname: str) -> str:
    """Given name and surname, as the letter addresses the patient: "Ava Thompson"."""
    return " ".join(name for name in (given_name.strip(), surname.strip()) if name)


@dataclass(frozen=True)
class KeyLetter:
    """The letter a patient is given with a new key: who it is from and for, the linkage
    information (IDS68 NL01: Account ID, linkage key, ODS code) and how to use it."""

    practice_name: str
    ods_code: str
    patient_name: str
    date: str
    account_id: str
    linkage_key: str
    reissued: bool

    def __repr__(self) -> str:  # never print the key, even in a traceback
        return f"KeyLetter(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


def key_letter_for(
    *,
    practice_name: str,
    ods_code: str,
    given_name: str,
    surname: str,
    issued_on: date,
    account_id: str,
    linkage_key: str,
    reissued: bool,
) -> KeyLetter:
    return KeyLetter(
        practice_name=practice_name,
        ods_code=ods_code,
        patient_name=patient_name_display(given_name, surname),
        date=date_display(issued_on),
        account_id=account_id,
        linkage_key=linkage_key,
        reissued=reissued,
    )
