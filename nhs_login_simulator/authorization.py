"""The authorization endpoint's rules (shared/nhs-login.md, "Authorization request").

An unknown ``client_id`` or unregistered ``redirect_uri`` is shown as an error page: sending the
browser to an address we cannot trust would make the provider an open redirector. Every other
error goes back to the client's redirect URI with ``error``, ``error_description`` and ``state``.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.http import QueryDict
from django.utils import timezone

from nhs_login_simulator import vectors
from nhs_login_simulator.claims import SUPPORTED_SCOPES
from nhs_login_simulator.models import AuthorizationCode, Client, token_hash

CODE_LIFETIME = timedelta(minutes=10)
PROMPTS = ("", "none", "login")
DISPLAYS = ("", "page", "touch")
UNSUPPORTED_PARAMETERS = ("max_age", "ui_locales", "id_token_hint", "login_hint", "acr_values")
# Errors a tester can make the simulator return from the sign-in page.
AUTHORIZATION_ERRORS = (
    "invalid_request",
    "unauthorized_client",
    "access_denied",
    "unsupported_response_type",
    "invalid_scope",
    "server_error",
    "temporarily_unavailable",
    "login_required",
    "sso_login_required",
    "interaction_required",
    "consent_required",
    "account_selection_required",
)
_REQUEST_SALT = "nhs-login-simulator.authorization-request"
_REQUEST_MAX_AGE = 30 * 60


class UntrustedRedirectError(Exception):
    """The request cannot be answered by redirect: unknown client or redirect URI."""


class AuthorizationError(Exception):
    """An error the client learns about through its redirect URI."""

    def __init__(self, *, redirect_uri: str, state: str, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.redirect_uri = redirect_uri
        self.state = state
        self.error = error
        self.description = description

    @property
    def location(self) -> str:
        return redirect_with(
            self.redirect_uri,
            {"error": self.error, "error_description": self.description, "state": self.state},
        )


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str
    scope: tuple[str, ...]
    state: str
    nonce: str
    vtr: tuple[str, ...]
    prompt: str

    def error(self, error: str, description: str) -> AuthorizationError:
        return AuthorizationError(
            redirect_uri=self.redirect_uri, state=self.state, error=error, description=description
        )

    def sign(self) -> str:
        """Carry the validated request through the sign-in pages without trusting the browser."""
        return signing.dumps(asdict(self), salt=_REQUEST_SALT)

    @classmethod
    def unsign(cls, signed: str) -> AuthorizationRequest:
        values: dict[str, Any] = signing.loads(signed, salt=_REQUEST_SALT, max_age=_REQUEST_MAX_AGE)
        return cls(
            client_id=values["client_id"],
            redirect_uri=values["redirect_uri"],
            scope=tuple(values["scope"]),
            state=values["state"],
            nonce=values["nonce"],
            vtr=tuple(values["vtr"]),
            prompt=values["prompt"],
        )


def redirect_with(redirect_uri: str, parameters: dict[str, str]) -> str:
    present = {name: value for name, value in parameters.items() if value}
    separator = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{separator}{urlencode(present)}"


def authorization_request_parse(parameters: QueryDict) -> AuthorizationRequest:
    """Validate an authorization request as NHS login does, in the order it checks."""
    client_id = parameters.get("client_id", "")
    client = Client.objects.filter(client_id=client_id).first() if client_id else None
    if client is None:
        raise UntrustedRedirectError("The client_id is missing or not registered.")
    redirect_uri = parameters.get("redirect_uri", "")
    if redirect_uri not in client.redirect_uris:
        raise UntrustedRedirectError(
            "The redirect_uri is missing or not registered for this client."
        )
    state = parameters.get("state", "")

    def refuse(error: str, description: str) -> AuthorizationError:
        return AuthorizationError(
            redirect_uri=redirect_uri, state=state, error=error, description=description
        )

    repeated = sorted(name for name in parameters if len(parameters.getlist(name)) > 1)
    if repeated:
        raise refuse("invalid_request", f"Parameters given more than once: {', '.join(repeated)}")
    response_type = parameters.get("response_type", "")
    if not response_type:
        raise refuse("invalid_request", "response_type is required")
    if response_type != "code":
        raise refuse("unsupported_response_type", "Only response_type=code is supported")
    if parameters.get("response_mode", "query") != "query":
        raise refuse("invalid_request", "Only response_mode=query is supported")
    unsupported = [name for name in UNSUPPORTED_PARAMETERS if name in parameters]
    if unsupported:
        raise refuse("invalid_request", f"Not supported: {', '.join(unsupported)}")
    scopes = parameters.get("scope", "").split()
    if "openid" not in scopes:
        raise refuse("invalid_scope", "scope must contain openid")
    if not state:
        raise refuse("invalid_request", "state is required")
    nonce = parameters.get("nonce", "")
    if not nonce:
        raise refuse("invalid_request", "nonce is required")
    try:
        vtr = vectors.vtr_parse(parameters.get("vtr"))
    except vectors.VtrError as error:
        raise refuse("invalid_request", str(error)) from error
    prompt = parameters.get("prompt", "")
    if prompt not in PROMPTS:
        raise refuse("invalid_request", "prompt must be empty, none or login")
    if parameters.get("display", "") not in DISPLAYS:
        raise refuse("invalid_request", "display must be page or touch")
    if parameters.get("allow_registration", "true") not in ("true", "false"):
        raise refuse("invalid_request", "allow_registration must be true or false")
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        # Unknown scopes are ignored, as NHS login does.
        scope=tuple(scope for scope in dict.fromkeys(scopes) if scope in SUPPORTED_SCOPES),
        state=state,
        nonce=nonce,
        vtr=vtr,
        prompt=prompt,
    )


def authorization_code_issue(
    *,
    request: AuthorizationRequest,
    user_id: str,
    vot: str,
    identity_proofing_level: str,
    auth_time: datetime,
    fault: str,
) -> str:
    """Make a single-use code for the client and return the redirect that delivers it."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    AuthorizationCode.objects.create(
        code_hash=token_hash(code),
        client=Client.objects.get(client_id=request.client_id),
        redirect_uri=request.redirect_uri,
        user_id=user_id,
        scope=" ".join(request.scope),
        nonce=request.nonce,
        vtr=list(request.vtr),
        vot=vot,
        identity_proofing_level=identity_proofing_level,
        auth_time=auth_time,
        fault=fault,
        expires_at=now + CODE_LIFETIME,
    )
    return redirect_with(request.redirect_uri, {"code": code, "state": request.state})
