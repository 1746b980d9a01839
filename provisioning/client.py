"""The portal as a service consumer of NHS login's Provision Account interface (its "Interface
Specification - Provision Account" v1; docs/provisioning.md, "The interface as we rely on it").

A ``client_credentials`` token request authenticated by an RS512 private_key_jwt assertion
(3.2.1, 4.1: ``iss`` and ``sub`` the client id, ``aud`` the token URL, a fresh ``jti``), made by
the one signer in core/client_assertion_signing.py; the bearer token is used again while it
lives (3.1: "multiple times while TTL (300 seconds) is valid"), until the ``exp`` of the token
itself, which 4.2 says clients MUST use, or ``expires_in`` if that comes first; then
``POST {base}/provision-account`` with the five mandatory keys (3.3.1). Both calls go through
core/outbound.py and share one deadline. No retries.

Never logged: the token, the assertion, the key, or the patient's details.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from core.client_assertion import JWT_BEARER
from core.client_assertion_signing import client_assertion_sign
from core.outbound import (
    Deadline,
    OutboundResponseInvalidError,
    OutboundUnavailableError,
    http_request,
    json_object,
)
from core.rsa_keys import private_key_of_setting
from provisioning.outcomes import ERROR_CODES, SUCCESS_CODES

logger = logging.getLogger(__name__)

# A token this close to its end is not used: it could expire on its way.
TOKEN_RENEW_MARGIN_SECONDS = 30


class ProvisioningUnavailableError(Exception):
    """NHS login did not answer as the interface says: down, too slow, refused our token
    request, or answered something that is not one of its codes. Nothing is known to be done."""


@dataclass(frozen=True)
class ProvisionDetails:
    """The request body of 3.3.1, as the table names its keys."""

    nhs_number: str = field(repr=False)
    email_address: str = field(repr=False)
    date_of_birth: str = field(repr=False)
    ods_code: str
    phone_number: str = field(repr=False)


@dataclass
class _Token:
    value: str = field(repr=False)
    usable_until: float


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()


def provisioning_configured() -> bool:
    return bool(
        settings.NHS_LOGIN_PROVISIONING_URL
        and settings.NHS_LOGIN_PROVISIONING_TOKEN_URL
        and settings.NHS_LOGIN_PROVISIONING_CLIENT_ID
        and settings.NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH
    )


def provisioning_tokens_forget() -> None:
    """Forget the bearer tokens held (the tests, between providers)."""
    with _tokens_lock:
        _tokens.clear()


def _client_private_key() -> rsa.RSAPrivateKey:
    """Read again when the file changes (key rotation)."""
    return private_key_of_setting("NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH")


def _token_lifetime_end(body: dict[str, object], now: float) -> float:
    """When the token stops being usable: its own ``exp`` (4.2), or ``expires_in`` seconds
    from now if sooner or if the token is not a JWT we can read (3.2.3 calls it opaque)."""
    expires_in = body.get("expires_in")
    ends = now + float(expires_in) if isinstance(expires_in, int | float) else now
    access_token = body["access_token"]
    try:
        claims = jwt.decode(str(access_token), options={"verify_signature": False})
    except jwt.PyJWTError:
        return ends
    exp = claims.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        return min(ends, float(exp)) if isinstance(expires_in, int | float) else float(exp)
    return ends


def _token_request(deadline: Deadline) -> _Token:
    token_url = settings.NHS_LOGIN_PROVISIONING_TOKEN_URL
    assertion = client_assertion_sign(
        private_key=_client_private_key(),
        client_id=settings.NHS_LOGIN_PROVISIONING_CLIENT_ID,
        audience=token_url,
    )
    try:
        response = http_request(
            "POST",
            token_url,
            timeout=deadline.remaining(),
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
        )
        body = json_object(response, "The provisioning token response")
    except (OutboundUnavailableError, OutboundResponseInvalidError) as error:
        raise ProvisioningUnavailableError("the token endpoint did not answer") from error
    if response.status_code != 200:
        logger.warning(
            "Provisioning token request refused: HTTP %s, error %s",
            response.status_code,
            str(body.get("error", ""))[:40],
        )
        raise ProvisioningUnavailableError("the token request was refused")
    if not isinstance(body.get("access_token"), str) or body.get("token_type") != "Bearer":
        raise ProvisioningUnavailableError("the token response has no bearer token")
    now = time.time()
    return _Token(str(body["access_token"]), _token_lifetime_end(body, now))


def _bearer_token(deadline: Deadline) -> str:
    """The token held for this client while it lives, else a new one."""
    key = (settings.NHS_LOGIN_PROVISIONING_TOKEN_URL, settings.NHS_LOGIN_PROVISIONING_CLIENT_ID)
    with _tokens_lock:
        held = _tokens.get(key)
        if held is not None and held.usable_until - TOKEN_RENEW_MARGIN_SECONDS > time.time():
            return held.value
    fresh = _token_request(deadline)
    with _tokens_lock:
        _tokens[key] = fresh
    return fresh.value


def _token_drop(value: str) -> None:
    with _tokens_lock:
        for key, held in list(_tokens.items()):
            if held.value == value:
                del _tokens[key]


def account_provision_call(details: ProvisionDetails) -> str:
    """NHS login's answer to one provisioning request: ``create``, ``uplift`` or one of the
    error codes of 3.3.3. Raises ProvisioningUnavailableError when there is none."""
    deadline = Deadline.after(settings.NHS_LOGIN_PROVISIONING_TIMEOUT_SECONDS)
    token = _bearer_token(deadline)
    url = f"{settings.NHS_LOGIN_PROVISIONING_URL}/provision-account"
    try:
        response = http_request(
            "POST",
            url,
            timeout=deadline.remaining(),
            data=json.dumps(
                {
                    "nhs_number": details.nhs_number,
                    "email_address": details.email_address,
                    "date_of_birth": details.date_of_birth,
                    "ods_code": details.ods_code,
                    "phone_number": details.phone_number,
                }
            ),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        if response.status_code == 401:
            # The token is no good (revoked, or the provider's keys changed): the next request
            # gets a new one. This one is not retried.
            _token_drop(token)
            raise ProvisioningUnavailableError("the bearer token was refused")
        body = json_object(response, "The provision account answer")
    except (OutboundUnavailableError, OutboundResponseInvalidError) as error:
        raise ProvisioningUnavailableError("provision-account did not answer") from error
    # The example error response sends its code as " 11004": surrounding spaces are forgiven.
    code = str(body.get("code", "")).strip()
    answered = (code in SUCCESS_CODES and response.status_code == 200) or (
        code in ERROR_CODES and 400 <= response.status_code < 500
    )
    logger.info("Provision account answered %s (HTTP %s)", code[:10], response.status_code)
    if not answered:
        raise ProvisioningUnavailableError("provision-account answered no code of the interface")
    return code
