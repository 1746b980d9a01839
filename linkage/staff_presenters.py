"""How the admin reads to practice staff: patients as people, and the audit trail in words.

A receptionist looks for "Ava Thompson (999 000 0018)", not "Registered patient 42", and
reads "Linkage key shown" and "Refused: no matching patient on the register", not
``show_key`` and ``PATIENT_NOT_FOUND``. The stored values stay as they are (the audit is
append-only, and its CSV export keeps the codes, for spreadsheets and scripts); these are the
words shown for them. Wording only, no database: the models' ``__str__`` and the admin's
columns call these, and the admin fetches the names they need with the list's own query.

The models import this module, so it names the audit's codes as the strings stored, not
through linkage/audit.py (which imports the models); a test checks that every action, actor
type and errorCode there has its words here.
"""

from __future__ import annotations

from accounts.presenters import nhs_number_display

SUCCESS = "SUCCESS"
UNAUTHENTICATED = "unauthenticated"


def person_display(name: str, nhs_number: str) -> str:
    """The name as the register holds it, then the NHS number in its groups of 3, 3 and 4:
    Ava Thompson (999 000 0018). Either alone when the other is missing."""
    name = " ".join(name.split())
    if not nhs_number:
        return name
    number = nhs_number_display(nhs_number)
    return f"{name} ({number})" if name else number


def staff_member_display(*, full_name: str, username: str) -> str:
    """The name colleagues know, then the username they sign in with and the audit records:
    Sam Taylor (reception). The username alone when no name was given."""
    full_name = " ".join(full_name.split())
    return f"{full_name} ({username})" if full_name else username


AUDIT_ACTION_WORDING: dict[str, str] = {
    "retrieve": "Linkage details read by an app",
    "create": "Linkage key created",
    "revoke": "Linkage key revoked",
    "reissue": "Linkage key reissued",
    "view": "Linkage details viewed",
    "show_key": "Linkage key shown",
    "register_import": "Register imported",
    "rotate_encryption": "Key encryption rotated",
    "audit_export": "Audit exported",
    "token_request": "App sign-in (API token)",
    "online_services_on": "Online services switched on",
    "online_services_off": "Online services switched off",
    "api_client_register": "API client registered",
    "api_client_change": "API client changed",
    "api_client_disable": "API client disabled",
    # IM1 partners' pairings with a patient's record (docs/im1-api.md).
    "im1_pair": "App paired with the record (IM1)",
    "im1_read": "Record read by a paired app (IM1)",
    "im1_connection_end": "Paired app disconnected (IM1)",
    "im1_unlock": "Pairing unlocked (IM1)",
    # Practice staff asking NHS login for the patient's account (docs/provisioning.md).
    "nhs_login_provision": "NHS login account provisioning",
}

# Each errorCode of the linkage interface (linkage/errors.py), and the OAuth 2.0 errors of the
# token endpoint (RFC 6749, 5.2), as the outcome of what was asked.
AUDIT_OUTCOME_WORDING: dict[str, str] = {
    SUCCESS: "Success",
    "INVALID_REQUEST": "Refused: the request was not valid",
    "INVALID_NHS_NUMBER": "Refused: the NHS number was not valid",
    "INVALID_ODS_CODE": "Refused: the ODS code was not valid",
    "INVALID_DATE_OF_BIRTH": "Refused: the date of birth was not valid",
    "UNAUTHORIZED": "Refused: the app was not signed in",
    "FORBIDDEN": "Refused: the app may not ask this",
    "PRACTICE_NOT_FOUND": "Refused: the practice is not on this system",
    "PRACTICE_NOT_LIVE": "Refused: the practice's online services are switched off",
    "PATIENT_NOT_FOUND": "Refused: no matching patient on the register",
    "PATIENT_NOT_ELIGIBLE": "Refused: registration ended, or the patient has died",
    "UNDER_MINIMUM_AGE": "Refused: the patient is under the minimum age",
    "LINKAGE_KEY_NOT_FOUND": "Refused: the patient has no linkage key",
    "LINKAGE_KEY_REVOKED": "Refused: the patient's linkage key was revoked",
    "LINKAGE_KEY_EXISTS": "Refused: the patient already has a linkage key",
    "RATE_LIMITED": "Refused: too many requests",
    "SERVICE_UNAVAILABLE": "Failed: the service was unavailable",
    # The IM1 interface's own codes (docs/im1-api.md, "Errors").
    "PAIRING_FAILED": "Refused: the details did not match the patient's linkage key",
    "PAIRING_LOCKED": "Refused: pairing is locked after too many failed attempts",
    "CONNECTION_NOT_VALID": "Refused: the app's connection is not valid",
    "invalid_request": "Refused: the request was not valid",
    "invalid_client": "Refused: the app's credentials were not accepted",
    "unsupported_grant_type": "Refused: the request was not valid",
    "temporarily_unavailable": "Refused: too many requests",
    # NHS login's answers to a provisioning request (docs/provisioning.md); its error codes
    # are recorded as NHS_LOGIN_ and the code.
    "PROVISIONED_CREATE": "NHS login is sending the patient an email to set up an account",
    "PROVISIONED_UPLIFT": "NHS login is sending the patient an email to upgrade their account",
    "NOT_ANSWERED": "Failed: NHS login did not answer",
    "NOT_ELIGIBLE": "Refused: no NHS number, registration ended, or the patient has died",
    "PROVISIONING_PENDING": "Refused: a request from the last 7 days is waiting",
    "PROVISIONING_IN_PROGRESS": "Refused: another request for the patient was being sent",
}

ACTOR_TYPE_WORDING: dict[str, str] = {
    "api_client": "App (API client)",
    "patient": "Patient",
    "staff": "Staff",
    "system": "System",
}


def audit_action_display(action: str) -> str:
    """The action in words; a code this version does not know, as it was stored."""
    return AUDIT_ACTION_WORDING.get(action, action)


def audit_outcome_display(outcome: str) -> str:
    if outcome.startswith("NHS_LOGIN_"):
        return f"Refused by NHS login (code {outcome.removeprefix('NHS_LOGIN_')})"
    return AUDIT_OUTCOME_WORDING.get(outcome, outcome)


def actor_type_display(actor_type: str) -> str:
    return ACTOR_TYPE_WORDING.get(actor_type, actor_type)


def audit_actor_display(*, actor_type: str, actor: str, actor_name: str) -> str:
    """Who acted, by the name people know them by: a member of staff's full name and
    username, an API client's name, a patient's name. ``actor_name`` is that name as the
    admin found it (empty when there is none: a client since renamed away, a patient never
    signed in here); the stored identifier is then shown, except a patient's NHS login
    identifier, which means nothing to anyone reading."""
    if actor_type == "staff":
        return staff_member_display(full_name=actor_name, username=actor)
    if actor_type == "patient":
        return " ".join(actor_name.split()) or "A patient signed in with NHS login"
    if actor_type == "api_client" and actor.startswith(UNAUTHENTICATED):
        # Refusals before any client signed in, counted per address (linkage/audit.py).
        address_and_count = actor.removeprefix(UNAUTHENTICATED).strip()
        if not address_and_count:
            return "An app not signed in"
        return f"An app not signed in ({address_and_count})"
    return actor_name or actor
