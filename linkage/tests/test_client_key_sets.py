"""API clients registered by JWKS URL: their key set is read before any signature can be
checked, so a URL that hangs or fails must not stop the token endpoint, and nothing but a real
key set is ever kept as one (linkage/api_clients/key_sets.py). A local HTTP server plays the
client's JWKS URL; the token endpoint is called as a client would call it."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.test import Client as HttpClient

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate
from linkage.api_clients import key_sets as client_key_sets
from linkage.api_clients.key_sets import ClientKeySetUnavailableError, client_key_set_key
from linkage.models import ApiClient

HANG_SECONDS = 6  # longer than the fetch deadline: only the deadline ends the wait
FAST_SECONDS = 0.3


def _jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS512", "use": "sig"}


class _KeySetServer(BaseHTTPRequestHandler):
    """The client's JWKS URL: answers as ``answer`` says, counting every fetch."""

    answer: ClassVar[tuple[int, str, bytes] | None] = None  # None: hang
    fetches: ClassVar[int] = 0

    def do_GET(self) -> None:
        _KeySetServer.fetches += 1
        answer = _KeySetServer.answer
        if answer is None:
            time.sleep(HANG_SECONDS)
            return
        status, content_type, body = answer
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve_keys(*jwks: dict[str, Any]) -> None:
    _KeySetServer.answer = (200, "application/json", json.dumps({"keys": list(jwks)}).encode())


@pytest.fixture
def jwks_url() -> Iterator[str]:
    _KeySetServer.answer = None
    _KeySetServer.fetches = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _KeySetServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/.well-known/jwks.json"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def jwks_client(db: None, jwks_url: str) -> ApiClient:
    return ApiClient.objects.create(
        client_id=str(uuid.uuid4()),
        name="Key set client",
        jwks_url=jwks_url,
        scopes=["linkage:read"],
    )


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return private_key_generate()


def _token_request(
    client: ApiClient, key: rsa.RSAPrivateKey, *, kid: str | None
) -> tuple[float, Any]:
    now = int(time.time())
    claims = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": f"{settings.PORTAL_BASE_URL}/api/oauth2/token",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
    }
    assertion = jwt.encode(claims, key, algorithm="RS512", headers={"kid": kid} if kid else None)
    started = time.monotonic()
    response = HttpClient().post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion,
        },
    )
    return time.monotonic() - started, response


def test_a_hanging_jwks_url_costs_one_fetch_and_every_request_answers_fast(
    jwks_client: ApiClient, signing_key: rsa.RSAPrivateKey
) -> None:
    # Unsigned as far as the portal can tell: signed by a key nobody registered.
    first_seconds, first = _token_request(jwks_client, private_key_generate(), kid="k1")
    later = [_token_request(jwks_client, signing_key, kid="k1") for _ in range(4)]

    assert first.status_code == 401
    assert first.json()["error"] == "invalid_client"
    assert first_seconds < client_key_sets.JWKS_FETCH_SECONDS + 0.5  # its deadline, not 6 s
    assert client_key_sets.JWKS_FETCH_SECONDS <= 2
    for seconds, response in later:
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert seconds < FAST_SECONDS  # refused at once: the failure is remembered
    assert _KeySetServer.fetches == 1


