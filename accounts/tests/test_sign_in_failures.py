"""Which page each way a sign-in fails gets (accounts/views/problems.py): the table itself,
without a database or NHS login."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from accounts.backends import UserinfoSubjectMismatchError
from accounts.id_token import AccessTokenInvalidError, IdTokenInvalidError, VotNotRequestedError
from accounts.nhs_login_client import (
    ProviderRefusedError,
    ProviderResponseInvalidError,
    ProviderUnavailableError,
    UserinfoRefusedError,
)
from accounts.presenters import SIGN_IN_PROBLEM_WORDING
from accounts.sign_in_flow import INTERACTION_ERRORS, SignInFlow
from accounts.views.problems import (
    SIGN_IN_EXCEPTIONS,
    SIGN_IN_FAILURES,
    SignInFailure,
    SignInProblem,
    sign_in_failure_for,
    sign_in_failure_page,
)

SIGN_IN = SignInFlow(vtr=("P9.Cp.Cd",), step_up=False, started_at=0.0)
STEP_UP = SignInFlow(vtr=("P9.Cp.Cd",), step_up=True, started_at=0.0)
FROM_NHS_APP = SignInFlow(vtr=("P9.Cp.Cd",), step_up=False, started_at=0.0, from_nhs_app=True)


@pytest.mark.parametrize(
    ("error", "flow", "problem"),
    [
        pytest.param("access_denied", SIGN_IN, SignInProblem.NO_CONSENT, id="declined"),
        pytest.param(
            "access_denied", FROM_NHS_APP, SignInProblem.NO_CONSENT_NHS_APP, id="declined-nhs-app"
        ),
        pytest.param(
            "access_denied", STEP_UP, SignInProblem.STEP_UP_INCOMPLETE, id="step-up-stopped"
        ),
        pytest.param("access_denied", None, SignInProblem.NO_CONSENT, id="declined-unknown-flow"),
        pytest.param("server_error", SIGN_IN, SignInProblem.NHS_LOGIN_UNAVAILABLE, id="server"),
        pytest.param(
            "temporarily_unavailable", SIGN_IN, SignInProblem.NHS_LOGIN_UNAVAILABLE, id="busy"
        ),
        pytest.param("invalid_request", SIGN_IN, SignInProblem.SETUP, id="invalid-request"),
        pytest.param("unauthorized_client", SIGN_IN, SignInProblem.SETUP, id="unauthorized"),
        pytest.param("unsupported_response_type", None, SignInProblem.SETUP, id="response-type"),
        pytest.param("invalid_scope", SIGN_IN, SignInProblem.SETUP, id="invalid-scope"),
        pytest.param("made_up_error", SIGN_IN, SignInProblem.SESSION, id="unknown-code"),
        pytest.param("", None, SignInProblem.SESSION, id="empty-code"),
    ],
)
def test_each_nhs_login_error_code_has_its_page(
    error: str, flow: SignInFlow | None, problem: SignInProblem
) -> None:
    assert sign_in_failure_for(error, flow=flow).problem is problem


@pytest.mark.parametrize("error", sorted(INTERACTION_ERRORS))
def test_an_error_asking_for_interaction_asks_the_patient_to_sign_in_again(error: str) -> None:
    """What is left of a prompt=none flow's retry, or any other flow's answer."""
    assert sign_in_failure_for(error, flow=SIGN_IN).problem is SignInProblem.SIGN_IN_AGAIN


@pytest.mark.parametrize(
    ("failure", "flow", "problem"),
    [
        pytest.param(
            ProviderUnavailableError("timed out"),
            SIGN_IN,
            SignInProblem.NHS_LOGIN_UNAVAILABLE,
            id="unavailable",
        ),
        pytest.param(
            ProviderResponseInvalidError("not JSON"),
            SIGN_IN,
            SignInProblem.NHS_LOGIN_UNAVAILABLE,
            id="nonsense-answer",
        ),
        pytest.param(
            UserinfoRefusedError("invalid_token", 401),
            SIGN_IN,
            SignInProblem.NOT_CONFIRMED,
            id="userinfo-refused",
        ),
        pytest.param(
            UserinfoRefusedError("invalid_grant", 400),
            SIGN_IN,
            SignInProblem.NOT_CONFIRMED,
            id="userinfo-refused-whatever-its-code",
        ),
        pytest.param(
            ProviderRefusedError("invalid_grant", 400),
            SIGN_IN,
            SignInProblem.SESSION,
            id="code-spent",
        ),
        pytest.param(
            ProviderRefusedError("invalid_client", 401),
            SIGN_IN,
            SignInProblem.SETUP,
            id="client-refused",
        ),
        pytest.param(
            VotNotRequestedError("vot not requested"),
            SIGN_IN,
            SignInProblem.NOT_CONFIRMED,
            id="lower-level",
        ),
        pytest.param(
            VotNotRequestedError("vot not requested"),
            STEP_UP,
            SignInProblem.STEP_UP_INCOMPLETE,
            id="lower-level-after-step-up",
        ),
        pytest.param(
            IdTokenInvalidError("bad signature"), STEP_UP, SignInProblem.NOT_CONFIRMED, id="id"
        ),
        pytest.param(
            AccessTokenInvalidError("expired"), SIGN_IN, SignInProblem.NOT_CONFIRMED, id="access"
        ),
        pytest.param(
            UserinfoSubjectMismatchError("sub differs"),
            SIGN_IN,
            SignInProblem.NOT_CONFIRMED,
            id="userinfo-about-someone-else",
        ),
        pytest.param(
            ImproperlyConfigured("no issuer"), SIGN_IN, SignInProblem.SETUP, id="not-configured"
        ),
    ],
)
def test_each_exception_the_sign_in_meets_has_its_page(
    failure: Exception, flow: SignInFlow, problem: SignInProblem
) -> None:
    assert isinstance(failure, SIGN_IN_EXCEPTIONS)
    assert sign_in_failure_for(failure, flow=flow).problem is problem


def test_an_exception_outside_the_table_is_not_caught() -> None:
    """A bug elsewhere is a server error with its traceback, not a made-up sign-in problem."""
    assert not isinstance(KeyError("sub"), SIGN_IN_EXCEPTIONS)


def _wider_or_equal(earlier: SignInFailure, later: SignInFailure) -> bool:
    """Whether ``earlier`` applies to everything ``later`` applies to."""
    if isinstance(later.cause, str):
        same_cause = earlier.cause == later.cause
    else:
        same_cause = isinstance(earlier.cause, type) and issubclass(later.cause, earlier.cause)
    return (
        same_cause
        and earlier.code in ("", later.code)
        and (earlier.when is None or earlier.when is later.when)
    )


def test_no_row_is_hidden_behind_an_earlier_one() -> None:
    """The first row that applies wins: a row after a wider one would never be used."""
    hidden = [
        (earlier, later)
        for index, later in enumerate(SIGN_IN_FAILURES)
        for earlier in SIGN_IN_FAILURES[:index]
        if _wider_or_equal(earlier, later)
    ]

    assert hidden == []


def test_every_cause_has_a_row_for_any_flow_and_any_code() -> None:
    """So that a caught exception, or a known code, never falls through to the page for an
    answer the portal does not recognise."""
    causes = {row.cause for row in SIGN_IN_FAILURES}
    unconditional = {row.cause for row in SIGN_IN_FAILURES if not row.code and row.when is None}

    assert causes == unconditional


def test_only_exceptions_have_log_lines() -> None:
    """An error code is logged once, by the callback, before its row is looked up."""
    assert all(not isinstance(row.cause, str) for row in SIGN_IN_FAILURES if row.log)


def test_every_page_has_its_wording_and_all_wording_a_page() -> None:
    assert {problem.key for problem in SignInProblem} == set(SIGN_IN_PROBLEM_WORDING)


@pytest.mark.parametrize(
    ("failure", "flow", "line"),
    [
        pytest.param(
            VotNotRequestedError("vot P5.Cp.Cd was not requested"),
            STEP_UP,
            "NHS login sign-in refused: vot P5.Cp.Cd was not requested",
            id="level",
        ),
        pytest.param(
            IdTokenInvalidError("iss is not NHS login's"),
            SIGN_IN,
            "NHS login sign-in refused (IdTokenInvalidError): iss is not NHS login's",
            id="id-token",
        ),
        pytest.param(
            UserinfoSubjectMismatchError("userinfo sub differs from the ID token's"),
            SIGN_IN,
            "NHS login sign-in refused (UserinfoSubjectMismatchError): userinfo sub differs "
            "from the ID token's",
            id="userinfo",
        ),
    ],
)
def test_a_refusal_logs_the_rule_broken_as_a_warning(
    failure: Exception, flow: SignInFlow, line: str, caplog: pytest.LogCaptureFixture
) -> None:
    request = RequestFactory().get("/auth/nhs-login/callback/")
    request.user = AnonymousUser()

    response = sign_in_failure_page(request, failure, flow=flow)

    assert response.status_code == sign_in_failure_for(failure, flow=flow).problem.status
    [record] = [r for r in caplog.records if r.name == "accounts.views.problems"]
    assert (record.levelno, record.getMessage(), record.exc_info) == (logging.WARNING, line, None)


def test_a_setting_missing_logs_an_error_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    request = RequestFactory().get("/auth/nhs-login/start/")
    request.user = AnonymousUser()
    missing = ImproperlyConfigured("NHS_LOGIN_ISSUER is not set")
    try:
        raise missing
    except ImproperlyConfigured:
        response = sign_in_failure_page(request, missing, flow=SIGN_IN)

    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.name == "accounts.views.problems"]
    assert (record.levelno, record.getMessage()) == (logging.ERROR, "NHS login is not configured")
    assert record.exc_info is not None
    assert record.exc_info[1] is missing


@pytest.mark.parametrize("error", ["access_denied", "server_error", "made_up_error"])
def test_an_error_code_is_not_logged_again_by_its_page(
    error: str, caplog: pytest.LogCaptureFixture
) -> None:
    request = RequestFactory().get("/auth/nhs-login/callback/")
    request.user = AnonymousUser()

    sign_in_failure_page(request, error, flow=SIGN_IN)

    assert [r for r in caplog.records if r.name == "accounts.views.problems"] == []
