"""The one place the portal makes outbound HTTP calls (STYLE.md, "One seam for the outside
world"): an explicit timeout, no redirects followed, no retries, and failures turned into one
exception. Nothing else imports requests.

It logs the method, the address and the status only: never a body or a header.
"""

from __future__ import annotations

import http.cookiejar
import logging
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter

logger = logging.getLogger(__name__)

_sessions = threading.local()


class OutboundUnavailableError(Exception):
    """The other side timed out, refused the connection or answered 5xx."""


class OutboundResponseInvalidError(Exception):
    """The other side answered with something that is not a JSON object."""


def _session() -> requests.Session:
    """One session per thread (a requests.Session is not safe to share between threads), so
    calls to NHS login reuse a kept-alive connection instead of a new TCP and TLS handshake each
    time. Never a retry: a failed call fails once."""
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is None:
        session = requests.Session()
        # Shared by every patient this thread serves: it must remember no cookie.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        for prefix in ("https://", "http://"):
            session.mount(prefix, HTTPAdapter(max_retries=0))
        _sessions.session = session
    return session


def outbound_connections_close() -> None:
    """Close this thread's kept-alive connections; the next call opens a new one.

    An app server's threads keep theirs for the life of the process. The tests close the test
    thread's after each test: a live server's handler thread left waiting on an idle kept-alive
    connection would hold its database connection open past the end of the test run.
    """
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is not None:
        session.close()
        del _sessions.session


def http_request(method: str, url: str, *, timeout: float, **kwargs: Any) -> requests.Response:
    try:
        response = _session().request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as error:
        logger.warning("Outbound call timed out: %s %s", method, url)
        raise OutboundUnavailableError(f"{url} timed out") from error
    except requests.RequestException as error:
        logger.warning("Outbound call failed: %s %s (%s)", method, url, type(error).__name__)
        raise OutboundUnavailableError(f"{url} unreachable") from error
    if response.status_code >= 500:
        logger.warning("Outbound call failed: %s %s answered %s", method, url, response.status_code)
        raise OutboundUnavailableError(f"{url} answered {response.status_code}")
    return response


def json_object(response: requests.Response, what: str) -> dict[str, Any]:
    try:
        parsed = response.json()
    except ValueError as error:
        logger.warning("%s was not JSON (HTTP %s)", what, response.status_code)
        raise OutboundResponseInvalidError(f"{what} was not JSON") from error
    if not isinstance(parsed, dict):
        raise OutboundResponseInvalidError(f"{what} was not a JSON object")
    return parsed
