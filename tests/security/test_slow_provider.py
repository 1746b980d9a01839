"""A provider that drips its answer, over real HTTP against the simulator: a byte at a time,
each well inside any read timeout, so only a deadline for the whole call stops it. The portal
gives up at its deadline and shows the plain "NHS login is not working at the moment" page
long before the app server's worker timeout (so never gunicorn's bare 500 page); the callback's
calls share one budget, enforced at start-up below the worker timeout; and gunicorn's own
error log, which names a failed request's URI, writes no code or state."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import Patient
from tests.portal_browser import PortalBrowser
from tests.security.test_provider_faults import provider_calls  # noqa: F401 - a fixture
from tests.settings_process import settings_import
from tests.support import NhsLoginLive

DRIP_SECONDS = 0.05  # a byte every 50 ms: the whole answer would take a minute or more


def _callback_answered(
    nhs_login_live: NhsLoginLive, calls: Counter[str], fault: str
) -> tuple[float, int, str]:
    browser = PortalBrowser(nhs_login_live.base_url)
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    callback = browser.answer_simulator(sign_in_page, user="p9-demo-practice", fault=fault)
    calls.clear()
    started = time.monotonic()
    page = browser.follow(callback)
    elapsed = time.monotonic() - started
    assert browser.get("/home/").status_code == 302  # not signed in
    return elapsed, page.status_code, page.text


DRIP_FAULTS = [
    pytest.param("token_drip", 0, id="token-drips"),
    pytest.param("userinfo_drip", 1, id="userinfo-drips"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("fault", "userinfo_calls"), DRIP_FAULTS)
def test_a_provider_dripping_its_answer_is_given_up_at_the_call_deadline(
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    provider_calls: Counter[str],  # noqa: F811 - the fixture imported above
    fault: str,
    userinfo_calls: int,
) -> None:
    settings.NHS_LOGIN_TIMEOUT_SECONDS = 2.0  # room for the token call before a userinfo drip
    settings.NHS_LOGIN_SIMULATOR_DRIP_SECONDS = DRIP_SECONDS

    elapsed, status, text = _callback_answered(nhs_login_live, provider_calls, fault)

    assert status == 503
    assert "NHS login is not working at the moment" in text
    assert elapsed < 4.0  # the call's deadline, not the minute the answer would take
    assert provider_calls["token"] == 1  # never retried
    assert provider_calls["userinfo"] == userinfo_calls
    assert not Patient.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("fault", "userinfo_calls"), DRIP_FAULTS)
def test_the_callbacks_calls_together_end_within_its_budget(
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    provider_calls: Counter[str],  # noqa: F811 - the fixture imported above
    fault: str,
    userinfo_calls: int,
) -> None:
    settings.NHS_LOGIN_TIMEOUT_SECONDS = 20  # each call alone could take long
    settings.NHS_LOGIN_CALLBACK_BUDGET_SECONDS = 3.0
    settings.NHS_LOGIN_SIMULATOR_DRIP_SECONDS = DRIP_SECONDS

    elapsed, status, text = _callback_answered(nhs_login_live, provider_calls, fault)

    assert status == 503
    assert "NHS login is not working at the moment" in text
    assert elapsed < 5.0  # the budget, not one call's 20 s
    assert provider_calls["token"] == 1
    assert provider_calls["userinfo"] == userinfo_calls


PRINT_BUDGET = """
from django.conf import settings
print(settings.NHS_LOGIN_CALLBACK_BUDGET_SECONDS, settings.GUNICORN_TIMEOUT_SECONDS)
"""


@pytest.mark.parametrize(
    ("environment", "starts"),
    [
        pytest.param({}, True, id="defaults-20-below-30"),
        pytest.param({"GUNICORN_TIMEOUT_SECONDS": "60"}, True, id="longer-worker-timeout"),
        pytest.param(
            {"NHS_LOGIN_CALLBACK_BUDGET_SECONDS": "26"}, False, id="budget-too-close-to-timeout"
        ),
        pytest.param(
            {"NHS_LOGIN_CALLBACK_BUDGET_SECONDS": "20", "GUNICORN_TIMEOUT_SECONDS": "20"},
            False,
            id="worker-timeout-lowered-to-the-budget",
        ),
    ],
)
def test_the_callback_budget_must_stay_below_the_worker_timeout(
    tmp_path: Path, environment: dict[str, str], starts: bool
) -> None:
    completed = settings_import("test", environment, tmp_path, script=PRINT_BUDGET)

    assert (completed.returncode == 0) is starts, completed.stderr
    if not starts:
        assert "must be at least 5 seconds below GUNICORN_TIMEOUT_SECONDS" in completed.stderr


# gunicorn's own error log, configured as gunicorn.conf.py configures it, given what gunicorn
# writes when a request fails or its worker is killed: "Error handling request" with the URI.
GUNICORN_LOGS = """
import logging, runpy, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger

config = Config()
for name, value in runpy.run_path("gunicorn.conf.py").items():
    if name in config.settings:
        config.set(name, value)
log = Logger(config)
uri = "/auth/nhs-login/callback/?code=sim-code-4f1b9c&state=state-9d2e77a1"
try:
    raise RuntimeError("worker aborted while serving " + uri)
except RuntimeError:
    log.exception("Error handling request %s %s", "GET", uri)
log.error("Error handling request %s", uri)
"""


def test_gunicorns_error_log_writes_no_code_or_state(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", GUNICORN_LOGS],
        cwd=django_settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "GUNICORN_LOG_LEVEL": "info"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    error_log = completed.stderr
    assert error_log.count("Error handling request GET /auth/nhs-login/callback/") == 1
    assert "Traceback" in error_log  # the traceback is written, redacted too
    assert "code=[redacted]&state=[redacted]" in error_log
    assert "sim-code-4f1b9c" not in error_log
    assert "state-9d2e77a1" not in error_log
