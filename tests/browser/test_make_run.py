"""`make run` as the README says to start it, in Chromium: on a port of its own the portal's
address, its NHS login redirect URI and the built-in simulator's issuer all follow the port, so
a patient signs in from start to finish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.make_run import free_port, make_run

pytestmark = pytest.mark.browser

Check = Callable[[Page], None]


def test_make_run_on_another_port_signs_a_patient_in_through_its_own_simulator(
    tmp_path: Path, page: Page, check_accessibility: Check
) -> None:
    port = free_port()
    with make_run(tmp_path / "data", port=port) as base_url:
        discovery = requests.get(
            f"{base_url}/nhs-login-simulator/.well-known/openid-configuration", timeout=10
        ).json()
        assert discovery["issuer"] == f"http://127.0.0.1:{port}/nhs-login-simulator"
        assert discovery["authorization_endpoint"].startswith(f"{base_url}/")

        sign_in(page, base_url, P9_USER)

        expect(page).to_have_url(f"{base_url}/home/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
        check_accessibility(page)
