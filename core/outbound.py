"""The one place the portal makes outbound HTTP calls (CONTRIBUTING.md, "One seam for the outside
world"): a deadline for the whole call, a cap on the answer's size, no redirects followed, no
retries, and failures turned into one exception. Nothing else imports requests.

A read timeout alone bounds each wait for a byte, not the call: a server that drips its answer
a byte every few seconds never trips it, and holds the worker until the app server kills it.
So each call has one deadline, from before it connects to the last byte of the body: the body
is streamed and given up at the deadline, and a watchdog shuts the call's connection if the
server stalls mid-read (docs/operations.md, "When things fail").

It logs the method, the address and the status only: never a body or a header.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import logging
import socket
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

logger = logging.getLogger(__name__)

_sessions = threading.local()

_CHUNK_BYTES = 64 * 1024
# The addresses a thread's session remembers the environment's settings for.
_ADDRESSES_KEPT = 256


class OutboundUnavailableError(Exception):
    """The other side timed out, refused the connection or answered 5xx."""


class OutboundResponseInvalidError(Exception):
    """The other side answered with something that is not a JSON object, or too much of it."""


@dataclass(frozen=True)
class Deadline:
    """The end of the time an exchange of several calls may take, its calls together (a token
    request and the call it is for): each call gets what is left as its ``timeout``."""

    ends_at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left for the next call; none left is the other side being too slow, as a
        call that timed out is."""
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise OutboundUnavailableError("no time left for the next call")
        return left


@dataclass
class _Call:
    """One call's sockets, so its watchdog can cut them at the deadline."""

    sockets: list[socket.socket] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    expired: bool = False
    finished: bool = False

    def expire(self) -> None:
        """The deadline passed: shut the connection, which wakes the read blocked on it."""
        with self.lock:
            if self.finished:
                return
            self.expired = True
            for sock in self.sockets:
                # socket.socket's own shutdown, under a TLS socket's too.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def finish(self) -> None:
        with self.lock:
            self.finished = True


def _record_socket(connection: HTTPConnection) -> None:
    """Remember the socket a request was just sent on. The socket, not the connection: a
    connection that will close after its answer lets go of its socket before the body is read,
    while the answer still reads from it."""
    call: _Call | None = getattr(_sessions, "call", None)
    if call is not None and connection.sock is not None:
        with call.lock:
            call.sockets.append(connection.sock)
        if call.expired:  # the deadline passed while the request was being sent
            call.expire()


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        _record_socket(self)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        super().request(*args, **kwargs)
        _record_socket(self)


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, whose connections tell the call using them who they are."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPConnectionPool,
            "https": _WatchedHTTPSConnectionPool,
        }


class _Session(requests.Session):
    """requests' session, reading its proxy and certificate settings from the environment once
    per address rather than on every call: requests reads every ``*_PROXY`` variable and
    matches ``NO_PROXY`` each time, which was a tenth of a sign-in's back-channel cost, and a
    running server's environment does not change."""

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[Hashable, Any] = {}

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        address = urlsplit(str(url))
        try:
            key = (
                address.scheme,
                address.netloc,
                stream,
                verify,
                cert,
                frozenset((proxies or {}).items()),
            )
            settings_here = self._environment.get(key)
        except TypeError:  # something given that cannot be a key: as requests does
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        if settings_here is None:
            settings_here = super().merge_environment_settings(url, proxies, stream, verify, cert)
            if len(self._environment) >= _ADDRESSES_KEPT:
                self._environment.clear()
            self._environment[key] = settings_here
        return {**settings_here, "proxies": dict(settings_here["proxies"])}


def _session() -> requests.Session:
    """One session per thread (a requests.Session is not safe to share between threads), so
    calls to NHS login reuse a kept-alive connection instead of a new TCP and TLS handshake each
    time. Never a retry: a failed call fails once."""
    session: requests.Session | None = getattr(_sessions, "session", None)
    if session is None:
        session = _Session()
        # Shared by every patient this thread serves: it must remember no cookie.
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        for prefix in ("https://", "http://"):
            session.mount(prefix, _WatchedAdapter(max_retries=0))
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


def _body_read(response: requests.Response, *, url: str, max_bytes: int) -> bytes:
    """The whole body, refused as soon as it is known to be larger than ``max_bytes``
    (decompressed, so a small compressed answer cannot grow past the cap either)."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise OutboundResponseInvalidError(f"{url} answered more than {max_bytes} bytes")
    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise OutboundResponseInvalidError(f"{url} answered more than {max_bytes} bytes")
    return bytes(body)


def http_request(
    method: str, url: str, *, timeout: float, max_bytes: int | None = None, **kwargs: Any
) -> requests.Response:
    """Make one call, over within ``timeout`` seconds in all (connecting, sending, the
    answer's headers and its whole body), and with a body of at most ``max_bytes``
    (``OUTBOUND_MAX_RESPONSE_BYTES`` unless given). The response comes back read in full."""
    limit = settings.OUTBOUND_MAX_RESPONSE_BYTES if max_bytes is None else max_bytes
    call = _Call()
    watchdog = threading.Timer(timeout, call.expire)
    watchdog.daemon = True
    _sessions.call = call
    started = time.monotonic()
    watchdog.start()
    try:
        response = _session().request(
            method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs
        )
        try:
            body = _body_read(response, url=url, max_bytes=limit)
        finally:
            response.close()
    except OutboundResponseInvalidError:
        logger.warning("Outbound call answered too much: %s %s", method, url)
        raise
    except (requests.RequestException, OSError) as error:
        if call.expired or isinstance(error, requests.Timeout):
            logger.warning("Outbound call timed out: %s %s", method, url)
            raise OutboundUnavailableError(f"{url} timed out") from error
        logger.warning("Outbound call failed: %s %s (%s)", method, url, type(error).__name__)
        raise OutboundUnavailableError(f"{url} unreachable") from error
    finally:
        call.finish()
        watchdog.cancel()
        _sessions.call = None
    # A body read to its end just as the watchdog cut the line may be short: never trusted.
    if call.expired or time.monotonic() - started > timeout:
        logger.warning("Outbound call timed out: %s %s", method, url)
        raise OutboundUnavailableError(f"{url} timed out")
    response._content = body
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
    except RecursionError as error:
        # JSON nested deeper than Python's parser goes: an answer no contract describes.
        logger.warning("%s was nested too deeply (HTTP %s)", what, response.status_code)
        raise OutboundResponseInvalidError(f"{what} was nested too deeply") from error
    if not isinstance(parsed, dict):
        raise OutboundResponseInvalidError(f"{what} was not a JSON object")
    return parsed
