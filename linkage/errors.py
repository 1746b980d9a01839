"""Every refusal of the linkage interface, each with its ``errorCode`` and HTTP status
(docs/linkage-api.md, "Errors"): the one home of the contract's error table. Services raise
them, the API decorator catches ``LinkageError`` alone and answers with the error's own code
and status, the patient's pages choose their wording from the code, and the OpenAPI document
and docs/linkage-api.md are tested against ``ERROR_STATUS``."""

from __future__ import annotations

from typing import ClassVar


class LinkageError(Exception):
    """A refusal with one of the contract's error codes; the message is safe to show anyone:
    it never holds a key, a token or an NHS number."""

    error_code: ClassVar[str]
    status: ClassVar[int]
    message: ClassVar[str]

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.error_message = message or self.message
        # Set once the refusal is in the audit trail (linkage/services.py records its own), so
        # that a caller audits only what no service did.
        self.audited = False


class InvalidRequestError(LinkageError):
    error_code = "INVALID_REQUEST"
    status = 400
    message = "The request is not valid"


class BodyTooLargeError(InvalidRequestError):
    """The contract's one status outside the table: a body over the API's limit is
    INVALID_REQUEST sent as 413, so that proxies and clients see the real reason
    (docs/adr/0007)."""

    status = 413


class InvalidNhsNumberError(LinkageError):
    error_code = "INVALID_NHS_NUMBER"
    status = 400
    message = "nhsNumber must be 10 digits with a valid check digit"


class InvalidOdsCodeError(LinkageError):
    error_code = "INVALID_ODS_CODE"
    status = 400
    message = "odsCode must be 6 letters or digits"


class InvalidDateOfBirthError(LinkageError):
    error_code = "INVALID_DATE_OF_BIRTH"
    status = 400
    message = "dateOfBirth must be a real date, written YYYY-MM-DD, not in the future"


class UnauthorizedError(LinkageError):
    """No bearer token, or one expired or unknown: answered with ``WWW-Authenticate``."""

    error_code = "UNAUTHORIZED"
    status = 401
    message = "A valid bearer token is required"


class ForbiddenError(LinkageError):
    error_code = "FORBIDDEN"
    status = 403
    message = "The token does not allow this call"


class PracticeNotServedError(ForbiddenError):
    """The API client is not bound to the practice asked about (docs/adr/0007): refused
    before the register is read, so it tells the client nothing about the practice or its
    patients, only about its own binding."""

    message = "This client is not bound to that practice"


class PracticeNotFoundError(LinkageError):
    error_code = "PRACTICE_NOT_FOUND"
    status = 404
    message = "No practice with that ODS code uses this system"


class PracticeNotLiveError(LinkageError):
    error_code = "PRACTICE_NOT_LIVE"
    status = 403
    message = "The practice does not offer online services"


class PatientNotFoundError(LinkageError):
    error_code = "PATIENT_NOT_FOUND"
    status = 404
    message = "No matching patient is registered at that practice"


class PatientNotEligibleError(LinkageError):
    error_code = "PATIENT_NOT_ELIGIBLE"
    status = 403
    message = "The patient cannot have online services at that practice"


class UnderMinimumAgeError(LinkageError):
    error_code = "UNDER_MINIMUM_AGE"
    status = 403
    message = "The patient is younger than the minimum age for online services"


class LinkageKeyNotFoundError(LinkageError):
    error_code = "LINKAGE_KEY_NOT_FOUND"
    status = 404
    message = "The patient has no linkage key"


class LinkageKeyRevokedError(LinkageError):
    error_code = "LINKAGE_KEY_REVOKED"
    status = 403
    message = "The patient's linkage key was revoked; the practice can issue a new one"


class LinkageKeyExistsError(LinkageError):
    error_code = "LINKAGE_KEY_EXISTS"
    status = 409
    message = "The patient already has an active linkage key"


class RateLimitedError(LinkageError):
    """Over the client's or the address's limit; ``retry_after`` seconds go in Retry-After."""

    error_code = "RATE_LIMITED"
    status = 429
    message = "Too many requests: try again later"

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailableError(LinkageError):
    """The database or the cache cannot be reached; nothing was half-written."""

    error_code = "SERVICE_UNAVAILABLE"
    status = 503
    message = "The service is unavailable: try again later"


def _table() -> dict[str, int]:
    """errorCode -> status, from the classes here that define a code (not their refinements,
    nor the codes of another interface that builds on these: the IM1 API's, im1/errors.py)."""
    table: dict[str, int] = {}
    pending: list[type[LinkageError]] = list(LinkageError.__subclasses__())
    while pending:
        error = pending.pop()
        if "error_code" in vars(error) and error.__module__ == __name__:
            table[error.error_code] = error.status
        pending += error.__subclasses__()
    return table


ERROR_STATUS: dict[str, int] = _table()
