"""Signing in with NHS login: the button, the automatic sign-in at the end of a session, the
NHS App's jump-off, and the callback NHS login sends the browser back to."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.backends import sign_in_flow_of
from accounts.decorators import patient_of
from accounts.middleware import (
    session_activity_exempt,
    session_signed_in_at_kept,
    session_start,
    session_timeout_exempt,
)
from accounts.nhs_login_client import (
    ProviderError,
    provider_call_budget,
    provider_metadata,
    redirect_uri,
)
from accounts.online_services import patient_online_services_check
from accounts.session_user import session_patient_store
from accounts.sign_in_flow import (
    INTERACTION_ERRORS,
    PROMPT_INTERACTIVE,
    PROMPT_LOGIN,
    PROMPT_NONE,
    SignInFlow,
    asserted_login_identity_accept,
    p9_vectors,
    sign_in_flow_completed,
    sign_in_flow_completed_next,
    sign_in_flow_remember,
    sign_in_flow_take,
    sign_in_next_or_home,
    sign_in_next_safe,
)
from accounts.views.pages import online_services_problem_page
from accounts.views.problems import (
    SIGN_IN_EXCEPTIONS,
    SignInProblem,
    sign_in_failure_page,
    sign_in_problem,
)
from core.client_address import client_rate_limit_key
from core.form_posts import require_post_from
from core.rate_limit import RateLimitUnavailableError, rate_limit_retry_after

logger = logging.getLogger(__name__)


def _forget_state(request: HttpRequest, state: str) -> None:
    """A state is good for one answer, whatever the answer was: its nonce and PKCE verifier
    go with it."""
    states = request.session.get("oidc_states", {})
    if state in states:
        del states[state]
        request.session.modified = True


def _sign_in_rate_limited(request: HttpRequest) -> HttpResponse | None:
    """Each client address may start a limited number of sign-ins a minute: every start writes
    state to the session store, and a flood of them should not. The address is the client's as
    the trusted proxies report it (core/client_address.py), never the load balancer's, so one
    noisy address is turned away and nobody else is."""
    address = client_rate_limit_key(request)
    try:
        retry_after = rate_limit_retry_after(
            f"sign-in:{address}", limit=settings.SIGN_IN_RATE_LIMIT_PER_MINUTE
        )
    except RateLimitUnavailableError:
        return sign_in_problem(request, SignInProblem.NHS_LOGIN_UNAVAILABLE)
    if retry_after is None:
        return None
    logger.warning("Sign-in starts rate limited for one address")
    response = sign_in_problem(request, SignInProblem.TOO_MANY_ATTEMPTS)
    response["Retry-After"] = str(retry_after)
    return response


class _AuthorizationRequest(OIDCAuthenticationRequestView):  # type: ignore[misc]
    """mozilla-django-oidc's authorization request (state, nonce, the S256 PKCE challenge of a
    verifier it keeps with them, the redirect) for one flow, with NHS login's parameters
    (Federation specification 3.4.1): its ``vtr`` and ``prompt``, the ``PORTAL_BASE_URL``
    redirect URI and, from the NHS App, ``asserted_login_identity``."""

    def __init__(
        self, *, flow: SignInFlow, authorization_endpoint: str, asserted_login_identity: str
    ) -> None:
        View.__init__(self)  # endpoints come from discovery, not fixed settings
        self.flow = flow
        self.asserted_login_identity = asserted_login_identity
        self.OIDC_OP_AUTH_ENDPOINT = authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.NHS_LOGIN_CLIENT_ID

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = {
            "vtr": json.dumps(list(self.flow.vtr), separators=(",", ":")),
            "redirect_uri": redirect_uri(),
        }
        if self.flow.prompt:
            params["prompt"] = self.flow.prompt
        if self.asserted_login_identity:
            params["asserted_login_identity"] = self.asserted_login_identity
        return params


def _sign_in_start(
    request: HttpRequest, flow: SignInFlow, *, asserted_login_identity: str = ""
) -> HttpResponse:
    """Send the browser to NHS login's authorization endpoint for this flow, and remember it.

    Every way in (the button, the step-up, the automatic sign-in at the end of a session, the
    NHS App's jump-off, the retry after a prompt=none flow) comes through here, so each is rate
    limited and each sends a PKCE challenge of its own (RFC 9700, 2.1.1: the verifier is
    specific to one sign-in and kept in this browser's session only).
    """
    refusal = _sign_in_rate_limited(request)
    if refusal is not None:
        return refusal
    try:
        authorization_endpoint = provider_metadata().authorization_endpoint
    except (ProviderError, ImproperlyConfigured) as failure:  # discovery, or the settings
        return sign_in_failure_page(request, failure, flow=flow)
    response: HttpResponse = _AuthorizationRequest(
        flow=flow,
        authorization_endpoint=authorization_endpoint,
        asserted_login_identity=asserted_login_identity,
    ).get(request)
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    sign_in_flow_remember(request.session, state=state, flow=flow)
    return response


def _sign_in_flow(
    request: HttpRequest, *, prompt: str, step_up: bool = False, from_nhs_app: bool = False
) -> SignInFlow:
    return SignInFlow(
        vtr=p9_vectors() if step_up else tuple(settings.NHS_LOGIN_VTR),
        step_up=step_up,
        started_at=time.time(),
        prompt=prompt,
        from_nhs_app=from_nhs_app,
        next_url=sign_in_next_safe(request, request.GET.get("next")),
    )


@method_decorator(login_not_required, name="dispatch")
@method_decorator(require_post_from("core:start"), name="dispatch")
class NhsLoginStartView(View):
    """The NHS login button: sends the browser to NHS login's authorization endpoint with
    prompt "" (NHS login's own session signs the patient in if it has one).

    ``?step_up=1`` asks for the P9 vectors only (a P9-only page sent the patient here), unless
    this service could not find the patient's GP record even at P9: then the patient is told
    why, and not sent to prove who they are (accounts/online_services.py);
    ``?next=`` is where to go after signing in. A GET (Back, a bookmark) goes to the start page,
    where the button is (core/form_posts.py).
    """

    http_method_names = ("post",)

    def post(self, request: HttpRequest) -> HttpResponse:
        step_up = request.GET.get("step_up") == "1"
        patient = patient_of(request) if step_up and request.user.is_authenticated else None
        if patient is not None:
            check = patient_online_services_check(patient=patient)
            if check.problem is not None:
                return online_services_problem_page(request, patient, check)
        return _sign_in_start(
            request, _sign_in_flow(request, prompt=PROMPT_INTERACTIVE, step_up=step_up)
        )


@login_not_required
@session_activity_exempt
@require_GET
def nhs_login_sign_in_again(request: HttpRequest) -> HttpResponse:
    """The automatic sign-in at the end of a session (NHS login's "Session management": a full
    authentication, "automatically ... without user interaction"): straight to NHS login with
    prompt=login, back to ``?next=`` afterwards.

    The session middleware signs the patient out and redirects here; a page's timer moves the
    browser here when its time is up. A GET, so that a redirect and a timer can reach it, and
    public, as the patient has just been signed out. A session still alive (another tab kept it
    so) is not signed out by a GET: the patient simply goes on to the page.
    """
    if request.user.is_authenticated:
        return HttpResponseRedirect(sign_in_next_or_home(request, request.GET.get("next")))
    return _sign_in_start(request, _sign_in_flow(request, prompt=PROMPT_LOGIN))


@login_not_required
@session_timeout_exempt
@require_GET
def nhs_app_jump_off(request: HttpRequest) -> HttpResponse:
    """Where the NHS App sends a patient into the portal (NHS login's "Single sign-on (SSO)").

    Starts a flow with prompt=none, passing the NHS App's ``asserted_login_identity`` (or its
    camelCase ``assertedLoginIdentity``) to NHS login unchanged, so that the patient is signed in
    without a sign-in page; if NHS login cannot do that it answers with an error and the
    callback asks once more interactively. NHS login validates the assertion; the portal only
    checks its shape, and never logs or keeps it. A session here that has timed out does not
    stop the jump-off: the sign-in it starts replaces that session.
    """
    given = request.GET.get("asserted_login_identity") or request.GET.get(
        "assertedLoginIdentity", ""
    )
    assertion = asserted_login_identity_accept(given)
    if given and not assertion:
        logger.warning("NHS App jump-off: asserted_login_identity is not a compact JWS; not sent")
    return _sign_in_start(
        request,
        _sign_in_flow(request, prompt=PROMPT_NONE, from_nhs_app=True),
        asserted_login_identity=assertion,
    )


def _nhs_login_error_answer(
    request: HttpRequest, *, state: str, flow: SignInFlow | None, error: str
) -> HttpResponse:
    """NHS login sent back an error code rather than a code (Federation specification
    3.4.5.2): the state is spent, and the error's row of SIGN_IN_FAILURES says which page."""
    _forget_state(request, state)
    logger.info("NHS login returned the error %s", error[:64])
    if flow is not None and flow.may_retry_interactively and error in INTERACTION_ERRORS:
        # prompt=none could not sign the patient in silently: ask once more with
        # prompt "", which shows NHS login's sign-in page (so never loops).
        return _sign_in_start(
            request, replace(flow, prompt=PROMPT_INTERACTIVE, started_at=time.time())
        )
    return sign_in_failure_page(request, error, flow=flow)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(session_timeout_exempt, name="dispatch")
class NhsLoginCallbackView(OIDCAuthenticationCallbackView):  # type: ignore[misc]
    """Where NHS login sends the browser back (Federation specification 3.4.5; OIDC Core
    3.1.2.5).

    Not subject to the session limits of the session it replaces: time spent at NHS login is
    not inactivity in the portal, and the sign-in it completes sets the clocks itself.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        flow = sign_in_flow_take(request.session, state=state) if state else None
        if flow is None and request.user.is_authenticated:
            # Back onto the callback, or a replay: the state is spent, and the patient is
            # signed in already, so they go on rather than see "Your sign-in did not work".
            next_url = sign_in_flow_completed_next(request.session, state=state)
            return HttpResponseRedirect(next_url or reverse("accounts:home"))
        error = request.GET.get("error")
        if error:
            return _nhs_login_error_answer(request, state=state, flow=flow, error=error)
        if flow is None or not request.GET.get("code"):
            return sign_in_problem(request, SignInProblem.SESSION)
        if state not in request.session.get("oidc_states", {}):
            return sign_in_problem(request, SignInProblem.SESSION)
        if flow.expired:
            _forget_state(request, state)
            return sign_in_problem(request, SignInProblem.EXPIRED)
        return self._sign_in_complete(request, state=state, flow=flow)

    def _sign_in_complete(
        self, request: HttpRequest, *, state: str, flow: SignInFlow
    ) -> HttpResponse:
        """mozilla-django-oidc's callback (the token request, the tokens' checks, userinfo,
        login_success), with each way it can fail answered by its row of SIGN_IN_FAILURES."""
        request.nhs_login_flow = flow  # type: ignore[attr-defined]
        self.state = state
        try:
            # Discovery, JWKS, token and userinfo together end within the budget, below the
            # worker timeout: a slow NHS login gets the plain page, not gunicorn's.
            with provider_call_budget(seconds=settings.NHS_LOGIN_CALLBACK_BUDGET_SECONDS):
                response: HttpResponse = super().get(request)
        except SIGN_IN_EXCEPTIONS as failure:
            return sign_in_failure_page(request, failure, flow=flow)
        return response

    def login_success(self) -> HttpResponse:
        flow = sign_in_flow_of(self.request)
        # A step-up carries on the session's 12 hours; any other sign-in starts them afresh.
        signed_in_at = (
            session_signed_in_at_kept(self.request.session, user_id=self.user.pk)
            if flow.step_up
            else None
        )
        # Always log in, even when the same patient steps up: a new identity level gets a new
        # session key (the parent skips login for the same user).
        auth.login(self.request, self.user, backend="accounts.backends.NhsLoginBackend")
        session_start(self.request, signed_in_at=signed_in_at)
        session_patient_store(self.request.session, self.user)
        sign_in_flow_completed(self.request.session, state=self.state, flow=flow)
        return HttpResponseRedirect(flow.next_url or self.success_url)

    def login_failure(self) -> HttpResponse:
        return sign_in_problem(self.request, SignInProblem.NOT_CONFIRMED)
