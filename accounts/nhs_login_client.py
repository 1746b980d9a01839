"""The portal's side of NHS login's back channel.

Every call to NHS login (discovery, JWKS, token, userinfo) goes through here, over the project's
one HTTP seam (core/outbound.py) with a deadline for the whole call, and comes back parsed or as
one of this module's exceptions. Within a sign-in's callback the calls share one budget
(``provider_call_budget``), so together they end before the app server's worker timeout.
Nothing here logs a token, code, PKCE verifier or claim: only endpoints, status codes and OAuth
error codes.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import ImproperlyConfigured

from core.client_assertion import JWT_BEARER
from core.client_assertion_signing import client_assertion_sign
from core.outbound import (
    OutboundResponseInvalidError,
    OutboundUnavailableError,
    http_request,
    json_object,
)
from core.rsa_keys import private_key_of_setting

if TYPE_CHECKING:
    import requests

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """NHS login could not be used for this sign-in."""


class ProviderUnavailableError(ProviderError):
    """NHS login timed out, refused the connection or answered 5xx: try again later."""


class ProviderResponseInvalidError(ProviderError):
    """NHS login answered with something that is not what the contract says (not JSON,
    missing fields, an issuer that is not the one configured)."""


class ProviderRefusedError(ProviderError):
    """NHS login refused the request with an OAuth error code.

    ``description`` is the provider's ``error_description``, for a developer's eyes
    (``manage.py nhs_login_check``): it is never logged.
    """

    def __init__(self, error: str, status: int, *, description: str = "") -> None:
        super().__init__(f"{error} (HTTP {status})")
        self.error = error
        self.status = status
        self.description = description


class UserinfoRefusedError(ProviderRefusedError):
    """The userinfo endpoint refused the access token it was given (Federation specification
    3.6.2.2: ``invalid_request``, ``invalid_token`` or ``insufficient_scope``)."""


@dataclass(frozen=True)
class ProviderMetadata:
    """The parts of the discovery document the portal uses (OpenID Connect Discovery 1.0)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


# When the calls of the request being served must all be over (time.monotonic()), if they share
# a budget.
_budget_deadline: ContextVar[float | None] = ContextVar("nhs_login_budget_deadline", default=None)


@contextmanager
def provider_call_budget(*, seconds: float) -> Iterator[None]:
    """Give every call to NHS login made inside this block, together, ``seconds`` at most: each
    call's deadline is the smaller of ``NHS_LOGIN_TIMEOUT_SECONDS`` and what is left, and once
    nothing is left a call fails at once as if NHS login had timed out. The callback runs in
    one, below the worker timeout (settings, ``NHS_LOGIN_CALLBACK_BUDGET_SECONDS``)."""
    token = _budget_deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _budget_deadline.reset(token)


def _call_timeout() -> float:
    timeout = float(settings.NHS_LOGIN_TIMEOUT_SECONDS)
    deadline = _budget_deadline.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        logger.warning("NHS login not called: the sign-in's time for NHS login is spent")
        raise ProviderUnavailableError("the sign-in's time for NHS login is spent")
    return min(timeout, remaining)


def _send(method: str, url: str, **kwargs: Any) -> requests.Response:
    try:
        return http_request(method, url, timeout=_call_timeout(), **kwargs)
    except OutboundUnavailableError as error:
        raise ProviderUnavailableError(str(error)) from error
    except OutboundResponseInvalidError as error:  # an answer over the size cap
        raise ProviderResponseInvalidError(str(error)) from error


def _json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        return json_object(response, f"NHS login {what}")
    except OutboundResponseInvalidError as error:
        raise ProviderResponseInvalidError(str(error)) from error


# An OAuth error code as RFC 6749 (appendix A.7) spells them: only such a code is ever logged.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
# The parameters of a WWW-Authenticate challenge (RFC 6750, section 3; RFC 9110, 11.2), each a
# token or a quoted string: `Bearer error="invalid_token", error_description="..."`. NHS login's
# own example (Federation specification 3.6.2.2) leaves the scheme out and prints typographic
# quotes, so those count as quotes too.
_AUTH_PARAM = re.compile(
    r'([A-Za-z0-9_.\-]+)\s*=\s*(["\u201c\u201d](?:\\.|[^"\u201c\u201d\\])*["\u201c\u201d]|[^\s,]*)'
)


def _error_code(value: object) -> str:
    return value if isinstance(value, str) and _ERROR_CODE.fullmatch(value) else "unknown_error"


def bearer_error(www_authenticate: str) -> str | None:
    """The error code of a bearer-token challenge, or None if it names none. Only the code: a
    description may say anything, so it is left out of logs."""
    for found in _AUTH_PARAM.finditer(www_authenticate):
        if found.group(1).lower() == "error":
            code = found.group(2).strip('"\u201c\u201d')
            return code if _ERROR_CODE.fullmatch(code) else "unknown_error"
    return None


