"""How the portal's accounts pages read: the patient's details, the pages a sign-in that did
not work ends on, and the session warning. Wording only: no database needed to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from accounts.gp_practices import GpPractice
from accounts.models import IdentityProofingLevel, Patient
from accounts.online_services import OnlineServicesProblem
from core.wording import GP_PRACTICE_CODE

NOT_AVAILABLE = "Not available"

IDENTITY_LEVEL_WORDING = {
    IdentityProofingLevel.P9: "High (P9): your identity has been fully checked",
    IdentityProofingLevel.P5: "Medium (P5): some of your details have been checked",
    IdentityProofingLevel.P0: "Low (P0): your identity has not been checked",
}


def nhs_number_display(nhs_number: str) -> str:
    """NHS numbers are read in groups of 3, 3 and 4: 999 000 0018."""
    if len(nhs_number) != 10 or not (nhs_number.isascii() and nhs_number.isdigit()):
        return NOT_AVAILABLE
    return f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"


def date_display(value: date | None) -> str:
    """NHS.UK style: 5 March 1990, no leading zero."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value.day} {value:%B %Y}"


def time_display(value: datetime, *, now: datetime) -> str:
    """NHS.UK style: 2:35pm, and the date as well when it is not today's
    (2:35pm on 5 March 2026). Both in the same time zone."""
    clock = f"{value.hour % 12 or 12}:{value:%M}{'am' if value.hour < 12 else 'pm'}"
    if value.date() == now.date():
        return clock
    return f"{clock} on {date_display(value.date())}"


def patient_name_display(patient: Patient) -> str:
    """The patient's name as NHS login gave it: first and last name, or the one part it gave
    ("" if neither). The first name comes with the ``profile_extended`` scope only, the last
    name with ``profile`` (NHS login's "Scopes and claims")."""
    return " ".join(name for name in (patient.given_name, patient.family_name) if name)


def patient_name_label(patient: Patient) -> str:
    """What the name row holds: "Name" only when it is the whole name."""
    if patient.given_name and patient.family_name:
        return "Name"
    return "First name" if patient.given_name else "Last name"


@dataclass(frozen=True)
class PatientPresenter:
    """The patient's details page. ``practice`` is their GP practice as this system knows it:
    None when it is not here, or could not be read just now."""

    patient: Patient
    practice: GpPractice | None = None

    @property
    def name(self) -> str:
        return patient_name_display(self.patient) or NOT_AVAILABLE

    @property
    def name_label(self) -> str:
        return patient_name_label(self.patient)

    @property
    def practice_name(self) -> str:
        return self.practice.name if self.practice is not None else ""

    @property
    def shows_nhs_number(self) -> bool:
        """Only at P9: below it, the NHS number NHS login traced must not be presented to the
        patient (NHS login's "Scopes and claims", note 2)."""
        return self.patient.identity_verified

    @property
    def nhs_number(self) -> str:
        return nhs_number_display(self.patient.nhs_number if self.shows_nhs_number else "")

    @property
    def birthdate(self) -> str:
        return date_display(self.patient.birthdate)

    @property
    def gp_ods_code(self) -> str:
        return self.patient.gp_ods_code or NOT_AVAILABLE

    @property
    def identity_level(self) -> str:
        return IDENTITY_LEVEL_WORDING.get(
            IdentityProofingLevel(self.patient.identity_proofing_level), NOT_AVAILABLE
        )


NOT_FIXED_BY_PROVING = "Proving who you are with NHS login would not change this."


@dataclass(frozen=True)
class OnlineServicesProblemWording:
    """What the patient is told when this service cannot find their GP record
    (accounts/online_services.py): why, and what to do instead. A P5 patient is told too that
    proving who they are would not change it."""

    title: str
    reason: str
    next_step: str
    not_fixed_by_proving: str = NOT_FIXED_BY_PROVING


