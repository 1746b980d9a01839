"""The IM1 API's own refusals, and the table of every code it answers with its status
(docs/im1-api.md, "Errors"). They are ``LinkageError``s, so the services' ``audited`` records
them and the API decorator (linkage/api.py) answers them, with the linkage interface's body.
The codes they share with the linkage API (the token, the scope, the limits, a malformed
body) are its classes, reused."""

from __future__ import annotations

from linkage.errors import (
    ForbiddenError,
    InvalidDateOfBirthError,
    InvalidOdsCodeError,
    InvalidRequestError,
    LinkageError,
    PatientNotEligibleError,
    PracticeNotLiveError,
    RateLimitedError,
    ServiceUnavailableError,
    UnauthorizedError,
)


class PairingFailedError(LinkageError):
    """The details do not match an active key of that account: one answer, whichever of the
    Account ID, key, ODS code, surname or date of birth is wrong, so a guesser learns nothing
    from it but "not all of these"."""

    error_code = "PAIRING_FAILED"
    status = 403
    message = "The details given do not match an account that can be paired"


class PairingLockedError(LinkageError):
    """Too many failed pairings in a row for the account: refused before the key is looked
    at, so the answer is the same whether the key given was right or not."""

    error_code = "PAIRING_LOCKED"
    status = 423
    message = (
        "Pairing with this account is locked after too many failed attempts: the patient can "
        "unlock it by signing in to their GP online services, or ask their practice"
    )


class ConnectionNotValidError(LinkageError):
    """No valid connection of this partner has that token: unknown, ended, made with a key
    since revoked, or another partner's. One answer for all of them."""

    error_code = "CONNECTION_NOT_VALID"
    status = 403
    message = "The connection token is not valid: pair with the patient's record again"


# Every refusal the IM1 API answers with, by the class that defines its code.
_ANSWERED: tuple[type[LinkageError], ...] = (
    InvalidRequestError,
    InvalidOdsCodeError,
    InvalidDateOfBirthError,
    UnauthorizedError,
    ForbiddenError,
    PairingFailedError,
    PracticeNotLiveError,
    PatientNotEligibleError,
    ConnectionNotValidError,
    PairingLockedError,
    RateLimitedError,
    ServiceUnavailableError,
)

IM1_ERROR_STATUS: dict[str, int] = {error.error_code: error.status for error in _ANSWERED}