def test_concurrent_requests_during_a_hung_fetch_are_refused_at_once_without_fetching(
    jwks_url: str,
) -> None:
    outcomes: list[tuple[float, str]] = []

    def ask() -> None:
        started = time.monotonic()
        try:
            client_key_set_key(client_id="concurrent", jwks_url=jwks_url, kid=None)
            outcome = "key"
        except ClientKeySetUnavailableError as error:
            outcome = str(error)
        outcomes.append((time.monotonic() - started, outcome))

    first = threading.Thread(target=ask)
    first.start()
    time.sleep(0.2)  # the first fetch is under way, hanging
    others = [threading.Thread(target=ask) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in [first, *others]:
        thread.join()

    assert _KeySetServer.fetches == 1
    assert all(outcome != "key" for _, outcome in outcomes)
    assert sorted(seconds for seconds, _ in outcomes)[:3] < [FAST_SECONDS] * 3


def test_a_failed_fetch_is_not_tried_again_until_its_window_has_passed(
    jwks_client: ApiClient, signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_key_sets, "JWKS_FAILURE_SECONDS", 1)
    _KeySetServer.answer = (500, "text/plain", b"down")
    _, failed = _token_request(jwks_client, signing_key, kid="k1")
    _serve_keys(_jwk(signing_key, "k1"))

    _, within_the_window = _token_request(jwks_client, signing_key, kid="k1")
    time.sleep(1.1)
    _, after_the_window = _token_request(jwks_client, signing_key, kid="k1")

    assert failed.status_code == 401
    assert within_the_window.status_code == 401
    assert after_the_window.status_code == 200
    assert _KeySetServer.fetches == 2


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param((404, "application/json", b'{"error": "not found"}'), id="404-json"),
        pytest.param((404, "text/html", b"<html><h1>Not found</h1></html>"), id="404-html"),
        pytest.param((200, "text/html", b"<html><h1>Sign in</h1></html>"), id="200-html"),
        pytest.param((200, "application/json", b'{"error": "nope"}'), id="200-json-without-keys"),
        pytest.param((200, "application/json", b'{"keys": "none"}'), id="200-keys-not-a-list"),
        pytest.param(
            (200, "application/json", b'{"keys": [{"kty": "EC", "kid": "k1"}]}'),
            id="200-no-rsa-key",
        ),
    ],
)
def test_an_error_or_a_body_that_is_not_a_key_set_is_never_kept_as_keys(
    jwks_client: ApiClient,
    signing_key: rsa.RSAPrivateKey,
    monkeypatch: pytest.MonkeyPatch,
    answer: tuple[int, str, bytes],
) -> None:
    monkeypatch.setattr(client_key_sets, "JWKS_FAILURE_SECONDS", 0)  # retried at once
    _KeySetServer.answer = answer
    _, refused = _token_request(jwks_client, signing_key, kid="k1")
    _serve_keys(_jwk(signing_key, "k1"))

    _, accepted = _token_request(jwks_client, signing_key, kid="k1")

    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert accepted.status_code == 200  # the bad answer was not kept as the client's keys
    assert _KeySetServer.fetches == 2


def test_a_key_set_that_cannot_be_used_is_logged_with_the_clients_id(
    jwks_client: ApiClient, signing_key: rsa.RSAPrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    """So that the operator knows whose JWKS URL to look at."""
    _KeySetServer.answer = (404, "application/json", b'{"error": "not found"}')

    with caplog.at_level(logging.WARNING, logger=client_key_sets.__name__):
        _, refused = _token_request(jwks_client, signing_key, kid="k1")

    assert refused.status_code == 401
    logged = [r.getMessage() for r in caplog.records if r.name == client_key_sets.__name__]
    assert len(logged) == 1
    assert logged[0].startswith(f"API client {jwks_client.client_id}: its JWKS cannot be used")


def test_a_rotated_key_is_found_by_one_refresh(
    jwks_client: ApiClient, signing_key: rsa.RSAPrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_key_sets, "JWKS_REFRESH_SECONDS", 0)
    old_key = private_key_generate()
    _serve_keys(_jwk(old_key, "2025"))
    _, with_the_old_key = _token_request(jwks_client, old_key, kid="2025")
    _serve_keys(_jwk(signing_key, "2026"), _jwk(old_key, "2025"))  # the client rotates

    _, with_the_new_key = _token_request(jwks_client, signing_key, kid="2026")
    _, old_key_again = _token_request(jwks_client, old_key, kid="2025")

    assert with_the_old_key.status_code == 200
    assert with_the_new_key.status_code == 200
    assert old_key_again.status_code == 200
    assert _KeySetServer.fetches == 2  # the one refresh; the known kid is served from the cache


def test_unknown_kids_refresh_the_key_set_at_most_once_a_window(
    jwks_client: ApiClient, signing_key: rsa.RSAPrivateKey
) -> None:
    _serve_keys(_jwk(signing_key, "k1"))
    _, known = _token_request(jwks_client, signing_key, kid="k1")

    unknown = [_token_request(jwks_client, signing_key, kid=f"made-up-{n}") for n in range(5)]

    assert known.status_code == 200
    assert [response.status_code for _, response in unknown] == [401] * 5
    assert _KeySetServer.fetches == 1  # the key set is younger than JWKS_REFRESH_SECONDS