def _body_error(response: requests.Response) -> tuple[str, str]:
    """The error code and description of a JSON error body (RFC 6749, section 5.2)."""
    try:
        body = response.json()
    except ValueError:
        return "unknown_error", ""
    if not isinstance(body, dict):
        return "unknown_error", ""
    description = body.get("error_description")
    printable = description if isinstance(description, str) and description.isprintable() else ""
    return _error_code(body.get("error")), printable[:200]


def _refused(response: requests.Response, what: str) -> ProviderRefusedError:
    error, description = _body_error(response)
    logger.warning("NHS login refused the %s: %s (HTTP %s)", what, error, response.status_code)
    return ProviderRefusedError(error, response.status_code, description=description)


def _cache_key(name: str) -> str:
    return f"nhs-login:{name}:{settings.NHS_LOGIN_ISSUER}"


# What this process last read of NHS login's discovery document, keys and authorization origin
# from the shared cache, and until when (time.monotonic()) it may use them without asking the
# cache again (``NHS_LOGIN_METADATA_MEMORY_SECONDS``). A sign-in reads them five or six times
# and every page once (the Content Security Policy's form-action): each read was a Redis round
# trip and an unpickling for a document that changes a few times a year. The shared cache
# stays the one the servers agree on; this copy only spares the reads.
_remembered: dict[str, tuple[float, Any]] = {}


def _cache_read(name: str) -> Any:
    key = _cache_key(name)
    held = _remembered.get(key)
    now = time.monotonic()
    if held is not None and held[0] > now:
        return held[1]
    value = django_cache.get(key)
    if value is not None:
        _remember(key, value, now)
    return value


def _cache_write(name: str, value: Any, timeout: int | None) -> None:
    key = _cache_key(name)
    django_cache.set(key, value, timeout)
    _remember(key, value, time.monotonic())


def provider_metadata_memory_forget() -> None:
    """Forget this process's copy only: each test starts from the shared cache (conftest.py),
    as a new app server does."""
    _remembered.clear()


def _remember(key: str, value: Any, now: float) -> None:
    seconds = settings.NHS_LOGIN_METADATA_MEMORY_SECONDS
    if seconds > 0:
        _remembered[key] = (now + seconds, value)


def provider_metadata() -> ProviderMetadata:
    """NHS login's endpoints, from its discovery document (cached)."""
    if not settings.NHS_LOGIN_ISSUER:
        raise ImproperlyConfigured("NHS_LOGIN_ISSUER is not set")
    cached: dict[str, str] | None = _cache_read("discovery")
    if cached is None:
        url = f"{settings.NHS_LOGIN_ISSUER}/.well-known/openid-configuration"
        response = _send("GET", url)
        if response.status_code != 200:
            raise ProviderResponseInvalidError(f"discovery answered {response.status_code}")
        document = _json_object(response, "discovery document")
        names = [field.name for field in fields(ProviderMetadata)]
        if not all(isinstance(document.get(name), str) and document[name] for name in names):
            raise ProviderResponseInvalidError("discovery document lacks an endpoint")
        cached = {name: document[name] for name in names}
        # OpenID Connect Discovery 1.0, 4.3: the issuer must be exactly the one we asked.
        if cached["issuer"] != settings.NHS_LOGIN_ISSUER:
            raise ProviderResponseInvalidError("discovery names a different issuer")
        _cache_write("discovery", cached, settings.NHS_LOGIN_METADATA_CACHE_SECONDS)
        # Kept beyond the document's hour: pages rendered after it expires still let their
        # sign-in forms lead there (sign_in_form_origins).
        _cache_write("authorization-origin", _origin(cached["authorization_endpoint"]), None)
    return ProviderMetadata(**cached)


def _origin(url: str) -> str:
    address = urlsplit(url)
    return f"{address.scheme}://{address.netloc}"


def sign_in_form_origins() -> list[str]:
    """Where a sign-in form's post may lead the browser, for the Content Security Policy's
    form-action (accounts/content_security_policy.py): the form posts to the portal, which
    redirects to NHS login's authorization endpoint. That is the configured issuer's origin and,
    when discovery (OpenID Connect Discovery 1.0, 3) put the endpoint elsewhere, that origin
    too, as last read. Never calls NHS login: a page is not held up by it."""
    if not settings.NHS_LOGIN_ISSUER:
        return []
    origins = [_origin(settings.NHS_LOGIN_ISSUER)]
    try:
        authorization: str | None = _cache_read("authorization-origin")
    except Exception:  # django-redis raises its own connection errors: the issuer's will do
        authorization = None
    if authorization and authorization not in origins:
        origins.append(authorization)
    return origins


