"""The outbound HTTP seam: kept-alive connections, no retries, no cookies carried over."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.outbound import OutboundUnavailableError, http_request


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    seen: list[tuple[int, str, str]] = []  # noqa: RUF012 - reset by the fixture

    def do_GET(self) -> None:
        _Recorder.seen.append((self.client_address[1], self.path, self.headers.get("Cookie", "")))
        status = 503 if self.path == "/unavailable" else 200
        body = b'{"ok": true}'
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
