"""The authorization endpoint and the pages behind it: choosing a test user or signing in with
a password, proving who you are (a step-up), and the consent screen."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from nhs_login_simulator import vectors
from nhs_login_simulator.authorization import (
    AUTHORIZATION_ERRORS,
    AuthorizationError,
    AuthorizationRequest,
    UntrustedRedirectError,
    authorization_request_parse,
)
from nhs_login_simulator.consent import consent_record
from nhs_login_simulator.faults import Fault
from nhs_login_simulator.models import Client
from nhs_login_simulator.sso import AssertedIdentityError, asserted_login_identity_verify
from nhs_login_simulator.users import (
    simulated_user_authenticate,
    simulated_user_get,
)
from nhs_login_simulator.views.journey import (
    EXPIRED,
    Pending,
    authorization_error_page,
    complete,
    consent_or_complete,
    consent_page,
    page,
    pending_or_expired,
    remember,
    session_user,
    sign_in_page,
    signed_in,
    signed_request,
)


def _asserted_pending(parameters: QueryDict, authorization: AuthorizationRequest) -> Pending | None:
    """The user a relying party asserts (``asserted_login_identity``, NHS login's single sign
    on), when it names a user the simulator has."""
    token = parameters.get("asserted_login_identity")
    if not token:
        return None
    try:
        asserted = asserted_login_identity_verify(
            token=token,
            requesting=Client.objects.get(client_id=authorization.client_id),
        )
    except AssertedIdentityError as error:
        raise authorization.error("invalid_request", str(error)) from error
    if simulated_user_get(asserted.user_id) is None:
        return None
    return Pending(
        asserted.user_id, asserted.identity_proofing_level, int(asserted.auth_time.timestamp())
    )


def _from_the_session(request: HttpRequest, authorization: AuthorizationRequest) -> HttpResponse:
    """Signed in here already, at a level the request accepts: on to consent. Otherwise the
    sign-in page, or, for ``prompt=none``, the error NHS login gives."""
    session = session_user(request)
    if session is None:
        if authorization.prompt == "none":
            raise authorization.error("sso_login_required", "The user is not signed in")
        return sign_in_page(request, authorization)
    values, user = session
    if not vectors.vot_choose(authorization.vtr, values["level"], user.methods):
        if authorization.prompt == "none":
            raise authorization.error("interaction_required", "The user must prove who they are")
        return sign_in_page(request, authorization)
    return consent_or_complete(
        request, authorization, Pending(user.id, values["level"], values["auth_time"])
    )


@login_not_required
@csrf_exempt  # GET or POST from the client's page, as NHS login accepts both
@require_http_methods(["GET", "POST"])
@never_cache
def authorize(request: HttpRequest) -> HttpResponse:
    """The authorization endpoint (Federation specification 3.4; ``prompt`` and
    ``asserted_login_identity`` as NHS login's "Single Sign On" page describes them)."""
    parameters = request.POST if request.method == "POST" else request.GET
    try:
        authorization = authorization_request_parse(parameters)
        asserted = _asserted_pending(parameters, authorization)
        if authorization.prompt == "login":
            return sign_in_page(request, authorization)
        if asserted is not None:
            # Signed in without a sign-in page; step-up and consent still apply.
            return signed_in(request, authorization, asserted)
        return _from_the_session(request, authorization)
    except UntrustedRedirectError as error:
        return authorization_error_page(request, str(error))
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def sign_in_test_user(request: HttpRequest) -> HttpResponse:
    """The tester picked a test user and an outcome on the sign-in page. An error outcome
    comes back bare, as NHS login's errors do: a decline of consent is made on the consent
    screen."""
    authorization = signed_request(request.POST)
    if authorization is None:
        return authorization_error_page(request, EXPIRED)
    user = simulated_user_get(request.POST.get("user", ""))
    outcome = request.POST.get("outcome", "success")
    fault = request.POST.get("fault", "")
    if user is None or fault not in set(Fault) or outcome not in {"success", *AUTHORIZATION_ERRORS}:
        return sign_in_page(request, authorization, status=400)
    if outcome != "success":
        return HttpResponseRedirect(authorization.error(outcome).location)
    try:
        return signed_in(
            request,
            authorization,
            Pending(user.id, user.identity_proofing_level, int(time.time()), fault),
        )
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def sign_in_password(request: HttpRequest) -> HttpResponse:
    """The tester signed in with a test user's email address and password."""
    authorization = signed_request(request.POST)
    if authorization is None:
        return authorization_error_page(request, EXPIRED)
    user = simulated_user_authenticate(
        request.POST.get("email", ""), request.POST.get("password", "")
    )
    if user is None:
        return sign_in_page(request, authorization, status=400, password_error=True)
    try:
        return signed_in(
            request, authorization, Pending(user.id, user.identity_proofing_level, int(time.time()))
        )
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def step_up_confirm(request: HttpRequest) -> HttpResponse:
    """The user finished "prove who you are" and now holds the higher proofing level; a new
    level needs their consent again."""
    found = pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    try:
        return consent_or_complete(request, *found)
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def consent_share(request: HttpRequest) -> HttpResponse:
    """The user agreed to share their information: remember it, and finish."""
    found = pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    authorization, signed_in = found
    consent_record(
        user_id=signed_in.user_id,
        client=Client.objects.get(client_id=authorization.client_id),
        identity_proofing_level=signed_in.level,
        scopes=authorization.scope,
    )
    try:
        return complete(request, authorization, signed_in)
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def consent_decline(request: HttpRequest) -> HttpResponse:
    """ "Do not share": the confirmation screen, from which the user can go back and amend
    their decision (NHS login's "No-consent flow")."""
    found = pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    authorization, signed_in = found
    return page(
        request,
        "nhs_login_simulator/consent_decline.jinja",
        {
            "client": Client.objects.get(client_id=authorization.client_id),
            "signed_request": authorization.sign(),
            "pending": signed_in.sign(),
        },
        redirects_to=authorization.redirect_uri,
    )


@login_not_required
@require_POST
def consent_review(request: HttpRequest) -> HttpResponse:
    """Back from the confirmation screen to the consent screen, to change one's mind."""
    found = pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    return consent_page(request, *found)


@login_not_required
@require_POST
def consent_decline_confirm(request: HttpRequest) -> HttpResponse:
    """The user still does not agree: back to the client "without passing an ID token or
    authorisation code", as ``error=access_denied`` and the state, nothing more."""
    found = pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    authorization, signed_in = found
    response = HttpResponseRedirect(authorization.error("access_denied").location)
    return remember(response, request, signed_in, authorization.client_id)
