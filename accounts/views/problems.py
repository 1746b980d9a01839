"""The pages a sign-in that did not work ends on, and which failure gets which.

A problem page is a plain page, never a redirect, so never a loop. ``SIGN_IN_FAILURES`` is the
one table of the ways a sign-in with NHS login fails: each error code NHS login sends back to
the redirect URI (Federation specification 3.4.5.2, table 5) and each exception the sign-in
meets on the back channel (accounts/nhs_login_client.py), in the tokens (accounts/id_token.py),
in userinfo (accounts/backends.py) and in the settings, with the page it gets and what is
logged. Adding a way to fail is adding a row. The pages' wording is in accounts/presenters.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.backends import UserinfoSubjectMismatchError
from accounts.id_token import TokenInvalidError, VotNotRequestedError
from accounts.nhs_login_client import (
    ProviderError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UserinfoRefusedError,
)
from accounts.presenters import SIGN_IN_PROBLEM_WORDING
from accounts.sign_in_flow import SignInFlow

logger = logging.getLogger(__name__)


class SignInProblem(Enum):
    """A page for a sign-in that did not work: the key of its wording in
    accounts/presenters.py, and its HTTP status."""

    NO_CONSENT = ("no_consent", HTTPStatus.OK)
    NO_CONSENT_NHS_APP = ("no_consent_nhs_app", HTTPStatus.OK)
    SIGN_IN_AGAIN = ("sign_in_again", HTTPStatus.OK)
    NHS_LOGIN_UNAVAILABLE = ("nhs_login_unavailable", HTTPStatus.SERVICE_UNAVAILABLE)
    SETUP = ("setup", HTTPStatus.INTERNAL_SERVER_ERROR)
    NOT_CONFIRMED = ("not_confirmed", HTTPStatus.BAD_REQUEST)
    SESSION = ("session", HTTPStatus.BAD_REQUEST)
    EXPIRED = ("expired", HTTPStatus.BAD_REQUEST)
    TOO_MANY_ATTEMPTS = ("too_many_attempts", HTTPStatus.TOO_MANY_REQUESTS)
    STEP_UP_INCOMPLETE = ("step_up_incomplete", HTTPStatus.OK)

    def __init__(self, key: str, status: HTTPStatus) -> None:
        self.key = key
        self.status = status


def sign_in_problem(request: HttpRequest, problem: SignInProblem) -> HttpResponse:
    """A plain page for a sign-in that did not work: never a redirect, so never a loop."""
    wording = SIGN_IN_PROBLEM_WORDING[problem.key]
    return render(
        request,
        wording.template,
        {"problem": wording, "problem_code": problem.key},
        status=problem.status,
    )


def _step_up(flow: SignInFlow) -> bool:
    return flow.step_up


def _from_nhs_app(flow: SignInFlow) -> bool:
    return flow.from_nhs_app


@dataclass(frozen=True)
class SignInFailure:
    """One way a sign-in fails: the page the patient gets, and the line logged.

    ``cause`` is an error code NHS login sent to the redirect URI, or an exception class (its
    subclasses too). ``code`` narrows a row to a ``ProviderRefusedError`` with that OAuth
    error code, ``when`` to the flows it holds for. ``log`` is a warning, %-style with
    ``kind`` (the exception's class name) and ``reason`` (its message: the rule broken, never a
    token); with ``traceback`` it is an error with the exception's traceback. The first row that
    applies wins, so a narrower row comes before a wider one.
    """

    cause: type[Exception] | str
    problem: SignInProblem
    code: str = ""
    when: Callable[[SignInFlow], bool] | None = None
    log: str = ""
    traceback: bool = False

    def applies_to(self, cause: Exception | str, *, flow: SignInFlow | None) -> bool:
        if isinstance(self.cause, str):
            if cause != self.cause:
                return False
        elif not isinstance(cause, self.cause):
            return False
        if self.code and not (isinstance(cause, ProviderRefusedError) and cause.error == self.code):
            return False
        return self.when is None or (flow is not None and self.when(flow))


_REFUSED = "NHS login sign-in refused: %(reason)s"
_REFUSED_BY_RULE = "NHS login sign-in refused (%(kind)s): %(reason)s"

SIGN_IN_FAILURES: tuple[SignInFailure, ...] = (
    # NHS login's error codes (Federation specification 3.4.5.2, table 5). NHS login documents
    # one access_denied, the patient declining to share their information, and sends no
    # description, both then and when they stop proving who they are during a step-up; so the
    # portal's own record of the flow tells them apart: a step-up leaves the patient signed in
    # at P5 ("Offering users medium (P5) and high (P9) verification"), a flow from the NHS App
    # gets NHS login's NHS App no-consent screen ("Sharing a user's NHS login information with
    # your service").
    SignInFailure("access_denied", SignInProblem.STEP_UP_INCOMPLETE, when=_step_up),
    SignInFailure("access_denied", SignInProblem.NO_CONSENT_NHS_APP, when=_from_nhs_app),
    SignInFailure("access_denied", SignInProblem.NO_CONSENT),
    SignInFailure("login_required", SignInProblem.SIGN_IN_AGAIN),
    SignInFailure("sso_login_required", SignInProblem.SIGN_IN_AGAIN),
    SignInFailure("interaction_required", SignInProblem.SIGN_IN_AGAIN),
    SignInFailure("consent_required", SignInProblem.SIGN_IN_AGAIN),
    SignInFailure("account_selection_required", SignInProblem.SIGN_IN_AGAIN),
    SignInFailure("server_error", SignInProblem.NHS_LOGIN_UNAVAILABLE),
    SignInFailure("temporarily_unavailable", SignInProblem.NHS_LOGIN_UNAVAILABLE),
    SignInFailure("invalid_request", SignInProblem.SETUP),
    SignInFailure("unauthorized_client", SignInProblem.SETUP),
    SignInFailure("unsupported_response_type", SignInProblem.SETUP),
    SignInFailure("invalid_scope", SignInProblem.SETUP),
    # The back channel. The provider refusing the access token it had just issued (logged with
    # its code by the client) confirmed nothing, and starting again gets a new one; so does a
    # code used already or expired (invalid_grant).
    SignInFailure(ProviderUnavailableError, SignInProblem.NHS_LOGIN_UNAVAILABLE),
    SignInFailure(UserinfoRefusedError, SignInProblem.NOT_CONFIRMED),
    SignInFailure(ProviderRefusedError, SignInProblem.SESSION, code="invalid_grant"),
    SignInFailure(ProviderRefusedError, SignInProblem.SETUP),
    SignInFailure(ProviderError, SignInProblem.NHS_LOGIN_UNAVAILABLE),
    # The tokens and userinfo. After a step-up, a level lower than asked for means identity
    # verification was not completed: say so, rather than offer the same step-up again.
    SignInFailure(
        VotNotRequestedError, SignInProblem.STEP_UP_INCOMPLETE, when=_step_up, log=_REFUSED
    ),
    SignInFailure(VotNotRequestedError, SignInProblem.NOT_CONFIRMED, log=_REFUSED),
    SignInFailure(TokenInvalidError, SignInProblem.NOT_CONFIRMED, log=_REFUSED_BY_RULE),
    SignInFailure(UserinfoSubjectMismatchError, SignInProblem.NOT_CONFIRMED, log=_REFUSED_BY_RULE),
    # The settings: no issuer, an unreadable private key.
    SignInFailure(
        ImproperlyConfigured, SignInProblem.SETUP, log="NHS login is not configured", traceback=True
    ),
)

# A code NHS login does not send is not ours to explain: the answer is simply not one we can
# use (400), never a server error.
UNRECOGNISED_FAILURE = SignInFailure("", SignInProblem.SESSION)

# What the callback catches: the exceptions of the table, and no other.
SIGN_IN_EXCEPTIONS: tuple[type[Exception], ...] = tuple(
    dict.fromkeys(row.cause for row in SIGN_IN_FAILURES if not isinstance(row.cause, str))
)


def sign_in_failure_for(cause: Exception | str, *, flow: SignInFlow | None) -> SignInFailure:
    """The table's first row for this error code or exception, in this flow."""
    return next(
        (row for row in SIGN_IN_FAILURES if row.applies_to(cause, flow=flow)),
        UNRECOGNISED_FAILURE,
    )


def sign_in_failure_page(
    request: HttpRequest, cause: Exception | str, *, flow: SignInFlow | None
) -> HttpResponse:
    """The problem page for an error code NHS login sent or an exception the sign-in met,
    with the table's log line."""
    failure = sign_in_failure_for(cause, flow=flow)
    if failure.log and isinstance(cause, Exception):
        details = {"kind": type(cause).__name__, "reason": cause}
        if failure.traceback:
            logger.error(failure.log, details, exc_info=cause)
        else:
            logger.warning(failure.log, details)
    return sign_in_problem(request, failure.problem)
