"""The sign-in journey the browser goes through at the simulator, as at NHS login: its own signed
cookie (never the portal's session), the pending request carried between its pages, and
the pages themselves. The views that move through it are in ``authorize`` and
``account_settings``."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.core import signing
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import render

from nhs_login_simulator import vectors
from nhs_login_simulator.authorization import (
    AUTHORIZATION_ERRORS,
    REQUEST_MAX_AGE,
    AuthorizationRequest,
    authorization_code_issue,
)
from nhs_login_simulator.claims import consent_items
from nhs_login_simulator.consent import consent_needed
from nhs_login_simulator.faults import FAULT_DESCRIPTIONS
from nhs_login_simulator.models import Client
from nhs_login_simulator.users import (
    SimulatedUser,
    simulated_user_get,
    simulated_users,
)

SESSION_COOKIE = "nhs_login_simulator_session"


_SESSION_SALT = "nhs-login-simulator.session"


_PENDING_SALT = "nhs-login-simulator.pending"


_SESSION_MAX_AGE = 12 * 60 * 60


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    redirects_to: str = "",
) -> HttpResponse:
    """Render one of the simulator's pages with a Content-Security-Policy of its own.

    Its forms answer with a redirect to the client's redirect URI, and browsers apply the
    page's form-action to that redirect too, so it names the client's origin, or a client on
    another origin (as every real one is) would never be reached.
    """
    nonce = secrets.token_urlsafe(16)
    response = render(request, template, {**context, "csp_nonce": nonce}, status=status)
    form_action = " ".join(["'self'", *([origin(redirects_to)] if redirects_to else [])])
    response["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self' https://assets.nhs.uk",
            "connect-src 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )
    return response


def authorization_error_page(request: HttpRequest, message: str) -> HttpResponse:
    return page(request, "nhs_login_simulator/error.jinja", {"message": message}, status=400)


@dataclass(frozen=True)
class Pending:
    """Who has signed in, at which proofing level, when, and with which fault: carried signed
    through the step-up and consent pages without trusting the browser."""

    user_id: str
    level: str
    auth_time: int
    fault: str = ""

    def sign(self) -> str:
        return signing.dumps(asdict(self), salt=_PENDING_SALT)

    @classmethod
    def unsign(cls, signed: str) -> Pending:
        values: dict[str, Any] = signing.loads(signed, salt=_PENDING_SALT, max_age=REQUEST_MAX_AGE)
        return cls(values["user_id"], values["level"], values["auth_time"], values["fault"])


def _session_read(request: HttpRequest) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] = signing.loads(
            request.COOKIES.get(SESSION_COOKIE, ""), salt=_SESSION_SALT, max_age=_SESSION_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return value


def session_user(request: HttpRequest) -> tuple[dict[str, Any], SimulatedUser] | None:
    session = _session_read(request)
    user = simulated_user_get(session["user_id"]) if session else None
    return (session, user) if session and user else None


def remember(
    response: HttpResponse, request: HttpRequest, signed_in: Pending, client_id: str
) -> HttpResponse:
    """The user has signed in to NHS login: the session outlives this request, whatever they
    decide next (decline, cancel), as NHS login's own does."""
    response.set_cookie(
        SESSION_COOKIE,
        signing.dumps(
            {
                "user_id": signed_in.user_id,
                "level": signed_in.level,
                "auth_time": signed_in.auth_time,
                "client_id": client_id,
            },
            salt=_SESSION_SALT,
        ),
        max_age=_SESSION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def complete(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    """Issue the code and send the browser back to the client with it."""
    user = simulated_user_get(signed_in.user_id)
    vot = (
        vectors.vot_choose(authorization.vtr, signed_in.level, user.methods)
        if user is not None
        else None
    )
    if vot is None:
        raise authorization.error("access_denied", "The user cannot meet the requested vectors")
    location = authorization_code_issue(
        request=authorization,
        user_id=signed_in.user_id,
        vot=vot,
        identity_proofing_level=signed_in.level,
        auth_time=datetime.fromtimestamp(signed_in.auth_time, tz=UTC),
        fault=signed_in.fault,
    )
    return remember(HttpResponseRedirect(location), request, signed_in, authorization.client_id)


def consent_page(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    client = Client.objects.get(client_id=authorization.client_id)
    user = simulated_user_get(signed_in.user_id)
    assert user is not None
    response = page(
        request,
        "nhs_login_simulator/consent.jinja",
        {
            "client": client,
            "user": user,
            "level": signed_in.level,
            "items": consent_items(
                user=user,
                scopes=authorization.scope,
                identity_proofing_level=signed_in.level,
                im1_enabled=client.im1_enabled,
            ),
            "signed_request": authorization.sign(),
            "pending": signed_in.sign(),
        },
        redirects_to=authorization.redirect_uri,
    )
    return remember(response, request, signed_in, authorization.client_id)


def consent_or_complete(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    """The user is signed in at a level the client accepts: ask them to share their
    information if NHS login would (first sign-in, new level, new scopes), else finish."""
    client = Client.objects.get(client_id=authorization.client_id)
    if consent_needed(
        user_id=signed_in.user_id,
        client=client,
        identity_proofing_level=signed_in.level,
        scopes=authorization.scope,
    ):
        return consent_page(request, authorization, signed_in)
    return complete(request, authorization, signed_in)


def signed_in(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    """Continue, or first take the user through identity verification when the client asked
    for a higher proofing level than they have (NHS login's "Step up from P5 to P9")."""
    user = simulated_user_get(signed_in.user_id)
    assert user is not None
    if vectors.vot_choose(authorization.vtr, signed_in.level, user.methods):
        return consent_or_complete(request, authorization, signed_in)
    target = vectors.step_up_level(authorization.vtr, user.methods)
    if target is None:
        raise authorization.error("access_denied", "The user cannot meet the requested vectors")
    response = page(
        request,
        "nhs_login_simulator/step_up.jinja",
        {
            "user": user,
            "target_level": target,
            "signed_request": authorization.sign(),
            "pending": Pending(
                signed_in.user_id, target, signed_in.auth_time, signed_in.fault
            ).sign(),
            # Cancelling identity verification comes back as a bare access_denied.
            "cancel_url": authorization.error("access_denied").location,
        },
        redirects_to=authorization.redirect_uri,
    )
    return remember(response, request, signed_in, authorization.client_id)


def sign_in_page(
    request: HttpRequest,
    authorization: AuthorizationRequest,
    status: int = 200,
    *,
    password_error: bool = False,
) -> HttpResponse:
    client = Client.objects.get(client_id=authorization.client_id)
    users = [
        {
            "user": user,
            "vectors": user.achievable_vectors(),
            "meets_request": vectors.vot_choose(
                authorization.vtr, user.identity_proofing_level, user.methods
            ),
        }
        for user in simulated_users()
    ]
    return page(
        request,
        "nhs_login_simulator/sign_in.jinja",
        {
            "client": client,
            "authorization": authorization,
            "signed_request": authorization.sign(),
            "users": users,
            "outcomes": AUTHORIZATION_ERRORS,
            "faults": FAULT_DESCRIPTIONS,
            "password_error": password_error,
            "email": request.POST.get("email", ""),
        },
        status=status,
        redirects_to=authorization.redirect_uri,
    )


def signed_request(form: QueryDict) -> AuthorizationRequest | None:
    try:
        return AuthorizationRequest.unsign(form.get("request", ""))
    except signing.BadSignature:
        return None


def _signed_pending(form: QueryDict) -> Pending | None:
    try:
        pending = Pending.unsign(form.get("pending", ""))
    except signing.BadSignature:
        return None
    return pending if simulated_user_get(pending.user_id) is not None else None


EXPIRED = "This sign-in request has expired or was changed. Go back to the service and start again."


def pending_or_expired(
    request: HttpRequest,
) -> tuple[AuthorizationRequest, Pending] | HttpResponse:
    authorization = signed_request(request.POST)
    pending = _signed_pending(request.POST)
    if authorization is None or pending is None:
        return authorization_error_page(request, EXPIRED)
    return authorization, pending
