"""Sign-in with NHS login, the patient's home page, session limits and sign-out."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.backends import UserinfoSubjectMismatchError
from accounts.decorators import signed_in_patient
from accounts.id_token import TokenInvalidError, VotNotRequestedError
from accounts.middleware import seconds_until_idle_timeout, session_activity_exempt, session_start
from accounts.nhs_login_client import (
    ProviderError,
    ProviderRefusedError,
    ProviderUnavailableError,
    UserinfoRefusedError,
    provider_metadata,
    redirect_uri,
)
from accounts.presenters import PatientPresenter
from accounts.session_user import session_patient_store
from accounts.sign_in_flow import SignInFlow, p9_vectors, sign_in_flow_remember, sign_in_flow_take
from core.rate_limit import RateLimitUnavailableError, rate_limit_retry_after

logger = logging.getLogger(__name__)


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


def _problem_for_error(error: str, flow: SignInFlow | None) -> str:
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
    return PROBLEM_FOR_ERROR.get(error, "setup")


def _forget_state(request: HttpRequest, state: str) -> None:
    """A state is good for one answer, whatever the answer was."""
    states = request.session.get("oidc_states", {})
    if state in states:
        del states[state]
        request.session.modified = True


def _sign_in_rate_limited(request: HttpRequest) -> HttpResponse | None:
    """Each address may start a limited number of sign-ins a minute: every start writes state
    to the session store, and a flood of them should not."""
    address = request.META.get("REMOTE_ADDR", "unknown")
    try:
        retry_after = rate_limit_retry_after(
            f"sign-in:{address}", limit=settings.SIGN_IN_RATE_LIMIT_PER_MINUTE
        )
    except RateLimitUnavailableError:
        return sign_in_problem(request, "nhs_login_unavailable")
    if retry_after is None:
        return None
    logger.warning("Sign-in starts rate limited for one address")
    response = sign_in_problem(request, "too_many_attempts")
    response["Retry-After"] = str(retry_after)
    return response


@method_decorator(login_not_required, name="dispatch")
class NhsLoginStartView(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """The NHS login button: sends the browser to NHS login's authorization endpoint.

    ``?step_up=1`` asks for the P9 vectors only (a P9-only page sent the patient here);
    ``?next=`` is where to go after signing in.
    """

    http_method_names = ("post",)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # endpoints come from discovery, not fixed settings
        self.vtr: tuple[str, ...] = ()

    def post(self, request: HttpRequest) -> HttpResponse:
        refusal = _sign_in_rate_limited(request)
        if refusal is not None:
            return refusal
        step_up = request.GET.get("step_up") == "1"
        self.vtr = p9_vectors() if step_up else tuple(settings.NHS_LOGIN_VTR)
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_metadata().authorization_endpoint
        except ProviderError:
            return sign_in_problem(request, "nhs_login_unavailable")
        except ImproperlyConfigured:
            logger.exception("NHS login is not configured")
            return sign_in_problem(request, "setup")
        self.OIDC_RP_CLIENT_ID = settings.NHS_LOGIN_CLIENT_ID
        response: HttpResponse = self.get(request)
        state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
        sign_in_flow_remember(
            request.session,
            state=state,
            flow=SignInFlow(vtr=self.vtr, step_up=step_up, started_at=time.time()),
        )
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = {
            "vtr": json.dumps(list(self.vtr), separators=(",", ":")),
            "redirect_uri": redirect_uri(),
        }
        if settings.NHS_LOGIN_PROMPT:
            params["prompt"] = settings.NHS_LOGIN_PROMPT
        return params


@method_decorator(login_not_required, name="dispatch")
class NhsLoginCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where NHS login sends the browser back (shared/nhs-login.md; OIDC Core 3.1.2.5)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        flow = sign_in_flow_take(request.session, state=state) if state else None
        error = request.GET.get("error")
        if error:
            _forget_state(request, state)
            logger.info("NHS login returned the error %s", error[:64])
            return sign_in_problem(request, _problem_for_error(error, flow))
        if flow is None or not request.GET.get("code"):
            return sign_in_problem(request, "session")
        if state not in request.session.get("oidc_states", {}):
            return sign_in_problem(request, "session")
        if flow.expired:
            _forget_state(request, state)
            return sign_in_problem(request, "expired")
        request.nhs_login_flow = flow  # type: ignore[attr-defined]
        try:
            response: HttpResponse = super().get(request)
        except ProviderUnavailableError:
            return sign_in_problem(request, "nhs_login_unavailable")
        except UserinfoRefusedError:
            # The provider refused the access token it had just issued (logged with its code
            # by the client): nothing was confirmed, and starting again gets a new one.
            return sign_in_problem(request, "not_confirmed")
        except ProviderRefusedError as refused:
            # invalid_grant: the code was used already or expired; starting again fixes it.
            return sign_in_problem(
                request, "session" if refused.error == "invalid_grant" else "setup"
            )
        except ProviderError:
            return sign_in_problem(request, "nhs_login_unavailable")
        except VotNotRequestedError as refusal:
            logger.warning("NHS login sign-in refused: %s", refusal)
            # After a step-up, a lower level means identity verification was not completed:
            # say so, rather than offering the same step-up again and again.
            return sign_in_problem(
                request, "step_up_incomplete" if flow.step_up else "not_confirmed"
            )
        except (TokenInvalidError, UserinfoSubjectMismatchError) as refusal:
            # The reason names the rule broken, never the token.
            logger.warning("NHS login sign-in refused (%s): %s", type(refusal).__name__, refusal)
            return sign_in_problem(request, "not_confirmed")
        except ImproperlyConfigured:
            logger.exception("NHS login is not configured")
            return sign_in_problem(request, "setup")
        return response

    def login_success(self) -> HttpResponse:
        # Always log in, even when the same patient steps up: a new identity level gets a new
        # session key (the parent skips login for the same user).
        auth.login(self.request, self.user, backend="accounts.backends.NhsLoginBackend")
        session_start(self.request)
        session_patient_store(self.request.session, self.user)
        return HttpResponseRedirect(self.success_url)

    def login_failure(self) -> HttpResponse:
        return sign_in_problem(self.request, "not_confirmed")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The signed-in patient's details, as NHS login gave them at this sign-in."""
    details = PatientPresenter(signed_in_patient(request))
    return render(request, "accounts/home.jinja", {"details": details})


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("accounts:home")


