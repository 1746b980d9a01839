"""The simulator's endpoints. Every one is public: NHS login is not behind the portal's sign-in.

Sign-in state lives in the simulator's own signed cookie, never in the portal's session, so
signing out of the portal leaves the NHS login session as the real one would be.
"""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nhs_login_simulator import keys, vectors
from nhs_login_simulator.authorization import (
    AUTHORIZATION_ERRORS,
    AuthorizationError,
    AuthorizationRequest,
    UntrustedRedirectError,
    authorization_code_issue,
    authorization_request_parse,
)
from nhs_login_simulator.claims import SCOPE_CLAIMS, SUPPORTED_SCOPES, user_claims
from nhs_login_simulator.faults import FAULT_DESCRIPTIONS, Fault, fault_effective
from nhs_login_simulator.models import Client
from nhs_login_simulator.tokens import (
    InvalidAccessTokenError,
    TokenError,
    access_token_verify,
    client_authenticate,
    endpoint,
    grant_from_code,
    grant_from_refresh_token,
    issuer,
    token_response,
)
from nhs_login_simulator.users import (
    SimulatedUser,
    simulated_user_authenticate,
    simulated_user_get,
    simulated_users,
)

SESSION_COOKIE = "nhs_login_simulator_session"
_SESSION_SALT = "nhs-login-simulator.session"
_STEP_UP_SALT = "nhs-login-simulator.step-up"
_SESSION_MAX_AGE = 12 * 60 * 60


@login_not_required
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """OpenID Connect Discovery 1.0, section 3."""
    return JsonResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": endpoint("authorize"),
            "token_endpoint": endpoint("token"),
            "userinfo_endpoint": endpoint("userinfo"),
            "jwks_uri": endpoint(".well-known/jwks.json"),
            "scopes_supported": list(SUPPORTED_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS512"],
            "userinfo_signing_alg_values_supported": [],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS512"],
            "claims_supported": sorted(
                {claim for claims in SCOPE_CLAIMS.values() for claim in claims}
                | {"iss", "aud", "exp", "iat", "jti", "auth_time", "nonce", "vot", "vtm"}
            ),
            "prompt_values_supported": ["none", "login"],
            "vtr_supported": sorted(vectors.ALLOWED_VECTORS),
        }
    )


@login_not_required
@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse(keys.jwks())


