"""The sign-in rate limit behind a load balancer, over real HTTP: the portal's live server is
reached from 127.0.0.1, which the test makes the trusted proxy, and each request carries the
X-Forwarded-For header the load balancer would add for its client (docs/operations.md,
"Behind a load balancer"). A burst from many patients is served; one noisy address is turned
away alone; a client's own X-Forwarded-For neither frees it nor blames anyone else."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
import requests
import time_machine
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from core.rate_limit import rate_limit_reset
from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 5
JUMP_OFF = "/auth/nhs-app/"


@pytest.fixture(autouse=True)
def _a_fresh_minute() -> Iterator[None]:
    """The whole test within one fixed-window minute that no earlier run has counted in, so a
    minute boundary cannot split a burst (the counters are per minute, core/rate_limit.py)."""
    start = (datetime.now(UTC) + timedelta(minutes=1)).replace(second=1, microsecond=0)
    with time_machine.travel(start, tick=True):
        yield


@pytest.fixture
def behind_a_proxy(nhs_login_live: NhsLoginLive, settings: SettingsWrapper) -> str:
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SIGN_IN_RATE_LIMIT_PER_MINUTE = LIMIT
    return nhs_login_live.base_url


# Each test gets the next /24 of 198.18.0.0/15 (set aside for tests, RFC 2544) from a random
# start: tests run within one real minute share a simulated minute, so two of them drawing the
# same block at random would count against each other's limits.
_BLOCKS = itertools.count(secrets.randbelow(512))


def _addresses(count: int) -> list[str]:
    """Addresses no other test in this run used, and most likely no earlier run."""
    block = next(_BLOCKS) % 512
    return [f"198.{18 + block // 256}.{block % 256}.{host}" for host in range(1, count + 1)]


def _jump_off(base_url: str, forwarded_for: str) -> requests.Response:
    with requests.Session() as browser:
        return browser.get(
            f"{base_url}{JUMP_OFF}",
            headers={"X-Forwarded-For": forwarded_for},
            allow_redirects=False,
            timeout=10,
        )


def test_a_burst_from_many_addresses_is_served_while_one_noisy_address_is_limited(
    behind_a_proxy: str,
) -> None:
    noisy, *patients = _addresses(41)

    noise = [_jump_off(behind_a_proxy, noisy) for _ in range(LIMIT + 3)]
    burst = [_jump_off(behind_a_proxy, patient) for patient in patients for _ in range(2)]

    assert [r.status_code for r in noise] == [302] * LIMIT + [429] * 3
    assert "Too many attempts to sign in" in noise[-1].text
    assert 1 <= int(noise[-1].headers["Retry-After"]) <= 60
    # 80 sign-ins a minute through one load balancer, far above the noisy address's limit.
    assert {r.status_code for r in burst} == {302}
    assert all("/nhs-login-simulator/" in r.headers["Location"] for r in burst)


def test_the_button_and_sign_in_again_are_limited_by_the_client_address(
    behind_a_proxy: str,
) -> None:
    noisy, other = _addresses(2)
    browser = PortalBrowser(behind_a_proxy)
    browser.session.headers["X-Forwarded-For"] = noisy
    starts = [browser.press_nhs_login_button() for _ in range(LIMIT - 1)]
    starts.append(browser.get("/auth/nhs-login/sign-in-again/"))

    refused = browser.get("/auth/nhs-login/sign-in-again/")
    browser.session.headers["X-Forwarded-For"] = other

    assert [r.status_code for r in starts] == [302] * LIMIT
    assert refused.status_code == 429
    assert browser.press_nhs_login_button().status_code == 302


def test_a_forged_x_forwarded_for_does_not_let_an_address_escape_its_limit(
    behind_a_proxy: str,
) -> None:
    """The client sends its own X-Forwarded-For, a new value each time; the load balancer
    appends the address it really saw. Only that last hop counts."""
    noisy, *forged = _addresses(LIMIT + 4)

    responses = [_jump_off(behind_a_proxy, f"{value}, {noisy}") for value in forged]

    assert [r.status_code for r in responses] == [302] * LIMIT + [429] * 3


def test_a_forged_x_forwarded_for_cannot_use_up_another_address_s_limit(
    behind_a_proxy: str,
) -> None:
    victim, *attackers = _addresses(LIMIT + 4)

    for attacker in attackers:
        _jump_off(behind_a_proxy, f"{victim}, {attacker}")

    assert _jump_off(behind_a_proxy, victim).status_code == 302


def test_the_header_from_an_untrusted_remote_addr_is_ignored(
    behind_a_proxy: str, settings: SettingsWrapper
) -> None:
    """127.0.0.1 is not a trusted proxy here, so a different X-Forwarded-For on each request
    is the client's own invention: every request counts against 127.0.0.1."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    rate_limit_reset("sign-in:127.0.0.1")

    responses = [_jump_off(behind_a_proxy, address) for address in _addresses(LIMIT + 2)]

    assert [r.status_code for r in responses] == [302] * LIMIT + [429] * 2


# --- Pending sign-ins per session ------------------------------------------------------------


def _session(browser: PortalBrowser) -> dict[str, object]:
    engine = import_module(django_settings.SESSION_ENGINE)
    cookie = browser.session.cookies[django_settings.SESSION_COOKIE_NAME]
    return dict(engine.SessionStore(session_key=cookie).load())


@pytest.mark.parametrize(
    "way_in",
    ["button", "/auth/nhs-login/sign-in-again/", JUMP_OFF],
    ids=["button", "sign-in-again", "nhs-app-jump-off"],
)
def test_every_way_in_keeps_at_most_the_pending_flow_cap_in_the_session(
    nhs_login_live: NhsLoginLive, way_in: str
) -> None:
    """However many sign-ins one session starts, it keeps only the newest few (both the
    portal's record of each flow and mozilla-django-oidc's state and nonce), so the session
    store is bounded per session rather than by a guess about addresses."""
    cap = django_settings.NHS_LOGIN_MAX_PENDING_FLOWS
    browser = PortalBrowser(nhs_login_live.base_url)

    for _ in range(cap + 5):
        answer = browser.press_nhs_login_button() if way_in == "button" else browser.get(way_in)
        assert answer.status_code == 302
    stored = _session(browser)

    assert len(stored["nhs_login_flows"]) == cap  # type: ignore[arg-type]
    assert len(stored["oidc_states"]) == cap  # type: ignore[arg-type]
    # The newest is kept: the last redirect's state can still come back.
    last_state = answer.headers["Location"].split("state=")[1].split("&")[0]
    assert last_state in stored["nhs_login_flows"]  # type: ignore[operator]
