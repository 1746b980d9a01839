"""The outbound HTTP seam: kept-alive connections, no retries, no cookies carried over, one
deadline for the whole call however the answer trickles in, and a cap on its size."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from pytest_django.fixtures import Settings as SettingsWrapper

from core.outbound import (
    Deadline,
    OutboundResponseInvalidError,
    OutboundUnavailableError,
    http_request,
    json_object,
    outbound_connections_close,
)

DRIP_SECONDS = 0.05  # well inside any read timeout: only a deadline for the whole call stops it
DEADLINE_SECONDS = 0.5


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    seen: list[tuple[int, str, str]] = []  # noqa: RUF012 - reset by the fixture

    def _drip(self, data: bytes) -> None:
        for position in range(len(data)):
            self.wfile.write(data[position : position + 1])
            self.wfile.flush()
            time.sleep(DRIP_SECONDS)

    def do_GET(self) -> None:
        _Recorder.seen.append((self.client_address[1], self.path, self.headers.get("Cookie", "")))
        if self.path == "/drip-headers":
            self.close_connection = True
            self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" * 20)
            return
        if self.path == "/drip-body":
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self._drip(b'{"padding": "' + b"x" * 200 + b'"}')
            return
        status = 503 if self.path == "/unavailable" else 200
        body = b'{"ok": true}'
        if self.path.startswith("/size/"):
            body = b'"' + b"x" * (int(self.path.removeprefix("/size/")) - 2) + b'"'
        if self.path.startswith("/undeclared-size/"):
            self.close_connection = True
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * int(self.path.removeprefix("/undeclared-size/")))
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "tracker=1; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_calls_from_one_thread_reuse_one_connection(server: str) -> None:
    for path in ("/a", "/b", "/c"):
        assert http_request("GET", f"{server}{path}", timeout=5).status_code == 200

    ports = {port for port, _, _ in _Recorder.seen}
    assert [path for _, path, _ in _Recorder.seen] == ["/a", "/b", "/c"]
    assert len(ports) == 1


def test_a_proxy_the_environment_names_is_used(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's proxy settings hold, read once per address: here the recorder is
    the proxy, so it is asked for the absolute URL of a host that does not exist."""
    monkeypatch.setenv("HTTP_PROXY", server)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    outbound_connections_close()

    http_request("GET", "http://nhs-login.invalid/first", timeout=5)
    http_request("GET", "http://nhs-login.invalid/second", timeout=5)

    assert [path for _, path, _ in _Recorder.seen] == [
        "http://nhs-login.invalid/first",
        "http://nhs-login.invalid/second",
    ]


def test_the_environment_is_read_once_per_address(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests reads every proxy variable on each call; a running server's environment
    does not change."""
    outbound_connections_close()
    reads: list[str] = []
    read = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        reads.append(url)
        return read(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)

    for path in ("/a", "/b", "/c"):
        http_request("GET", f"{server}{path}", timeout=5)
    http_request("GET", f"{server.replace('127.0.0.1', 'localhost')}/d", timeout=5)

    assert reads == [f"{server}/a", f"{server.replace('127.0.0.1', 'localhost')}/d"]


def test_a_cookie_set_by_one_answer_is_never_sent_with_the_next(server: str) -> None:
    http_request("GET", f"{server}/first", timeout=5)
    http_request("GET", f"{server}/second", timeout=5)

    assert [cookie for _, _, cookie in _Recorder.seen] == ["", ""]


def test_a_failing_answer_is_not_retried(server: str) -> None:
    with pytest.raises(OutboundUnavailableError):
        http_request("GET", f"{server}/unavailable", timeout=5)

    assert [path for _, path, _ in _Recorder.seen] == ["/unavailable"]


def test_each_thread_has_a_session_of_its_own(server: str) -> None:
    http_request("GET", f"{server}/main", timeout=5)
    other = threading.Thread(target=lambda: http_request("GET", f"{server}/other", timeout=5))
    other.start()
    other.join()

    assert len({port for port, _, _ in _Recorder.seen}) == 2


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/drip-body", id="body-a-byte-at-a-time"),
        pytest.param("/drip-headers", id="headers-a-byte-at-a-time"),
    ],
)
def test_an_answer_that_trickles_in_is_given_up_at_the_deadline(server: str, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(OutboundUnavailableError, match="timed out"):
        http_request("GET", f"{server}{path}", timeout=DEADLINE_SECONDS)
    elapsed = time.monotonic() - started

    # The whole answer would take 10 s or more; the call ends at its deadline.
    assert DEADLINE_SECONDS <= elapsed < DEADLINE_SECONDS + 1.5
    assert [seen_path for _, seen_path, _ in _Recorder.seen] == [path]  # never retried


def test_a_connection_cut_at_the_deadline_is_not_used_again(server: str) -> None:
    with pytest.raises(OutboundUnavailableError):
        http_request("GET", f"{server}/drip-body", timeout=0.2)

    assert http_request("GET", f"{server}/after", timeout=5).json() == {"ok": True}


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/size/{size}", id="declared-in-content-length"),
        pytest.param("/undeclared-size/{size}", id="read-until-the-connection-closes"),
    ],
)
def test_an_answer_over_the_size_cap_is_refused(
    server: str, settings: SettingsWrapper, path: str
) -> None:
    settings.OUTBOUND_MAX_RESPONSE_BYTES = 1000

    assert len(http_request("GET", f"{server}{path.format(size=1000)}", timeout=5).content) == 1000
    with pytest.raises(OutboundResponseInvalidError, match="more than 1000 bytes"):
        http_request("GET", f"{server}{path.format(size=1001)}", timeout=5)


def test_the_default_size_cap_is_a_megabyte(server: str) -> None:
    assert len(http_request("GET", f"{server}/size/1000000", timeout=5).content) == 1_000_000
    with pytest.raises(OutboundResponseInvalidError):
        http_request("GET", f"{server}/size/1000001", timeout=5)


def test_json_nested_deeper_than_the_parser_goes_is_an_invalid_answer_not_a_crash() -> None:
    """A provider (or someone in the middle) answering with JSON nested a hundred thousand deep
    made the parser raise RecursionError, which escaped as a 500."""
    answer = requests.Response()
    answer.status_code = 200
    answer._content = b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    with pytest.raises(OutboundResponseInvalidError, match="nested too deeply"):
        json_object(answer, "NHS login token response")


def test_a_deadline_gives_each_call_what_is_left_and_none_once_it_has_passed() -> None:
    """One exchange's calls share its time (a token request and the call it is for)."""
    deadline = Deadline.after(30)

    assert 29 < deadline.remaining() <= 30
    with pytest.raises(OutboundUnavailableError, match="no time left"):
        Deadline(time.monotonic() - 0.001).remaining()
