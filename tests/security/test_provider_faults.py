"""NHS login failing under the portal, over real HTTP against the simulator: a timeout, a 500,
an HTML page or a dropped connection at the token or userinfo endpoint each give the patient a
plain page within the configured timeout, store nothing, and cost NHS login exactly one call
(the portal never retries: docs/adr/0006, "no retries"). tests/test_sign_in.py covers the
ID token and userinfo faults that must be refused."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.signals import request_started
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Patient
from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

# Generous enough that a loaded CI machine still answers the calls that are meant to succeed
# (the token call before a userinfo fault) inside the timeout; the slow faults sleep well past it.
TIMEOUT_SECONDS = 2.0
SLOW_SECONDS = 5.0
SIMULATOR = "/nhs-login-simulator/"


@pytest.fixture
def provider_calls() -> Iterator[Counter[str]]:
    """Every request the simulator receives, by endpoint: it shares the live server's process,
    so Django's request_started signal sees each one arrive."""
    calls: Counter[str] = Counter()

    def count(sender: Any, environ: dict[str, Any], **kwargs: Any) -> None:
        path = environ.get("PATH_INFO", "")
        if path.startswith(SIMULATOR):
            calls[path.removeprefix(SIMULATOR)] += 1

    request_started.connect(count)
    yield calls
    request_started.disconnect(count)


@pytest.mark.parametrize(
    ("fault", "userinfo_calls"),
    [
        pytest.param("token_slow", 0, id="token-times-out"),
        pytest.param("token_server_error", 0, id="token-500"),
        pytest.param("token_not_json", 0, id="token-html"),
        pytest.param("token_connection_dropped", 0, id="token-drops-connection"),
        pytest.param("userinfo_slow", 1, id="userinfo-times-out"),
        pytest.param("userinfo_server_error", 1, id="userinfo-500"),
        pytest.param("userinfo_not_json", 1, id="userinfo-html"),
        pytest.param("userinfo_connection_dropped", 1, id="userinfo-drops-connection"),
    ],
)
def test_a_failing_provider_gets_one_call_and_the_patient_a_plain_page_in_time(
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    provider_calls: Counter[str],
    fault: str,
    userinfo_calls: int,
) -> None:
    settings.NHS_LOGIN_TIMEOUT_SECONDS = TIMEOUT_SECONDS
    settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS = SLOW_SECONDS
    browser = PortalBrowser(nhs_login_live.base_url)
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    callback = browser.answer_simulator(sign_in_page, user="p9-demo-practice", fault=fault)
    provider_calls.clear()

    started = time.monotonic()
    page = browser.follow(callback)
    elapsed = time.monotonic() - started

    assert page.status_code == 503
    assert "NHS login is not working at the moment" in page.text
    assert "Continue to NHS login" in page.text  # the patient can try again, by choice
    assert "Traceback" not in page.text
    assert elapsed < SLOW_SECONDS  # abandoned at the timeout, not after the provider's delay
    assert provider_calls["token"] == 1  # no retry storm
    assert provider_calls["userinfo"] == userinfo_calls
    assert not Patient.objects.exists()
    assert browser.get("/home/").status_code == 302  # not signed in
