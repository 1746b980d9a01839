"""The simulator as a client of GP systems' linkage APIs, as NHS login is of each GP system's
(IDS68 NL01; the contract is docs/linkage-api.md, and docs/adr/0026 says why).

Which GP system holds a practice is a directory (``NHS_LOGIN_SIMULATOR_GP_SYSTEMS``). Each call
is a bearer-token POST; the token comes from the GP system's token endpoint for an RS512
client assertion (RFC 7523) signed with the simulator's linkage client key, and is kept and
reused, per GP system, until shortly before its ``expires_in`` runs out. A token the GP system
no longer accepts (it restarted, say) is replaced once. All of it goes through core/outbound.py
within one deadline for the whole exchange.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

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
from nhs_login_simulator.keys import linkage_client_private_key

TOKEN_PATH = "/api/oauth2/token"  # noqa: S105 (a path, not a password)
# A token is not used in the last part of its life, so it never expires on the way.
TOKEN_EXPIRY_MARGIN_SECONDS = 30.0
_ERROR_CODE = re.compile(r"[A-Za-z_]{1,40}")


class GpSystemUnavailableError(Exception):
    """The GP system did not answer in time, could not be reached, or answered something that
    is not its contract (5xx, not JSON, fields missing)."""


class GpSystemRefusedError(Exception):
    """The GP system answered with a refusal (4xx): its status and, from a linkage call, its
    ``errorCode`` (docs/linkage-api.md, "Errors")."""

    def __init__(self, status: int, error_code: str) -> None:
        super().__init__(f"HTTP {status} {error_code}")
        self.status = status
        self.error_code = error_code


@dataclass(frozen=True)
class _Token:
    access_token: str = field(repr=False)
    usable_until: float


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()


def gp_system_tokens_forget() -> None:
    """Forget every kept token: the next call to each GP system asks for a new one."""
    with _tokens_lock:
        _tokens.clear()


def _now() -> float:
    return time.monotonic()


def _token_request(base_url: str, client_id: str, deadline: Deadline) -> _Token:
    token_url = f"{base_url}{TOKEN_PATH}"
    assertion = client_assertion_sign(
        private_key=linkage_client_private_key(), client_id=client_id, audience=token_url
    )
    response = _post(
        token_url,
        deadline,
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        },
    )
    if 400 <= response.status_code < 500:
        raise GpSystemRefusedError(response.status_code, _code(_refusal(response).get("error")))
    if response.status_code != 200:
        raise GpSystemUnavailableError(f"the token endpoint answered {response.status_code}")
    body = _json(response)
    access_token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(access_token, str) or not access_token:
        raise GpSystemUnavailableError("the token answer has no access_token")
    if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
        raise GpSystemUnavailableError("the token answer has no expires_in")
    margin = min(TOKEN_EXPIRY_MARGIN_SECONDS, expires_in / 2)
    return _Token(access_token, _now() + expires_in - margin)


def _bearer_token(base_url: str, deadline: Deadline, *, fresh: bool) -> tuple[str, bool]:
    """The token to call the GP system with, and whether it was just issued."""
    key = (base_url, settings.NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID)
    with _tokens_lock:
        kept = _tokens.get(key)
    if kept is not None and kept.usable_until > _now() and not fresh:
        return kept.access_token, False
    token = _token_request(base_url, key[1], deadline)
    with _tokens_lock:
        _tokens[key] = token
    return token.access_token, True


def _json(response: Any) -> dict[str, Any]:
    try:
        return json_object(response, "The GP system's answer")
    except OutboundResponseInvalidError as error:
        raise GpSystemUnavailableError("the answer was not a JSON object") from error


def _refusal(response: Any) -> dict[str, Any]:
    """A 4xx's body, or nothing if it is not JSON: a refusal whatever it says."""
    try:
        return _json(response)
    except GpSystemUnavailableError:
        return {}


def _code(value: object) -> str:
    """An error code as the GP system gave it, if it looks like one: it is logged, so never
    free text."""
    if isinstance(value, str) and _ERROR_CODE.fullmatch(value):
        return value
    return "no error code"


def _post(url: str, deadline: Deadline, **kwargs: Any) -> Any:
    """One call within what is left of the deadline; every way it fails is unavailability."""
    try:
        return http_request("POST", url, timeout=deadline.remaining(), **kwargs)
    except (OutboundUnavailableError, OutboundResponseInvalidError) as error:
        raise GpSystemUnavailableError(type(error).__name__) from error


def linkage_post(
    base_url: str, path: str, body: dict[str, str], deadline: Deadline
) -> dict[str, Any]:
    """POST ``body`` to a linkage call of the GP system at ``base_url`` and return the JSON
    object of its 2xx answer. A 4xx raises GpSystemRefusedError with its ``errorCode``, but a
    401 to a kept token, which is retried once with a new one."""
    token, fresh = _bearer_token(base_url, deadline, fresh=False)
    while True:
        response = _post(
            f"{base_url}{path}",
            deadline,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code == 401 and not fresh:
            token, fresh = _bearer_token(base_url, deadline, fresh=True)
            continue
        if 400 <= response.status_code < 500:
            error_code = _code(_refusal(response).get("errorCode"))
            raise GpSystemRefusedError(response.status_code, error_code)
        if not 200 <= response.status_code < 300:
            raise GpSystemUnavailableError(f"the GP system answered {response.status_code}")
        return _json(response)
