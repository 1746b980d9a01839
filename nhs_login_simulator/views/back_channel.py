"""The back-channel endpoints a relying party's server calls: the token endpoint and userinfo,
with the faults the settings page can inject into them (slow, broken, dropped)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from nhs_login_simulator.claims import userinfo_claims
from nhs_login_simulator.faults import Fault, fault_effective
from nhs_login_simulator.models import Client
from nhs_login_simulator.provisioning import ProvisioningAnswer, provisioning_answer_chosen
from nhs_login_simulator.tokens import (
    InvalidAccessTokenError,
    TokenError,
    access_token_verify,
    client_authenticate,
    grant_from_code,
    grant_from_refresh_token,
    provisioning_token_response,
    token_response,
)
from nhs_login_simulator.users import (
    SimulatedUser,
    simulated_users,
)


def oauth_error(error: str, description: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


_Response = TypeVar("_Response", bound=HttpResponseBase)


def no_store(response: _Response) -> _Response:
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


def drop_connection(request: HttpRequest) -> HttpResponse:
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
        return drop_connection(request)
    if fault == slow:
        time.sleep(settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS)
    if fault == server_error:
        return oauth_error("server_error", "Simulated failure", status=500)
    if fault == not_json:
        return HttpResponse("<html><body><h1>Service unavailable</h1></body></html>", status=200)
    return None


def _provisioning_token(client: Client) -> JsonResponse:
    """A provisioning client's bearer token, or the failure the provisioning settings page
    chose for the token endpoint."""
    body = provisioning_token_response(client)
    if provisioning_answer_chosen() == ProvisioningAnswer.TOKEN_SERVER_ERROR:
        return oauth_error("server_error", "Simulated failure", status=500)
    return JsonResponse(body)


@login_not_required
@csrf_exempt  # a back-channel call authenticated by the client assertion, not a browser form
@require_POST
def token(request: HttpRequest) -> HttpResponseBase:
    """The token endpoint (Federation specification 3.5; RFC 7636, 4.5 and 4.6, for a code
    bound to a PKCE challenge; the Provision Account interface 3.2 for ``client_credentials``,
    nhs_login_simulator/views/provisioning.py)."""
    try:
        client = client_authenticate(request.POST)
        grant_type = request.POST.get("grant_type", "")
        if grant_type == "client_credentials":
            return no_store(_provisioning_token(client))
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
            return no_store(broken)
        body = token_response(grant=grant, issue_refresh_token=grant_type == "authorization_code")
    except TokenError as error:
        return no_store(oauth_error(error.error, error.description))
    if fault_effective(grant.fault) == Fault.TOKEN_DRIP:
        return no_store(_dripped(JsonResponse(body)))
    return no_store(JsonResponse(body))


_NOT_IN_QUOTES = str.maketrans({'"': "'", "\\": "/"})


def bearer_error(error: str, description: str, status: int, **attributes: str) -> HttpResponse:
    """An error about the bearer token: in the WWW-Authenticate header (RFC 6750, section 3),
    with no body, as the Federation specification 3.6.2.2 says NHS login returns them."""
    response = HttpResponse(status=status)
    parameters = {"error": error, "error_description": description, **attributes}
    # RFC 6750 allows printable ASCII but for the quote and the backslash in these values.
    response["WWW-Authenticate"] = "Bearer " + ", ".join(
        f'{name}="{value.translate(_NOT_IN_QUOTES)}"' for name, value in parameters.items()
    )
    return response


class _UserinfoRefusedError(Exception):
    """A userinfo call refused before any claim is read, with the answer to give."""

    def __init__(self, response: HttpResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True)
class _UserinfoCaller:
    access: dict[str, Any]
    scopes: tuple[str, ...]
    user: SimulatedUser
    client: Client


def _userinfo_caller(request: HttpRequest) -> _UserinfoCaller:
    """Whose claims a userinfo call may have: its access token, from the Authorization header
    only, valid, with the openid scope, for a user and client that still exist."""
    if "access_token" in request.GET or "access_token" in request.POST:
        raise _UserinfoRefusedError(
            oauth_error("invalid_request", "Send the access token in the Authorization header only")
        )
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        # RFC 6750, section 3.1: no error code when the request has no token at all.
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = "Bearer"
        raise _UserinfoRefusedError(response)
    try:
        access = access_token_verify(presented.strip())
    except InvalidAccessTokenError as error:
        raise _UserinfoRefusedError(bearer_error("invalid_token", str(error), 401)) from error
    scopes = tuple(access["scope"].split())
    if "openid" not in scopes:
        raise _UserinfoRefusedError(
            bearer_error(
                "insufficient_scope", "The access token lacks the openid scope", 403, scope="openid"
            )
        )
    user = next((u for u in simulated_users() if u.sub == access["sub"]), None)
    client = Client.objects.filter(client_id=access["client_id"]).first()
    if user is None or client is None:
        raise _UserinfoRefusedError(
            bearer_error("invalid_token", "The access token's user or client no longer exists", 401)
        )
    return _UserinfoCaller(access, scopes, user, client)


@login_not_required
@csrf_exempt  # a back-channel call authenticated by the bearer token
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponseBase:
    """The userinfo endpoint: the claims of the access token's scopes at its proofing level
    (Federation specification 3.6; GP credentials, docs/adr/0026). Bearer token errors come in
    WWW-Authenticate; others (a token not in the Authorization header) in a JSON body."""
    try:
        caller = _userinfo_caller(request)
    except _UserinfoRefusedError as refused:
        return no_store(refused.response)
    fault = fault_effective(caller.access.get("simulator_fault", ""))
    broken = _slow_or_broken(
        request,
        fault,
        slow=Fault.USERINFO_SLOW,
        server_error=Fault.USERINFO_SERVER_ERROR,
        not_json=Fault.USERINFO_NOT_JSON,
        dropped=Fault.USERINFO_CONNECTION_DROPPED,
    )
    if broken is not None:
        return no_store(broken)
    claims = userinfo_claims(
        user=caller.user,
        scopes=caller.scopes,
        identity_proofing_level=caller.access["identity_proofing_level"],
        im1_enabled=caller.client.im1_enabled,
        gp_system_unavailable=fault == Fault.GP_SYSTEM_UNAVAILABLE,
    )
    if fault == Fault.USERINFO_SUB_MISMATCH:
        claims["sub"] = "00000000-0000-4000-8000-000000000000"
    response = JsonResponse(claims)
    return no_store(_dripped(response) if fault == Fault.USERINFO_DRIP else response)
