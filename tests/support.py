"""Test support shared by every app's tests, imported as ``tests.support`` (fixtures stay in
conftest.py, which pytest finds by itself; what a test imports by name lives here)."""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls.resolvers import RoutePattern, URLPattern, URLResolver
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page

from accounts.models import Patient, User
from accounts.staff_two_factor import staff_totp_device_of
from demo.practice import DEMO_ODS_CODE
from linkage.practice_staff import practice_staff_key_actions_grant

# The practice most tests work at is the demo practice, whose register the simulator's users
# match; the other is one no simulator user belongs to.
THIS_PRACTICE = DEMO_ODS_CODE
OTHER_PRACTICE = "B23456"
# The portal's client of the simulator's Provision Account interface (conftest.py's
# provisioning_live).
PROVISIONING_CLIENT_ID = "citizen-portal-provisioning-under-test"


@dataclass(frozen=True)
class NhsLoginLive:
    """The portal and the simulator on one live server, the portal registered as a client."""

    base_url: str
    issuer: str
    client_id: str
    private_key_path: Path


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the staff member's authenticator app shows now (or ``steps_ahead`` time steps
    later: a code is accepted once, and the device accepts the next step's too)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def two_factor_passed(client: Client, user: User) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator app and mark the client's session as having
    entered its code, as the admin's second step does (django_otp.login). The one way tests
    reach the admin past that step: the step itself stays on and is tested as on
    (accounts/tests/test_two_factor.py)."""
    device = staff_totp_device_of(user=user) or TOTPDevice.objects.create(
        user=user, name="Test authenticator", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def staff_signed_in(user: User) -> Client:
    """A browser signed in to the admin as ``user``, password and security code both given."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.is_staff:
        two_factor_passed(client, user)
    return client


def patient_signed_in(
    patient: Patient, *, enforce_csrf_checks: bool = False, raise_request_exception: bool = True
) -> Client:
    """A browser signed in as ``patient`` through NHS login, at the level their profile says."""
    client = Client(
        enforce_csrf_checks=enforce_csrf_checks, raise_request_exception=raise_request_exception
    )
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    return client


def key_permissions_granted(user: User) -> User:
    """Let ``user`` issue, reissue and revoke keys at their practices (docs/adr/0024)."""
    practice_staff_key_actions_grant(user)
    return user


AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text()


def axe_violations(page: Page, *, read_stylesheets: bool = True) -> list[dict[str, Any]]:
    """Run axe-core on the page as it stands and return its violations (WCAG 2.2 AA rules).

    ``read_stylesheets=False`` skips axe's reading of the page's CSS (its "cssom" preload,
    which only the css-orientation-lock rule uses): for Django admin's form pages, whose
    forms.css @imports widgets.css, a stylesheet axe reads by adding it to the page as an
    inline <style>, which the Content Security Policy refuses (and the page fixture fails)."""
    page.wait_for_load_state("load")
    # Evaluated through the DevTools protocol rather than added as a <script>, which the
    # page's Content Security Policy would rightly block; once per document.
    if page.evaluate("typeof axe === 'undefined'"):
        page.evaluate(_axe_source())
    # Only the violations are worked out in full (a selector for each node): every rule still
    # runs on every node, and the passes were never read.
    result: dict[str, Any] = page.evaluate(
        """async (preload) => await axe.run(document, {
            preload,
            resultTypes: ["violations"],
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                            "wcag22aa", "best-practice"]}
        })""",
        read_stylesheets,
    )
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


# Any address but this machine's own servers.
ELSEWHERE = re.compile(r"^(?!http://localhost|http://127\.0\.0\.1)")


def browser_page(browser: Browser, **context_options: Any) -> Iterator[Page]:
    """A page in a context of its own, cut off from all but this machine, that fails the test
    if the Content Security Policy blocks anything on it (the page fixtures use it)."""
    context = browser.new_context(**context_options)
    # Only the machine's own servers exist here: refuse anything else at once (the design
    # system's web fonts are on assets.nhs.uk) instead of waiting for a lookup to fail. A
    # pattern, not a Python predicate: Playwright then holds only those requests, where a
    # predicate has every request of every page wait for this process to look at it.
    context.route(ELSEWHERE, lambda route: route.abort())
    page = context.new_page()
    # Anything the Content Security Policy blocks is a bug in our pages: fail the test.
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(f"{page.url}: {message.text[:60]}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert blocked == [], f"the Content Security Policy blocked: {blocked}"


@contextmanager
def json_answering_server(answer: Callable[[str], dict[str, Any]]) -> Iterator[str]:
    """A server on a port of its own that answers every GET with the JSON object ``answer``
    gives for its path; yields its address. For a provider's discovery document or keys."""

    class Answers(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer(self.path)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def discovery_elsewhere(issuer: str, *, code_exchange_path: str = "/token") -> dict[str, str]:
    """A provider's discovery document that puts its sign-in page on another origin (OpenID
    Connect Discovery 1.0, 3: any URL it likes), its other endpoints under ``issuer`` (the token
    endpoint at ``code_exchange_path``); for ``json_answering_server``."""
    return {
        "issuer": issuer,
        "authorization_endpoint": "https://sign-in.provider.example/authorize",
        "token_endpoint": f"{issuer}{code_exchange_path}",
        "userinfo_endpoint": f"{issuer}/userinfo",
        "jwks_uri": f"{issuer}/jwks",
    }


def url_routes(
    patterns: list[Any], prefix: str = "", *, fixed_only: bool = False
) -> list[tuple[str, Any]]:
    """Every address the URL patterns hold, with the view each names; with ``fixed_only``, only
    those written without a converter (which a test can ask for as they are)."""
    found: list[tuple[str, Any]] = []
    for pattern in patterns:
        if fixed_only and (
            not isinstance(pattern.pattern, RoutePattern) or pattern.pattern.converters
        ):
            continue
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += url_routes(pattern.url_patterns, route, fixed_only=fixed_only)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.callback))
    return found
