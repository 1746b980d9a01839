"""How the portal's accounts pages read: the patient's details and the session warning.
Wording only: no database needed to test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from accounts.models import IdentityProofingLevel, Patient

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


@dataclass(frozen=True)
class PatientPresenter:
    patient: Patient

    @property
    def name(self) -> str:
        return (
            " ".join(n for n in (self.patient.given_name, self.patient.family_name) if n)
            or NOT_AVAILABLE
        )

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


def minutes_left_display(seconds: int) -> str:
    """The time before the session ends, in whole minutes and never "0 minutes": the warning
    comes two minutes before the inactivity limit (accounts/views/session.py)."""
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
