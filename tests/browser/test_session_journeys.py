"""Session journeys in Chromium, axe on every portal page: a page whose session ends moves
itself into NHS login with no button to press (NHS login's "Session management"), with and
without JavaScript, and the link to NHS login's settings ("NHS login user settings")."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.browser.test_sign_in_journeys import P9_USER, share_if_asked, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
NHS_LOGIN_SIGN_IN = "Sign in with a test user"
WARNING = "You're about to be signed out"


def nhs_login_sign_in_with_prompt_login(nhs_login_live: NhsLoginLive) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(nhs_login_live.issuer)}/authorize\?.*prompt=login")


def sign_in_again_at_nhs_login(page: Page) -> None:
    page.get_by_label(P9_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    share_if_asked(page, NHS_LOGIN_SIGN_IN)


def test_when_the_warning_runs_out_the_page_moves_itself_into_nhs_login_and_back(
    page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    sign_in(page, nhs_login_live.base_url, P9_USER)
    page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")

    expect(page.get_by_role("heading", level=1)).to_have_text(WARNING, timeout=9000)
    expect(page.get_by_role("button", name="Stay signed in")).to_be_visible()
    check_accessibility(page)

    # Nothing pressed: the page takes the browser to NHS login for a full authentication.
    expect(page).to_have_url(nhs_login_sign_in_with_prompt_login(nhs_login_live), timeout=20000)
    expect(page.get_by_role("heading", level=1)).to_have_text(NHS_LOGIN_SIGN_IN)
    sign_in_again_at_nhs_login(page)

    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/linkage-details/")
    check_accessibility(page)


def test_without_javascript_the_page_still_moves_itself_into_nhs_login(
    no_js_page: Page, nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Your details")

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(WARNING, timeout=9000)
    expect(no_js_page).to_have_url(
        nhs_login_sign_in_with_prompt_login(nhs_login_live), timeout=20000
    )
    sign_in_again_at_nhs_login(no_js_page)

    expect(no_js_page).to_have_url(f"{nhs_login_live.base_url}/home/")


def test_at_the_12_hour_limit_an_open_page_moves_into_nhs_login_without_a_warning(
    page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    """ "Stay signed in" cannot extend the 12 hours, so no warning page comes first."""
    settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS = 8
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    sign_in(page, nhs_login_live.base_url, P9_USER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    check_accessibility(page)

    expect(page).to_have_url(nhs_login_sign_in_with_prompt_login(nhs_login_live), timeout=20000)

    assert not [url for url in visited if "/auth/session/expiring/" in url]
    sign_in_again_at_nhs_login(page)
    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/")


def test_the_header_links_to_nhs_login_settings_in_the_same_tab(
    page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    settings.NHS_LOGIN_SETTINGS_URL = f"{nhs_login_live.issuer}/settings"
    sign_in(page, nhs_login_live.base_url, P9_USER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    account = page.get_by_role("navigation", name="Account")
    expect(account.get_by_role("link", name="NHS login settings")).to_be_visible()
    expect(page.get_by_role("link", name="Go to your NHS login settings")).to_be_visible()
    check_accessibility(page)

    account.get_by_role("link", name="NHS login settings").click()

    expect(page).to_have_url(f"{nhs_login_live.issuer}/settings")
    assert len(page.context.pages) == 1  # the same tab
    # The patient's own NHS login account, without signing in again.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your NHS login")
    expect(page.locator("main")).to_contain_text("ava.thompson@example.org")
