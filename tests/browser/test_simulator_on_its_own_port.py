"""The NHS login simulator on a port of its own, as `make simulator` runs it and .env.example
describes, in Chromium: the portal's start page lets its NHS login button lead to another origin
(the Content Security Policy's form-action follows the issuer: accounts/content_security_policy.py),
and a patient signs in from start to finish over real HTTP between the two servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.nhs_login_client import provider_metadata_forget
from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]


@pytest.fixture
def simulator_on_its_own_port(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> Iterator[str]:
    """A second server of this process on another port, whose simulator the portal signs in
    with: the portal's own pages stay on the first (the portal registered with its redirect
    URI there, by nhs_login_live)."""
    server = LiveServer("localhost:0")
    try:
        issuer = f"{server.url}/nhs-login-simulator"
        settings.NHS_LOGIN_SIMULATOR_ISSUER = issuer
        settings.NHS_LOGIN_ISSUER = issuer
        settings.NHS_LOGIN_SETTINGS_URL = f"{issuer}/settings"
        provider_metadata_forget()
        yield issuer
    finally:
        server.stop()


def test_the_nhs_login_button_leads_to_the_simulator_on_its_own_port_and_back(
    page: Page,
    nhs_login_live: NhsLoginLive,
    simulator_on_its_own_port: str,
    check_accessibility: Check,
) -> None:
    portal = nhs_login_live.base_url
    left_the_portal: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: (
            left_the_portal.append(frame.url)
            if frame.url.startswith(simulator_on_its_own_port)
            else None
        ),
    )

    sign_in(page, portal, P9_USER, check_accessibility)

    expect(page).to_have_url(f"{portal}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert left_the_portal, "the sign-in never reached the simulator on its own port"
    assert not simulator_on_its_own_port.startswith(portal)