def provider_discovery_document() -> dict[str, Any]:
    """NHS login's whole discovery document, fetched now and not cached: for
    ``manage.py nhs_login_check``, which reads what the portal's sign-in does not."""
    if not settings.NHS_LOGIN_ISSUER:
        raise ImproperlyConfigured("NHS_LOGIN_ISSUER is not set")
    response = _send("GET", f"{settings.NHS_LOGIN_ISSUER}/.well-known/openid-configuration")
    if response.status_code != 200:
        raise ProviderResponseInvalidError(f"discovery answered {response.status_code}")
    return _json_object(response, "discovery document")


def provider_metadata_forget() -> None:
    """Drop the cached discovery document and JWKS, e.g. after changing provider: from the
    shared cache, and from this process's copy (other processes let theirs go within
    ``NHS_LOGIN_METADATA_MEMORY_SECONDS``)."""
    provider_metadata_memory_forget()
    django_cache.delete_many(
        [_cache_key("discovery"), _cache_key("jwks"), _cache_key("authorization-origin")]
    )


def provider_jwks(*, refresh: bool = False) -> dict[str, Any]:
    """NHS login's published signing keys (cached; ``refresh`` fetches them again)."""
    cached: dict[str, Any] | None = None if refresh else _cache_read("jwks")
    if cached is None:
        response = _send("GET", provider_metadata().jwks_uri)
        if response.status_code != 200:
            raise ProviderResponseInvalidError(f"JWKS answered {response.status_code}")
        cached = _json_object(response, "JWKS")
        if not isinstance(cached.get("keys"), list):
            raise ProviderResponseInvalidError("JWKS has no keys")
        _cache_write("jwks", cached, settings.NHS_LOGIN_METADATA_CACHE_SECONDS)
    return cached


def client_private_key() -> rsa.RSAPrivateKey:
    """The portal's private key, read again when the file changes (key rotation)."""
    return private_key_of_setting("NHS_LOGIN_PRIVATE_KEY_PATH")


def client_assertion(*, token_endpoint: str) -> str:
    """A private_key_jwt client assertion (RFC 7523, section 3) for NHS login's token endpoint.

    NHS login registers a client's public key as a PEM, which has no key id, so a ``kid`` is
    sent only when ``NHS_LOGIN_KEY_ID`` says the provider registered a JWK under that id: a
    provider that selects keys by ``kid`` refuses an assertion whose ``kid`` names no key it
    holds (docs/nhs-login-conformance.md).
    """
    return client_assertion_sign(
        private_key=client_private_key(),
        client_id=settings.NHS_LOGIN_CLIENT_ID,
        audience=token_endpoint,
        key_id=settings.NHS_LOGIN_KEY_ID,
    )


def redirect_uri() -> str:
    """Always built from PORTAL_BASE_URL, never from the request's Host header."""
    return f"{settings.PORTAL_BASE_URL}/auth/nhs-login/callback/"


def token_request(*, code: str, code_verifier: str | None) -> dict[str, Any]:
    """Exchange an authorization code for tokens, authenticating with private_key_jwt.

    ``code_verifier`` is the PKCE verifier of the sign-in the code answers (RFC 7636, 4.5):
    only a provider that saw its challenge can bind the code to this sign-in. None only when
    there is none to send: a made-up code (``manage.py nhs_login_check``) or a sign-in started
    before the portal sent PKCE (mozilla-django-oidc kept no verifier for it). It is a secret
    like the code: sent in the body, never logged.
    """
    token_endpoint = provider_metadata().token_endpoint
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri(),
        "client_assertion_type": JWT_BEARER,
        "client_assertion": client_assertion(token_endpoint=token_endpoint),
    }
    if code_verifier is not None:
        form["code_verifier"] = code_verifier
    response = _send("POST", token_endpoint, data=form)
    if response.status_code != 200:
        raise _refused(response, "token request")
    tokens = _json_object(response, "token response")
    if not isinstance(tokens.get("id_token"), str) or not isinstance(
        tokens.get("access_token"), str
    ):
        raise ProviderResponseInvalidError("token response lacks id_token or access_token")
    return tokens


def userinfo_request(*, access_token: str) -> dict[str, Any]:
    """The patient's claims. A refusal about the bearer token comes in the WWW-Authenticate
    header (Federation specification 3.6.2.2, RFC 6750 section 3), any other in the body: only
    its error code is logged."""
    response = _send(
        "GET",
        provider_metadata().userinfo_endpoint,
        headers={"Authorization": f"Bearer {access_token}"},
    )
    if response.status_code != 200:
        body_error, description = _body_error(response)
        error = bearer_error(response.headers.get("WWW-Authenticate", "")) or body_error
        logger.warning(
            "NHS login refused the userinfo request: %s (HTTP %s)", error, response.status_code
        )
        raise UserinfoRefusedError(error, response.status_code, description=description)
    return _json_object(response, "userinfo response")