def online_services_problem_wording(
    problem: OnlineServicesProblem, *, ods_code: str, practice: GpPractice | None
) -> OnlineServicesProblemWording:
    practice_name = practice.name if practice else "Your GP practice"
    ask = "Ask your GP practice for your online services details. They will check your identity "
    ask += "before they give them to you."
    match problem:
        case OnlineServicesProblem.NO_NHS_NUMBER:
            return OnlineServicesProblemWording(
                "We cannot find your NHS number",
                "NHS login did not give us an NHS number for you, so we cannot find your GP "
                "record.",
                ask,
            )
        case OnlineServicesProblem.NO_GP_PRACTICE:
            return OnlineServicesProblemWording(
                "We do not know which GP practice you're registered with",
                "NHS login did not tell us which GP practice you're registered with, so we "
                "cannot find your GP record.",
                "If you're registered with a GP practice, ask them for your online services "
                "details. If you're not, you can register with one near you.",
            )
        case OnlineServicesProblem.PRACTICE_NOT_HERE:
            return OnlineServicesProblemWording(
                "Your GP practice does not use this service",
                f"Your GP practice ({GP_PRACTICE_CODE.label} {ods_code}) does not use this "
                "service, so you cannot get your GP online services details here.",
                ask,
            )
        case OnlineServicesProblem.PRACTICE_NOT_LIVE:
            return OnlineServicesProblemWording(
                f"{practice_name} does not offer this service yet",
                f"{practice_name} uses this service, but has not started offering GP online "
                "services here yet.",
                ask,
            )


def minutes_left_display(seconds: int) -> str:
    """The time before the session ends, in whole minutes and never "0 minutes": the warning
    comes ``SESSION_WARNING_SECONDS`` before the inactivity limit (accounts/session_timer.py)."""
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"


@dataclass(frozen=True)
class SignInProblemWording:
    """What a page for a sign-in that did not work says, and whether it offers NHS login again.

    ``template`` is a page of its own where the wording and links are NHS login's, not the
    portal's (the no-consent screens). The page's HTTP status, and which failure gets which
    page, are in accounts/views/problems.py.
    """

    title: str
    paragraphs: tuple[str, ...] = ()
    try_again: bool = True
    template: str = "accounts/sign_in_problem.jinja"


NO_CONSENT_TITLE = "You cannot continue without sharing your information"

# Keyed by the pages of accounts/views/problems.py (SignInProblem).
SIGN_IN_PROBLEM_WORDING = {
    # NHS login's no-consent error screens ("Sharing a user's NHS login information with your
    # service"): their wording and links are NHS login's, so they live in their own templates.
    "no_consent": SignInProblemWording(NO_CONSENT_TITLE, template="accounts/no_consent.jinja"),
    "no_consent_nhs_app": SignInProblemWording(
        NO_CONSENT_TITLE, try_again=False, template="accounts/no_consent_nhs_app.jinja"
    ),
    "sign_in_again": SignInProblemWording(
        "You need to sign in to NHS login again",
        ("NHS login needs you to sign in again before you can continue.",),
    ),
    "nhs_login_unavailable": SignInProblemWording(
        "NHS login is not working at the moment",
        (
            "We could not reach NHS login, so you cannot sign in right now.",
            "Try again later.",
        ),
    ),
    "setup": SignInProblemWording(
        "Sorry, there is a problem with this service",
        (
            "There is a problem with how this service connects to NHS login.",
            "Try again later. If it keeps happening, contact your GP practice.",
        ),
    ),
    "not_confirmed": SignInProblemWording(
        "We could not confirm your sign-in",
        (
            "NHS login's answer did not pass our security checks, so we have not signed you in.",
            "You can try again.",
        ),
    ),
    "session": SignInProblemWording(
        "Your sign-in did not work",
        (
            "This can happen if you used the back button, started signing in from another tab "
            "or window, or your browser blocks cookies.",
            "You can try again.",
        ),
    ),
    "expired": SignInProblemWording(
        "Your sign-in took too long",
        ("For your security, you need to start again.",),
    ),
    "too_many_attempts": SignInProblemWording(
        "Too many attempts to sign in",
        ("Wait a minute, then try again.",),
        try_again=False,
    ),
    "step_up_incomplete": SignInProblemWording(
        "We could not confirm your identity",
        (
            "To see that page, NHS login needs to check your identity in full, and this was "
            "not completed.",
            "You can still use the rest of this service.",
        ),
        try_again=False,
    ),
}