def _session_read(request: HttpRequest) -> dict[str, Any] | None:
    try:
        value: dict[str, Any] = signing.loads(
            request.COOKIES.get(SESSION_COOKIE, ""), salt=_SESSION_SALT, max_age=_SESSION_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return value


def _complete(
    *,
    request: HttpRequest,
    authorization: AuthorizationRequest,
    user: SimulatedUser,
    identity_proofing_level: str,
    auth_time: int,
    fault: str,
) -> HttpResponse:
    """Issue the code and remember the user, as NHS login's own session does."""
    vot = vectors.vot_choose(authorization.vtr, identity_proofing_level, user.methods)
    if vot is None:
        raise authorization.error("access_denied", "The user cannot meet the requested vectors")
    location = authorization_code_issue(
        request=authorization,
        user_id=user.id,
        vot=vot,
        identity_proofing_level=identity_proofing_level,
        auth_time=datetime.fromtimestamp(auth_time, tz=UTC),
        fault=fault,
    )
    response = HttpResponseRedirect(location)
    response.set_cookie(
        SESSION_COOKIE,
        signing.dumps(
            {"user_id": user.id, "level": identity_proofing_level, "auth_time": auth_time},
            salt=_SESSION_SALT,
        ),
        max_age=_SESSION_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _sign_in_page(
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
    response = render(
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
    )
    return _forms_may_return_to_client(response, authorization)


def _forms_may_return_to_client(
    response: HttpResponse, authorization: AuthorizationRequest
) -> HttpResponse:
    """This page's forms answer with a redirect to the client's redirect URI. Browsers apply
    the page's CSP form-action to that redirect too, so it must name the client's origin, or a
    client on another origin (as every real one is) is never reached."""
    target = urlsplit(authorization.redirect_uri)
    response._csp_update = {"form-action": [f"{target.scheme}://{target.netloc}"]}  # type: ignore[attr-defined]
    return response


def _sign_in_or_step_up(
    request: HttpRequest,
    authorization: AuthorizationRequest,
    user: SimulatedUser,
    identity_proofing_level: str,
    fault: str,
) -> HttpResponse:
    """Finish the sign-in, or first take the user through identity verification when the
    client asked for a higher proofing level than they have (shared/nhs-login.md, step-up)."""
    auth_time = int(time.time())
    if vectors.vot_choose(authorization.vtr, identity_proofing_level, user.methods):
        return _complete(
            request=request,
            authorization=authorization,
            user=user,
            identity_proofing_level=identity_proofing_level,
            auth_time=auth_time,
            fault=fault,
        )
    target = vectors.step_up_level(authorization.vtr, user.methods)
    if target is None:
        raise authorization.error("access_denied", "The user cannot meet the requested vectors")
    pending = signing.dumps(
        {"user_id": user.id, "level": target, "auth_time": auth_time, "fault": fault},
        salt=_STEP_UP_SALT,
    )
    response = render(
        request,
        "nhs_login_simulator/step_up.jinja",
        {
            "user": user,
            "target_level": target,
            "signed_request": authorization.sign(),
            "pending": pending,
            "cancel_url": authorization.error(
                "access_denied", "IdentityVerificationNotCompleted"
            ).location,
        },
    )
    return _forms_may_return_to_client(response, authorization)


def _authorization_error_page(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "nhs_login_simulator/error.jinja", {"message": message}, status=400)


@login_not_required
@csrf_exempt  # GET or POST from the client's page, as NHS login accepts both
@require_http_methods(["GET", "POST"])
@never_cache
def authorize(request: HttpRequest) -> HttpResponse:
    """The authorization endpoint (shared/nhs-login.md, "Authorization request")."""
    parameters = request.POST if request.method == "POST" else request.GET
    try:
        authorization = authorization_request_parse(parameters)
        session = _session_read(request)
        session_user = simulated_user_get(session["user_id"]) if session else None
        if authorization.prompt == "login" or (session_user is None and authorization.prompt == ""):
            return _sign_in_page(request, authorization)
        if session is None or session_user is None:
            raise authorization.error("login_required", "The user is not signed in")
        if not vectors.vot_choose(authorization.vtr, session["level"], session_user.methods):
            if authorization.prompt == "none":
                raise authorization.error(
                    "interaction_required", "The user must prove who they are"
                )
            return _sign_in_page(request, authorization)
        return _complete(
            request=request,
            authorization=authorization,
            user=session_user,
            identity_proofing_level=session["level"],
            auth_time=session["auth_time"],
            fault="",
        )
    except UntrustedRedirectError as error:
        return _authorization_error_page(request, str(error))
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


def _signed_request(form: QueryDict) -> AuthorizationRequest | None:
    try:
        return AuthorizationRequest.unsign(form.get("request", ""))
    except signing.BadSignature:
        return None


_EXPIRED = (
    "This sign-in request has expired or was changed. Go back to the service and start again."
)


@login_not_required
@require_POST
def sign_in_test_user(request: HttpRequest) -> HttpResponse:
    """The tester picked a test user and an outcome on the sign-in page."""
    authorization = _signed_request(request.POST)
    if authorization is None:
        return _authorization_error_page(request, _EXPIRED)
    user = simulated_user_get(request.POST.get("user", ""))
    outcome = request.POST.get("outcome", "success")
    fault = request.POST.get("fault", "")
    if user is None or fault not in set(Fault) or outcome not in {"success", *AUTHORIZATION_ERRORS}:
        return _sign_in_page(request, authorization, status=400)
    if outcome == "access_denied":
        return HttpResponseRedirect(
            authorization.error("access_denied", "ConsentNotGiven").location
        )
    if outcome != "success":
        return HttpResponseRedirect(
            authorization.error(outcome, f"Simulated {outcome} chosen by the tester").location
        )
    try:
        return _sign_in_or_step_up(
            request, authorization, user, user.identity_proofing_level, fault
        )
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def sign_in_password(request: HttpRequest) -> HttpResponse:
    """The tester signed in with a test user's email address and password."""
    authorization = _signed_request(request.POST)
    if authorization is None:
        return _authorization_error_page(request, _EXPIRED)
    user = simulated_user_authenticate(
        request.POST.get("email", ""), request.POST.get("password", "")
    )
    if user is None:
        return _sign_in_page(request, authorization, status=400, password_error=True)
    try:
        return _sign_in_or_step_up(request, authorization, user, user.identity_proofing_level, "")
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def step_up_confirm(request: HttpRequest) -> HttpResponse:
    """The user finished "prove who you are" and now holds the higher proofing level."""
    authorization = _signed_request(request.POST)
    try:
        pending = signing.loads(
            request.POST.get("pending", ""), salt=_STEP_UP_SALT, max_age=30 * 60
        )
    except signing.BadSignature:
        pending = None
    user = simulated_user_get(pending["user_id"]) if pending else None
    if authorization is None or pending is None or user is None:
        return _authorization_error_page(request, _EXPIRED)
    try:
        return _complete(
            request=request,
            authorization=authorization,
            user=user,
            identity_proofing_level=pending["level"],
            auth_time=pending["auth_time"],
            fault=pending["fault"],
        )
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


class ConnectionDroppedError(ConnectionResetError):
    """The simulator dropped the connection on purpose (a fault)."""


def _client_socket(request: HttpRequest) -> socket.socket | None:
    """The TCP connection this request came on: gunicorn names it; Django's runserver and test
    live server only reach it through the request body's stream (its read method's file)."""
    found: Any = request.META.get("gunicorn.socket")
    if found is None:
        read = getattr(request.META.get("wsgi.input"), "_read", None)
        found = getattr(getattr(getattr(read, "__self__", None), "raw", None), "_sock", None)
    return found if isinstance(found, socket.socket) else None


def _drop_connection(request: HttpRequest) -> HttpResponse:
    """Close the connection without a byte of answer, as a crashed server or a proxy cutting
    the line would. With no connection to close (Django's test client), raise instead."""
    client_socket = _client_socket(request)
    if client_socket is None:
        raise ConnectionDroppedError("the simulator dropped the connection")
    client_socket.shutdown(socket.SHUT_RDWR)
    return HttpResponse(status=204)  # never reaches the client: the server's write fails


def _slow_or_broken(
    request: HttpRequest,
    fault: Fault,
    *,
    slow: Fault,
    server_error: Fault,
    not_json: Fault,
    dropped: Fault,
) -> HttpResponse | None:
    if fault == dropped:
        return _drop_connection(request)
    if fault == slow:
        time.sleep(settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS)
    if fault == server_error:
        return _oauth_error("server_error", "Simulated failure", status=500)
    if fault == not_json:
        return HttpResponse("<html><body><h1>Service unavailable</h1></body></html>", status=200)
    return None


@login_not_required
@csrf_exempt  # a back-channel call authenticated by the client assertion, not a browser form
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """The token endpoint (shared/nhs-login.md, "Token request")."""
    try:
        client = client_authenticate(request.POST)
        grant_type = request.POST.get("grant_type", "")
        if grant_type == "authorization_code":
            grant = grant_from_code(client=client, form=request.POST)
        elif grant_type == "refresh_token":
            grant = grant_from_refresh_token(client=client, form=request.POST)
        elif not grant_type:
            raise TokenError("invalid_request", "grant_type is required")
        else:
            raise TokenError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
        broken = _slow_or_broken(
            request,
            fault_effective(grant.fault),
            slow=Fault.TOKEN_SLOW,
            server_error=Fault.TOKEN_SERVER_ERROR,
            not_json=Fault.TOKEN_NOT_JSON,
            dropped=Fault.TOKEN_CONNECTION_DROPPED,
        )
        if broken is not None:
            return _no_store(broken)
        body = token_response(grant=grant, issue_refresh_token=grant_type == "authorization_code")
    except TokenError as error:
        return _no_store(_oauth_error(error.error, error.description))
    return _no_store(JsonResponse(body))


def _invalid_token(description: str) -> HttpResponse:
    response = _oauth_error("invalid_token", description, status=401)
    response["WWW-Authenticate"] = (
        f'Bearer error="invalid_token", error_description="{description}"'
    )
    return response


@login_not_required
@csrf_exempt  # a back-channel call authenticated by the bearer token
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """The userinfo endpoint: claims by the access token's scopes (shared/nhs-login.md)."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return _no_store(_invalid_token("A bearer access token is required"))
    try:
        access = access_token_verify(presented.strip())
    except InvalidAccessTokenError as error:
        return _no_store(_invalid_token(str(error)))
    scopes = tuple(access["scope"].split())
    if "openid" not in scopes:
        response = _oauth_error(
            "insufficient_scope", "The access token lacks the openid scope", 403
        )
        response["WWW-Authenticate"] = 'Bearer error="insufficient_scope", scope="openid"'
        return _no_store(response)
    user = next((u for u in simulated_users() if u.sub == access["sub"]), None)
    client = Client.objects.filter(client_id=access["client_id"]).first()
    if user is None or client is None:
        return _no_store(_invalid_token("The access token's user or client no longer exists"))
    fault = fault_effective(access.get("simulator_fault", ""))
    broken = _slow_or_broken(
        request,
        fault,
        slow=Fault.USERINFO_SLOW,
        server_error=Fault.USERINFO_SERVER_ERROR,
        not_json=Fault.USERINFO_NOT_JSON,
        dropped=Fault.USERINFO_CONNECTION_DROPPED,
    )
    if broken is not None:
        return _no_store(broken)
    claims = user_claims(
        user=user,
        scopes=scopes,
        identity_proofing_level=access["identity_proofing_level"],
        im1_enabled=client.im1_enabled,
    )
    if fault == Fault.USERINFO_SUB_MISMATCH:
        claims["sub"] = "00000000-0000-4000-8000-000000000000"
    return _no_store(JsonResponse(claims))
