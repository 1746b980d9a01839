"""What the patient's linkage pages say when they cannot show linkage details, and what the
patient can do instead: one page for each refusal of the linkage services (its errorCode,
docs/linkage-api.md) and for details NHS login did not give; and the details page itself, as
it is shown and printed. Wording only; no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from accounts.presenters import date_display
from linkage.keys import LinkageInformation

# NHS login gave no NHS number or GP practice (a P5 sign-in, say): not an errorCode.
DETAILS_MISSING = "details_missing"
# LINKAGE_KEY_REVOKED, when the patient cancelled the key themselves (linkage/patient_cancel.py).
CANCELLED_BY_PATIENT = "cancelled_by_patient"


def _sentence_start(text: str) -> str:
    """Capital first letter, the rest as written: ``str.capitalize`` would lower-case the
    practice code ("Your gp practice (a12345)")."""
    return text[:1].upper() + text[1:]


def _your_practice(ods_code: str) -> str:
    """The patient's practice as every page names it: "GP practice", with its practice code (the
    ODS code, as NHS login gave it, which may be in lower case) in capitals, as it is written
    everywhere else."""
    code = ods_code.strip().upper()
    return f"your GP practice (practice code {code})" if code else "your GP practice"


@dataclass(frozen=True)
class LinkageRefusal:
    """A page for a patient who cannot see linkage details, and what they can do instead."""

    title: str
    paragraphs: tuple[str, ...]
    can_create: bool = False  # a first key, after a page saying what one is
    can_get_new: bool = False  # a new key at once, after the patient cancelled theirs


def _refusals(ods_code: str, cancelled_on: date | None) -> dict[str, LinkageRefusal]:
    practice = _your_practice(ods_code)
    when = f" on {date_display(cancelled_on)}" if cancelled_on else ""
    ask = "Ask your GP practice for your online services details: they will check who you are."
    return {
        DETAILS_MISSING: LinkageRefusal(
            "We cannot show your linkage details",
            (
                "NHS login did not give us your NHS number or your GP practice, so we cannot "
                "find your registration.",
                ask,
            ),
        ),
        "PRACTICE_NOT_FOUND": LinkageRefusal(
            "Your GP practice does not use this service",
            (f"We cannot find {practice} on this system.", ask),
        ),
        "PRACTICE_NOT_LIVE": LinkageRefusal(
            "Your GP practice does not offer this service yet",
            (f"{_sentence_start(practice)} has not switched on online services here.", ask),
        ),
        "PATIENT_NOT_FOUND": LinkageRefusal(
            "We cannot find your registration",
            (
                f"We cannot find you on the register of {practice}, or your name or date of "
                "birth there is different from your NHS login.",
                ask,
            ),
        ),
        "PATIENT_NOT_ELIGIBLE": LinkageRefusal(
            "Your registration at this GP practice has ended",
            (
                f"You are no longer registered at {practice}, so you cannot use its online "
                "services.",
                "If you have registered at another GP practice, ask them about online services.",
            ),
        ),
        "UNDER_MINIMUM_AGE": LinkageRefusal(
            f"You need to be {settings.LINKAGE_MINIMUM_AGE} or over",
            (
                f"You can get a linkage key yourself from the age of "
                f"{settings.LINKAGE_MINIMUM_AGE}.",
                "Until then, your GP practice can tell you about online services for you.",
            ),
        ),
        "LINKAGE_KEY_NOT_FOUND": LinkageRefusal(
            "You do not have a linkage key yet",
            (
                "A linkage key, with your Account ID and your GP practice code, lets an app "
                "connect to your GP record.",
                "You can create one now.",
            ),
            can_create=True,
        ),
        "LINKAGE_KEY_REVOKED": LinkageRefusal(
            "Your linkage key has been cancelled",
            (
                "Your GP practice cancelled your linkage key, so apps can no longer use it.",
                "Ask your GP practice for a new one. They will check who you are first.",
            ),
        ),
        CANCELLED_BY_PATIENT: LinkageRefusal(
            "You have cancelled your linkage key",
            (
                f"You cancelled your linkage key{when}. Apps you connected with it can no "
                "longer see your GP record.",
                "You can get a new linkage key now. Your Account ID and GP practice code stay "
                "the same: enter the new key in each app you want to keep using.",
            ),
            can_get_new=True,
        ),
    }


def linkage_refusal_for(
    reason: str, *, ods_code: str, cancelled_on: date | None = None
) -> LinkageRefusal:
    """The page for ``reason``: an errorCode of the linkage services, DETAILS_MISSING or
    CANCELLED_BY_PATIENT (``cancelled_on`` is the day it was cancelled)."""
    return _refusals(ods_code, cancelled_on)[reason]


@dataclass(frozen=True)
class LinkageDetails:
    """The three details an app asks for, as the patient's page shows and prints them: the
    practice named beside its code, and the day the details were read (a printed copy can
    outlive a key)."""

    account_id: str
    linkage_key: str | None  # None until the patient asks to see it
    ods_code: str
    practice_name: str
    # On paper only: whose details these are, and when they were read.
    print_note: str


def linkage_details_for(
    information: LinkageInformation,
    *,
    patient_names: tuple[str, str],
    practice_name: str,
    show_key: bool,
    today: date,
) -> LinkageDetails:
    """``patient_names`` are the given and family names NHS login gave, either may be empty."""
    name = " ".join(part.strip() for part in patient_names if part.strip())
    whose = f"Linkage details for {name}" if name else "Linkage details"
    return LinkageDetails(
        account_id=information.account_id,
        linkage_key=information.linkage_key if show_key else None,
        ods_code=information.ods_code,
        practice_name=practice_name,
        print_note=f"{whose}, correct on {date_display(today)}.",
    )
