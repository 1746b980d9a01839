"""Whether this service can find the patient's GP record, decided from what NHS login gives at
P5, before the patient is sent to prove who they are to P9.

Proving who you are to P9 (NHS login's identity verification: photo ID, a video or a visit to
the practice) is the slowest step of signing up. NHS login gives the practice's code
(``gp_registration_details``) and the NHS number at P5 already ("Scopes and claims"), so a
patient whose practice is not on this system, or does not offer online services here, or who
has no NHS number, is told so at P5, and never sent through a check that could not help them
(docs/nhs-login-levels-and-claims.md, ADR 0021).

Only the practice is checked, never the register: the NHS number NHS login gives at P5 is not
kept or used below P9 ("Scopes and claims", note 2), so whether the patient is on the
practice's register is known after the step-up, on the linkage page.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from accounts.gp_practices import GpPractice, GpPracticesUnavailableError, gp_practice_find
from accounts.models import Patient

logger = logging.getLogger(__name__)


class OnlineServicesProblem(enum.StrEnum):
    """Why this service cannot find the patient's GP record, whatever their identity level."""

    NO_NHS_NUMBER = "no_nhs_number"
    NO_GP_PRACTICE = "no_gp_practice"
    PRACTICE_NOT_HERE = "practice_not_here"
    PRACTICE_NOT_LIVE = "practice_not_live"


@dataclass(frozen=True)
class OnlineServicesCheck:
    """The answer: the practice as this system knows it (None when it is not here, or the
    practices could not be read), and the problem, if there is one."""

    practice: GpPractice | None
    problem: OnlineServicesProblem | None = None


def patient_online_services_check(*, patient: Patient) -> OnlineServicesCheck:
    """What stands between this patient and their GP online services details here, from what
    NHS login gave at this sign-in (P5 or P9).

    When the practices cannot be read (a database outage) there is no answer, so no problem is
    reported: the patient goes on as before rather than being told something untrue.
    """
    if patient.has_nhs_number is False:
        return OnlineServicesCheck(None, OnlineServicesProblem.NO_NHS_NUMBER)
    if not patient.gp_ods_code:
        return OnlineServicesCheck(None, OnlineServicesProblem.NO_GP_PRACTICE)
    try:
        practice = gp_practice_find(patient.gp_ods_code)
    except GpPracticesUnavailableError:
        logger.warning("GP practices unavailable: the online services check is skipped")
        return OnlineServicesCheck(None)
    if practice is None:
        return OnlineServicesCheck(None, OnlineServicesProblem.PRACTICE_NOT_HERE)
    if not practice.online_services_live:
        return OnlineServicesCheck(practice, OnlineServicesProblem.PRACTICE_NOT_LIVE)
    return OnlineServicesCheck(practice)