@require_GET
def prove_who_you_are(request: HttpRequest) -> HttpResponse:
    """Explains the step-up before sending a P5 patient to NHS login for P9."""
    signed_in_patient(request)
    return render(
        request,
        "accounts/prove_who_you_are.jinja",
        {"next": _safe_next(request, request.GET.get("next"))},
    )


@require_GET
def sign_out_confirm(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/sign_out.jinja")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return HttpResponseRedirect(f"{reverse('accounts:signed_out')}?reason=signed_out")


SIGNED_OUT_REASONS = {
    "signed_out": "You have signed out",
    "inactive": "You have been signed out because you were inactive",
    "expired": "You have been signed out for your security",
}


@login_not_required
@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    reason = request.GET.get("reason", "signed_out")
    title = SIGNED_OUT_REASONS.get(reason, SIGNED_OUT_REASONS["signed_out"])
    return render(request, "accounts/signed_out.jinja", {"title": title, "reason": reason})


@require_GET
@session_activity_exempt
def session_expiring(request: HttpRequest) -> HttpResponse:
    """Warns before the inactivity limit. Visiting it is not activity, so it cannot keep the
    session alive on its own; only "Stay signed in" does."""
    remaining = seconds_until_idle_timeout(request)
    return render(
        request,
        "accounts/session_expiring.jinja",
        {
            "next": _safe_next(request, request.GET.get("next")),
            "minutes": max(1, round(remaining / 60)),
        },
    )


@require_POST
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """Posting here is activity: the middleware has already reset the inactivity clock."""
    return HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
