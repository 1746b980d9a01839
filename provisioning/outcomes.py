"""Every answer of NHS login's Provision Account interface (its "Interface Specification -
Provision Account" v1, 3.3.2 and 3.3.3), and what practice staff are told of each: the
specification's descriptions are for the service consumer, "not suitable for an end user", so
staff get our own words and what to do next (docs/provisioning.md, "What staff are told").

Presenters only: no database, no request."""

from __future__ import annotations

from dataclasses import dataclass

SUCCESS_CODES = ("create", "uplift")
UNABLE_TO_PROVISION_CODES = ("11001", "11002", "11006", "11007", "11008", "11009", "11018", "11019")
ERROR_CODES = (
    "11000",
    "11010",
    "11021",
    "11011",
    *UNABLE_TO_PROVISION_CODES,
    "11005",
    "11004",
    "11003",
)
KNOWN_CODES = frozenset((*SUCCESS_CODES, *ERROR_CODES))
# When the provider never answered (down, too slow, an answer that is not the interface's):
# only the audit records it, with this outcome.
NOT_ANSWERED = "NOT_ANSWERED"


@dataclass(frozen=True)
class StaffWording:
    """What happened, in plain words, and what the member of staff does next."""

    summary: str
    next_step: str

    def message(self) -> str:
        return f"{self.summary} {self.next_step}"


_UNABLE = StaffWording(
    "NHS login could not set up an account with these details.",
    "Check the patient's NHS number and date of birth match their NHS record. If they do, the "
    "patient can set up NHS login themselves, for example in the NHS App, by proving who they "
    "are online.",
)

STAFF_WORDING: dict[str, StaffWording] = {
    "create": StaffWording(
        "NHS login has sent the patient an email to set up their account.",
        "Tell the patient to follow the link in the email within 7 days. They will get a "
        "security code on their mobile, then choose a password.",
    ),
    "uplift": StaffWording(
        "The patient already has an NHS login. NHS login has sent them an email to upgrade it "
        "to full identity checks.",
        "Tell the patient to follow the link in the email within 7 days. They will get a "
        "security code on their mobile, then enter their NHS login password.",
    ),
    "11000": StaffWording(
        "NHS login's provisioning service is not available at the moment. Nothing was sent.",
        "Try again later.",
    ),
    "11010": StaffWording(
        "NHS login did not accept the details sent. Nothing was sent.",
        "Check the email address and mobile number with the patient, and their date of birth "
        "and NHS number on the register, then try again.",
    ),
    "11021": StaffWording(
        "NHS login does not offer account provisioning for this practice. Nothing was sent.",
        "Ask your practice manager or system supplier to arrange provisioning with NHS login.",
    ),
    "11011": StaffWording(
        "Your practice has sent NHS login too many requests in a short time. Nothing was sent.",
        "Wait a few minutes, then try again.",
    ),
    **{code: _UNABLE for code in UNABLE_TO_PROVISION_CODES},
    "11005": StaffWording(
        "The patient already has a fully checked (P9) NHS login. Nothing was sent.",
        "Tell the patient to sign in with the NHS login they have. If they have forgotten "
        "their password, they can reset it when they sign in.",
    ),
    "11004": StaffWording(
        "This email address is already used by another NHS login. Nothing was sent.",
        "Ask the patient for an email address that only they use, then try again.",
    ),
    "11003": StaffWording(
        "NHS login already sent this patient an email to set up their account in the last 7 "
        "days. Nothing new was sent.",
        "Ask the patient to look for the email (and in their junk folder) and follow its link. "
        "If it has gone, try again once 7 days have passed.",
    ),
    NOT_ANSWERED: StaffWording(
        "NHS login did not answer. Nothing was sent, and nothing has been recorded as done.",
        "Try again in a few minutes. If this keeps happening, tell your system administrator.",
    ),
}


def staff_wording(code: str) -> StaffWording:
    """Our words for an answer; an answer this version does not know is NHS login not
    answering as the interface says it will."""
    return STAFF_WORDING.get(code, STAFF_WORDING[NOT_ANSWERED])


def outcome_display(code: str) -> str:
    """The outcome in a list of requests: the summary without its "Nothing was sent"."""
    return staff_wording(code).summary
