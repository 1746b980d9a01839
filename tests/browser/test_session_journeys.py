"""Session journeys in Chromium, axe on every portal page: a page whose session ends moves
itself into NHS login with no button to press (NHS login's "Session management"), with and
without JavaScript, and the link to NHS login's settings ("NHS login user settings")."""

from __future__ import annotations

import re
import time
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

    warning = page.get_by_role("alertdialog", name=WARNING)
    expect(warning).to_be_visible(timeout=9000)
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_visible()
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


# --- The warning over the page (templates/accounts/session_warning_dialog.jinja) -------------

DEMO_KEY = "Xw7kQ2mR9tLpZ"


def _key_shown(page: Page, nhs_login_live: NhsLoginLive) -> list[str]:
    """Sign in, show the linkage key, and record every page the tab goes to from then on."""
    sign_in(page, nhs_login_live.base_url, P9_USER)
    page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")
    page.get_by_role("button", name="Show linkage key").click()
    expect(page.locator("#linkage-key")).to_have_text(DEMO_KEY)
    navigated: list[str] = []
    page.on("framenavigated", lambda frame: navigated.append(frame.url))
    return navigated


def test_the_warning_opens_over_the_key_and_stay_signed_in_keeps_the_patient_on_the_page(
    page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 14
    settings.SESSION_WARNING_SECONDS = 11
    navigated = _key_shown(page, nhs_login_live)
    shown_at = time.monotonic()

    warning = page.get_by_role("alertdialog", name=WARNING)
    expect(warning).to_be_visible(timeout=9000)
    # In place: the key the patient was copying is still on the page behind it.
    expect(page.locator("#linkage-key")).to_have_text(DEMO_KEY)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your linkage details")
    expect(warning).to_contain_text("we will sign you out in 1 minute")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    check_accessibility(page)

    warning.get_by_role("button", name="Stay signed in").click()

    expect(warning).to_be_hidden()
    expect(page.locator("#linkage-key")).to_have_text(DEMO_KEY)
    # The session was extended: the warning comes again on its new time, and once the first
    # limit has passed, the patient is still signed in.
    expect(warning).to_be_visible(timeout=9000)
    page.wait_for_timeout(max(0, (shown_at + 15 - time.monotonic()) * 1000))
    home = page.request.get(f"{nhs_login_live.base_url}/home/", max_redirects=0)
    assert home.status == 200
    assert navigated == []  # never left the page


def test_escape_closes_the_warning_and_keeps_the_patient_signed_in(
    page: Page, nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    """Escape would otherwise only hide the warning while the time ran out."""
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 12
    settings.SESSION_WARNING_SECONDS = 9
    navigated = _key_shown(page, nhs_login_live)
    warning = page.get_by_role("alertdialog", name=WARNING)
    expect(warning).to_be_visible(timeout=9000)

    page.keyboard.press("Escape")

    expect(warning).to_be_hidden()
    expect(warning).to_be_visible(timeout=9000)  # its timer started again: the post was answered
    expect(page.locator("#linkage-key")).to_have_text(DEMO_KEY)
    assert navigated == []


def test_the_warning_over_the_page_fits_a_320_pixel_screen(
    narrow_page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 12
    settings.SESSION_WARNING_SECONDS = 9
    _key_shown(narrow_page, nhs_login_live)

    warning = narrow_page.get_by_role("alertdialog", name=WARNING)
    expect(warning).to_be_visible(timeout=9000)
    box = warning.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 320
    check_accessibility(narrow_page)
