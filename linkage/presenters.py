"""What the patient's linkage pages say when they cannot show linkage details, and what the
patient can do instead: one page for each refusal of the linkage services (its errorCode,
docs/linkage-api.md) and for details NHS login did not give. Wording only; no database."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# NHS login gave no NHS number or GP practice (a P5 sign-in, say): not an errorCode.
DETAILS_MISSING = "details_missing"


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
    can_create: bool = False


def _refusals(ods_code: str) -> dict[str, LinkageRefusal]:
    practice = _your_practice(ods_code)
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
                "A linkage key, with your Account ID and your practice code, lets an app connect "
                "to your GP record.",
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
    }


def linkage_refusal_for(reason: str, *, ods_code: str) -> LinkageRefusal:
    """The page for ``reason``: an errorCode of the linkage services, or DETAILS_MISSING."""
    return _refusals(ods_code)[reason]
