"""The pages a sign-in that did not work ends on: plain pages, never a redirect."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.sign_in_flow import SignInFlow


@dataclass(frozen=True)
class SignInProblem:
    title: str
    paragraphs: tuple[str, ...]
    status: int
    try_again: bool = True
    template: str = "accounts/sign_in_problem.jinja"


NO_CONSENT_TITLE = "You cannot continue without sharing your information"

SIGN_IN_PROBLEMS = {
    # NHS login's no-consent error screens ("Sharing a user's NHS login information with your
    # service"): their wording and links are NHS login's, so they live in their own templates.
    "no_consent": SignInProblem(NO_CONSENT_TITLE, (), 200, template="accounts/no_consent.jinja"),
    "no_consent_nhs_app": SignInProblem(
        NO_CONSENT_TITLE, (), 200, try_again=False, template="accounts/no_consent_nhs_app.jinja"
    ),
    "sign_in_again": SignInProblem(
        "You need to sign in to NHS login again",
        ("NHS login needs you to sign in again before you can continue.",),
        200,
    ),
    "nhs_login_unavailable": SignInProblem(
        "NHS login is not working at the moment",
        (
            "We could not reach NHS login, so you cannot sign in right now.",
            "Try again later.",
        ),
        503,
    ),
    "setup": SignInProblem(
        "Sorry, there is a problem with this service",
        (
            "There is a problem with how this service connects to NHS login.",
            "Try again later. If it keeps happening, contact your GP practice.",
        ),
        500,
    ),
    "not_confirmed": SignInProblem(
        "We could not confirm your sign-in",
        (
            "NHS login's answer did not pass our security checks, so we have not signed you in.",
            "You can try again.",
        ),
        400,
    ),
    "session": SignInProblem(
        "Your sign-in did not work",
        (
            "This can happen if you used the back button, started signing in from another tab "
            "or window, or your browser blocks cookies.",
            "You can try again.",
        ),
        400,
    ),
    "expired": SignInProblem(
        "Your sign-in took too long",
        ("For your security, you need to start again.",),
        400,
    ),
    "too_many_attempts": SignInProblem(
        "Too many attempts to sign in",
        ("Wait a minute, then try again.",),
        429,
        try_again=False,
    ),
    "step_up_incomplete": SignInProblem(
        "We could not confirm your identity",
        (
            "To see that page, NHS login needs to check your identity in full, and this was "
            "not completed.",
            "You can still use the rest of this service.",
        ),
        200,
        try_again=False,
    ),
}

# NHS login's error codes (Federation specification 3.4.5.2, table 5). NHS login documents one
# access_denied, the patient declining to share their information, and sends no description.
PROBLEM_FOR_ERROR = {
    "access_denied": "no_consent",
    "login_required": "sign_in_again",
    "sso_login_required": "sign_in_again",
    "interaction_required": "sign_in_again",
    "consent_required": "sign_in_again",
    "account_selection_required": "sign_in_again",
    "server_error": "nhs_login_unavailable",
    "temporarily_unavailable": "nhs_login_unavailable",
    "invalid_request": "setup",
    "unauthorized_client": "setup",
    "unsupported_response_type": "setup",
    "invalid_scope": "setup",
}


def sign_in_problem(request: HttpRequest, problem: str) -> HttpResponse:
    """A plain page for a sign-in that did not work: never a redirect, so never a loop."""
    details = SIGN_IN_PROBLEMS[problem]
    return render(
        request,
        details.template,
        {"problem": details, "problem_code": problem},
        status=details.status,
    )


def problem_for_error(error: str, flow: SignInFlow | None) -> str:
    """The page for an error NHS login sent back to the redirect URI.

    ``access_denied`` comes without any description both when the patient declines to share
    their information and when they stop proving who they are during a step-up, so the
    portal's own record of the flow tells them apart: a step-up leaves the patient signed in
    at P5 ("Offering users medium (P5) and high (P9) verification"), a flow from the NHS App
    gets NHS login's NHS App no-consent screen ("Sharing a user's NHS login information with
    your service").
    """
    if error == "access_denied" and flow is not None:
        if flow.step_up:
            return "step_up_incomplete"
        if flow.from_nhs_app:
            return "no_consent_nhs_app"
    # A code NHS login does not send is not ours to explain: the answer is simply not one we
    # can use (400), never a server error.
    return PROBLEM_FOR_ERROR.get(error, "session")
