"""`make run` as the README says to start it, in Chromium: on a port of its own the portal's
address, its NHS login redirect URI and the built-in simulator's issuer all follow the port, so
a patient signs in from start to finish; with DEBUG off its pages and static files are served as
production serves them."""

from __future__ import annotations

import re
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


def test_make_run_with_debug_off_serves_its_pages_and_static_files_as_production_does(
    tmp_path: Path, page: Page, check_accessibility: Check
) -> None:
    """With DEBUG off the static files are served from the hashed copies collectstatic makes;
    `make run` collects them (manage.py local_setup), so no page is a 500 for want of them."""
    with make_run(tmp_path / "data", port=free_port(), DEBUG="false") as base_url:
        response = page.goto(base_url)
        assert response is not None
        assert response.status == 200
        stylesheet = page.locator("link[rel=stylesheet][href*='/static/css/portal.']")
        href = stylesheet.get_attribute("href")
        assert href is not None
        assert re.fullmatch(r"/static/css/portal\.[0-9a-f]{12}\.css", href), href
        css = requests.get(f"{base_url}{href}", timeout=10)
        assert css.status_code == 200
        assert css.headers["Content-Type"].startswith("text/css")
        check_accessibility(page)

        missing = page.goto(f"{base_url}/no-such-page/")
        assert missing is not None
        assert missing.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")

        sign_in(page, base_url, P9_USER)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
