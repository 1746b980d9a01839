"""The simulator's endpoints. Every one is public: NHS login is not behind the portal's sign-in.

Sign-in state lives in the simulator's own signed cookie, never in the portal's session, so
signing out of the portal leaves the NHS login session as the real one would be. Its pages set
their own Content-Security-Policy, so they work whether or not the portal's CSP middleware acts
on them.
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nhs_login_simulator import keys, vectors
from nhs_login_simulator.authorization import (
    AUTHORIZATION_ERRORS,
    REQUEST_MAX_AGE,
    AuthorizationError,
    AuthorizationRequest,
    UntrustedRedirectError,
    authorization_code_issue,
    authorization_request_parse,
)
from nhs_login_simulator.claims import SCOPE_CLAIMS, SUPPORTED_SCOPES, consent_items, user_claims
from nhs_login_simulator.consent import consent_needed, consent_record
from nhs_login_simulator.faults import FAULT_DESCRIPTIONS, Fault, fault_effective
from nhs_login_simulator.models import Client
from nhs_login_simulator.sso import AssertedIdentityError, asserted_login_identity_verify
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
    trustmark_host,
)
from nhs_login_simulator.users import (
    SimulatedUser,
    simulated_user_authenticate,
    simulated_user_get,
    simulated_users,
)

SESSION_COOKIE = "nhs_login_simulator_session"
_SESSION_SALT = "nhs-login-simulator.session"
_PENDING_SALT = "nhs-login-simulator.pending"
_SESSION_MAX_AGE = 12 * 60 * 60


@login_not_required
@require_GET
def discovery(request: HttpRequest) -> JsonResponse:
    """OpenID Connect Discovery 1.0, section 3.

    No ``code_challenge_methods_supported``: NHS login's published documents name no PKCE
    support, so the simulator does not claim any; it still holds a client that sends an S256
    challenge to its verifier (nhs_login_simulator/authorization.py)."""
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


@login_not_required
@require_GET
def trustmark(request: HttpRequest, host: str) -> JsonResponse:
    """The trustmark the tokens' ``vtm`` names: which proofing levels and authentication
    components this provider supports (Federation specification 5.1.5, its example's shape)."""
    if host != trustmark_host():
        return JsonResponse({"error": "not_found"}, status=404)
    return JsonResponse(
        {
            "idp": issuer(),
            "trustmark_provider": issuer(),
            "P": list(vectors.PROOFING_LEVELS),
            "C": list(vectors.AUTHENTICATION_COMPONENTS),
        }
    )


# Pages


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _page(
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
    form_action = " ".join(["'self'", *([_origin(redirects_to)] if redirects_to else [])])
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


def _authorization_error_page(request: HttpRequest, message: str) -> HttpResponse:
    return _page(request, "nhs_login_simulator/error.jinja", {"message": message}, status=400)


# The NHS login session, in the simulator's own cookie


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


def _session_user(request: HttpRequest) -> tuple[dict[str, Any], SimulatedUser] | None:
    session = _session_read(request)
    user = simulated_user_get(session["user_id"]) if session else None
    return (session, user) if session and user else None


def _remember(
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


# Signing in, stepping up and consenting


def _complete(
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
    return _remember(HttpResponseRedirect(location), request, signed_in, authorization.client_id)


def _consent_page(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    client = Client.objects.get(client_id=authorization.client_id)
    user = simulated_user_get(signed_in.user_id)
    assert user is not None
    response = _page(
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
    return _remember(response, request, signed_in, authorization.client_id)


def _consent_or_complete(
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
        return _consent_page(request, authorization, signed_in)
    return _complete(request, authorization, signed_in)


def _signed_in(
    request: HttpRequest, authorization: AuthorizationRequest, signed_in: Pending
) -> HttpResponse:
    """Continue, or first take the user through identity verification when the client asked
    for a higher proofing level than they have (NHS login's "Step up from P5 to P9")."""
    user = simulated_user_get(signed_in.user_id)
    assert user is not None
    if vectors.vot_choose(authorization.vtr, signed_in.level, user.methods):
        return _consent_or_complete(request, authorization, signed_in)
    target = vectors.step_up_level(authorization.vtr, user.methods)
    if target is None:
        raise authorization.error("access_denied", "The user cannot meet the requested vectors")
    response = _page(
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
    return _remember(response, request, signed_in, authorization.client_id)


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
    return _page(
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
        asserted = None
        if parameters.get("asserted_login_identity"):
            try:
                asserted = asserted_login_identity_verify(
                    token=parameters["asserted_login_identity"],
                    requesting=Client.objects.get(client_id=authorization.client_id),
                )
            except AssertedIdentityError as error:
                raise authorization.error("invalid_request", str(error)) from error
        if authorization.prompt == "login":
            return _sign_in_page(request, authorization)
        if asserted is not None and simulated_user_get(asserted.user_id) is not None:
            # Signed in without a sign-in page; step-up and consent still apply.
            return _signed_in(
                request,
                authorization,
                Pending(
                    asserted.user_id,
                    asserted.identity_proofing_level,
                    int(asserted.auth_time.timestamp()),
                ),
            )
        session = _session_user(request)
        if session is None:
            if authorization.prompt == "none":
                raise authorization.error("sso_login_required", "The user is not signed in")
            return _sign_in_page(request, authorization)
        values, user = session
        if not vectors.vot_choose(authorization.vtr, values["level"], user.methods):
            if authorization.prompt == "none":
                raise authorization.error(
                    "interaction_required", "The user must prove who they are"
                )
            return _sign_in_page(request, authorization)
        return _consent_or_complete(
            request, authorization, Pending(user.id, values["level"], values["auth_time"])
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


def _signed_pending(form: QueryDict) -> Pending | None:
    try:
        pending = Pending.unsign(form.get("pending", ""))
    except signing.BadSignature:
        return None
    return pending if simulated_user_get(pending.user_id) is not None else None


_EXPIRED = (
    "This sign-in request has expired or was changed. Go back to the service and start again."
)


@login_not_required
@require_POST
def sign_in_test_user(request: HttpRequest) -> HttpResponse:
    """The tester picked a test user and an outcome on the sign-in page. An error outcome
    comes back bare, as NHS login's errors do: a decline of consent is made on the consent
    screen."""
    authorization = _signed_request(request.POST)
    if authorization is None:
        return _authorization_error_page(request, _EXPIRED)
    user = simulated_user_get(request.POST.get("user", ""))
    outcome = request.POST.get("outcome", "success")
    fault = request.POST.get("fault", "")
    if user is None or fault not in set(Fault) or outcome not in {"success", *AUTHORIZATION_ERRORS}:
        return _sign_in_page(request, authorization, status=400)
    if outcome != "success":
        return HttpResponseRedirect(authorization.error(outcome).location)
    try:
        return _signed_in(
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
    authorization = _signed_request(request.POST)
    if authorization is None:
        return _authorization_error_page(request, _EXPIRED)
    user = simulated_user_authenticate(
        request.POST.get("email", ""), request.POST.get("password", "")
    )
    if user is None:
        return _sign_in_page(request, authorization, status=400, password_error=True)
    try:
        return _signed_in(
            request, authorization, Pending(user.id, user.identity_proofing_level, int(time.time()))
        )
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


def _pending_or_expired(
    request: HttpRequest,
) -> tuple[AuthorizationRequest, Pending] | HttpResponse:
    authorization = _signed_request(request.POST)
    pending = _signed_pending(request.POST)
    if authorization is None or pending is None:
        return _authorization_error_page(request, _EXPIRED)
    return authorization, pending


@login_not_required
@require_POST
def step_up_confirm(request: HttpRequest) -> HttpResponse:
    """The user finished "prove who you are" and now holds the higher proofing level; a new
    level needs their consent again."""
    found = _pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    try:
        return _consent_or_complete(request, *found)
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def consent_share(request: HttpRequest) -> HttpResponse:
    """The user agreed to share their information: remember it, and finish."""
    found = _pending_or_expired(request)
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
        return _complete(request, authorization, signed_in)
    except AuthorizationError as error:
        return HttpResponseRedirect(error.location)


@login_not_required
@require_POST
def consent_decline(request: HttpRequest) -> HttpResponse:
    """ "Do not share": the confirmation screen, from which the user can go back and amend
    their decision (NHS login's "No-consent flow")."""
    found = _pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    authorization, signed_in = found
    return _page(
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
    found = _pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    return _consent_page(request, *found)


@login_not_required
@require_POST
def consent_decline_confirm(request: HttpRequest) -> HttpResponse:
    """The user still does not agree: back to the client "without passing an ID token or
    authorisation code", as ``error=access_denied`` and the state, nothing more."""
    found = _pending_or_expired(request)
    if isinstance(found, HttpResponse):
        return found
    authorization, signed_in = found
    response = HttpResponseRedirect(authorization.error("access_denied").location)
    return _remember(response, request, signed_in, authorization.client_id)


# NHS login's account settings


@login_not_required
@require_GET
@never_cache
def account_settings(request: HttpRequest) -> HttpResponse:
    """NHS login's settings page (its "NHS login user settings" page): the account of whoever
    is signed in to NHS login in this browser, with no second sign-in. Without a session it
    says so and offers to sign in."""
    session = _session_user(request)
    if session is None:
        return _page(
            request,
            "nhs_login_simulator/settings.jinja",
            {"user": None, "users": simulated_users()},
        )
    values, user = session
    client = Client.objects.filter(client_id=values.get("client_id", "")).first()
    return _page(
        request,
        "nhs_login_simulator/settings.jinja",
        {
            "user": user,
            "level": values["level"],
            "back": (client.name, _origin(client.redirect_uris[0]) + "/")
            if client and client.redirect_uris
            else None,
        },
    )


@login_not_required
@require_POST
def account_settings_sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in to NHS login from its settings page, with a test user."""
    user = simulated_user_get(request.POST.get("user", ""))
    if user is None:
        return _page(
            request,
            "nhs_login_simulator/settings.jinja",
            {"user": None, "users": simulated_users(), "choice_error": True},
            status=400,
        )
    response = HttpResponseRedirect(reverse("nhs_login_simulator:account_settings"))
    return _remember(
        response, request, Pending(user.id, user.identity_proofing_level, int(time.time())), ""
    )


def _oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


_Response = TypeVar("_Response", bound=HttpResponseBase)


def _no_store(response: _Response) -> _Response:
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


def _dripped(response: HttpResponse) -> StreamingHttpResponse:
    """The same answer sent one byte at a time, ``NHS_LOGIN_SIMULATOR_DRIP_SECONDS`` apart: a
    server that is never silent for long enough to trip a read timeout, yet never finishes."""
    content = response.content
    interval = settings.NHS_LOGIN_SIMULATOR_DRIP_SECONDS

    def drip() -> Iterator[bytes]:
        for position in range(len(content)):
            if position:
                time.sleep(interval)
            yield content[position : position + 1]

    dripped = StreamingHttpResponse(drip(), status=response.status_code)
    dripped["Content-Type"] = response["Content-Type"]
    return dripped


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
def token(request: HttpRequest) -> HttpResponseBase:
    """The token endpoint (Federation specification 3.5; RFC 7636, 4.5 and 4.6, for a code
    bound to a PKCE challenge)."""
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
    if fault_effective(grant.fault) == Fault.TOKEN_DRIP:
        return _no_store(_dripped(JsonResponse(body)))
    return _no_store(JsonResponse(body))


_NOT_IN_QUOTES = str.maketrans({'"': "'", "\\": "/"})


def _bearer_error(error: str, description: str, status: int, **attributes: str) -> HttpResponse:
    """An error about the bearer token: in the WWW-Authenticate header (RFC 6750, section 3),
    with no body, as the Federation specification 3.6.2.2 says NHS login returns them."""
    response = HttpResponse(status=status)
    parameters = {"error": error, "error_description": description, **attributes}
    # RFC 6750 allows printable ASCII but for the quote and the backslash in these values.
    response["WWW-Authenticate"] = "Bearer " + ", ".join(
        f'{name}="{value.translate(_NOT_IN_QUOTES)}"' for name, value in parameters.items()
    )
    return response


@login_not_required
@csrf_exempt  # a back-channel call authenticated by the bearer token
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponseBase:
    """The userinfo endpoint: the claims of the access token's scopes at its proofing level
    (Federation specification 3.6). Bearer token errors come in WWW-Authenticate; others, such
    as a token sent some other way than the Authorization header, in a JSON body."""
    if "access_token" in request.GET or "access_token" in request.POST:
        return _no_store(
            _oauth_error(
                "invalid_request", "Send the access token in the Authorization header only"
            )
        )
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        # RFC 6750, section 3.1: no error code when the request has no token at all.
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = "Bearer"
        return _no_store(response)
    try:
        access = access_token_verify(presented.strip())
    except InvalidAccessTokenError as error:
        return _no_store(_bearer_error("invalid_token", str(error), 401))
    scopes = tuple(access["scope"].split())
    if "openid" not in scopes:
        return _no_store(
            _bearer_error(
                "insufficient_scope", "The access token lacks the openid scope", 403, scope="openid"
            )
        )
    user = next((u for u in simulated_users() if u.sub == access["sub"]), None)
    client = Client.objects.filter(client_id=access["client_id"]).first()
    if user is None or client is None:
        return _no_store(
            _bearer_error(
                "invalid_token", "The access token's user or client no longer exists", 401
            )
        )
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
    if fault == Fault.USERINFO_DRIP:
        return _no_store(_dripped(JsonResponse(claims)))
    return _no_store(JsonResponse(claims))
