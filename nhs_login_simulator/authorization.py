"""The authorization endpoint's rules (Federation specification 3.4.1 to 3.4.5).

An unknown ``client_id`` or unregistered ``redirect_uri`` is shown as an error page: sending the
browser to an address we cannot trust would make the provider an open redirector. Every other
error goes back to the client's redirect URI with ``error``, ``state`` and, where NHS login
explains itself, ``error_description``.

As strict as NHS login where a relying party can tell, and no stricter: parameters the
specification marks "not supported" (``max_age``, ``ui_locales``, ``id_token_hint``,
``login_hint``, ``acr_values``, ``response_mode``) are ignored, not refused, as are values of
``display``, ``prompt`` and ``allow_registration`` it does not act on.

PKCE (RFC 7636), on which NHS login's documents are silent for the confidential clients it
serves: a request without ``code_challenge`` is answered as before (PKCE is not required); one
with it must use S256 with a well-formed challenge, which is then bound to the code and checked
against the ``code_verifier`` at the token endpoint (nhs_login_simulator/tokens.py), as RFC 9700
(2.1.1) asks of every authorization server.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core import signing
from django.http import QueryDict
from django.utils import timezone

from nhs_login_simulator import vectors
from nhs_login_simulator.claims import EXCLUSIVE_SCOPES, SUPPORTED_SCOPES
from nhs_login_simulator.models import AuthorizationCode, Client, token_hash

CODE_LIFETIME = timedelta(minutes=10)
# Errors a tester can make the simulator return from the sign-in page (Federation
# specification 3.4.5.2, table 5). A decline of consent is made on the consent screen instead.
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
# Proving who you are can take a long time; a sign-in begun an hour ago is still answered.
REQUEST_MAX_AGE = 2 * 60 * 60
# RFC 7636, 4.2: an S256 challenge is BASE64URL(SHA256(verifier)), 32 bytes unpadded.
PKCE_S256 = "S256"
_S256_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


class UntrustedRedirectError(Exception):
    """The request cannot be answered by redirect: unknown client or redirect URI."""


class AuthorizationError(Exception):
    """An error the client learns about through its redirect URI."""

    def __init__(self, *, redirect_uri: str, state: str, error: str, description: str = "") -> None:
        super().__init__(f"{error}: {description}" if description else error)
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
    # The S256 PKCE challenge, or "" when the client sent none.
    code_challenge: str = ""

    def error(self, error: str, description: str = "") -> AuthorizationError:
        return AuthorizationError(
            redirect_uri=self.redirect_uri, state=self.state, error=error, description=description
        )

    def sign(self) -> str:
        """Carry the validated request through the sign-in pages without trusting the browser."""
        return signing.dumps(asdict(self), salt=_REQUEST_SALT)

    @classmethod
    def unsign(cls, signed: str) -> AuthorizationRequest:
        values: dict[str, Any] = signing.loads(signed, salt=_REQUEST_SALT, max_age=REQUEST_MAX_AGE)
        return cls(
            client_id=values["client_id"],
            redirect_uri=values["redirect_uri"],
            scope=tuple(values["scope"]),
            state=values["state"],
            nonce=values["nonce"],
            vtr=tuple(values["vtr"]),
            prompt=values["prompt"],
            code_challenge=values.get("code_challenge", ""),
        )


def redirect_with(redirect_uri: str, parameters: dict[str, str]) -> str:
    present = {name: value for name, value in parameters.items() if value}
    separator = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{separator}{urlencode(present)}"


def _prompt(raw: str) -> str:
    """``none`` or ``login``, the two values NHS login acts on; anything else means the usual
    behaviour (sign in if there is no session). ``none`` with another value is a contradiction
    OpenID Connect Core 3.1.2.1 refuses."""
    values = set(raw.split())
    if "none" in values and len(values) > 1:
        raise ValueError("prompt=none cannot be combined with another value")
    if "login" in values:
        return "login"
    return "none" if values == {"none"} else ""


def _code_challenge(parameters: QueryDict) -> str:
    """The request's S256 PKCE challenge, "" without one; ValueError for what an authorization
    server supporting only S256 refuses with ``invalid_request`` (RFC 7636, 4.3 and 4.4.1):
    ``plain`` (also what a challenge without a method means), any other method, a method
    without a challenge, and a challenge that cannot be a SHA-256 in base64url."""
    challenge = parameters.get("code_challenge", "")
    method = parameters.get("code_challenge_method", "")
    if not challenge and not method:
        return ""
    if not challenge:
        raise ValueError("code_challenge_method was sent without a code_challenge")
    if method != PKCE_S256:
        raise ValueError(
            "code_challenge_method must be S256"
            + ("" if method else ": without one the method would be plain")
        )
    if not _S256_CHALLENGE.fullmatch(challenge):
        raise ValueError("code_challenge is not an S256 challenge (43 base64url characters)")
    return challenge


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
    requested = parameters.get("scope", "").split()
    if "openid" not in requested:
        raise refuse("invalid_scope", "scope must contain openid")
    # Scopes NHS login does not understand are ignored (Federation specification 3.4.1).
    scopes = tuple(scope for scope in dict.fromkeys(requested) if scope in SUPPORTED_SCOPES)
    if set(scopes) >= EXCLUSIVE_SCOPES:
        raise refuse("invalid_scope", "profile and basic_demographics cannot both be requested")
    unregistered = [scope for scope in scopes if scope not in client.scopes]
    if unregistered:
        raise refuse(
            "invalid_scope", f"Scopes not registered for this client: {', '.join(unregistered)}"
        )
    if not state:
        raise refuse("invalid_request", "state is required")
    nonce = parameters.get("nonce", "")
    if not nonce:
        raise refuse("invalid_request", "nonce is required")
    try:
        vtr = vectors.vtr_parse(parameters.get("vtr"))
    except vectors.VtrError as error:
        raise refuse("invalid_request", str(error)) from error
    if set(vtr) not in [set(registered) for registered in client.vtr_sets]:
        raise refuse("invalid_request", "vtr is not one registered for this client")
    try:
        prompt = _prompt(parameters.get("prompt", ""))
        code_challenge = _code_challenge(parameters)
    except ValueError as error:
        raise refuse("invalid_request", str(error)) from error
    return AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scopes,
        state=state,
        nonce=nonce,
        vtr=vtr,
        prompt=prompt,
        code_challenge=code_challenge,
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
    """Make a single-use code for the client, bound to the request's PKCE challenge if it sent
    one, and return the redirect that delivers it."""
    code = secrets.token_urlsafe(32)
    now = timezone.now()
    AuthorizationCode.objects.create(
        code_hash=token_hash(code),
        client=Client.objects.get(client_id=request.client_id),
        redirect_uri=request.redirect_uri,
        user_id=user_id,
        scope=" ".join(request.scope),
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        vtr=list(request.vtr),
        vot=vot,
        identity_proofing_level=identity_proofing_level,
        auth_time=auth_time,
        fault=fault,
        expires_at=now + CODE_LIFETIME,
    )
    return redirect_with(request.redirect_uri, {"code": code, "state": request.state})
