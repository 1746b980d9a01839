"""NL02 journeys in Chromium: sign in, step up, time out, sign out; axe on every page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
P9_USER = "P9 patient at the demo practice, with GP credentials"
P5_USER = "P5 patient at the demo practice (can prove who they are for P9)"


def share_if_asked(page: Page, left: str) -> None:
    """Once the browser has left the simulator page headed ``left``, share with the service if
    NHS login asks (first sign-in, a new level of verification, or more information)."""
    expect(page.get_by_role("heading", level=1)).not_to_have_text(left)
    page.wait_for_load_state()
    share = page.get_by_role("button", name="Share my information")
    if share.count():
        share.click()
        expect(page.get_by_role("heading", level=1)).not_to_have_text(
            re.compile("^Share your NHS login information")
        )


def sign_in(page: Page, base_url: str, user: str, check: Check | None = None) -> None:
    page.goto(base_url)
    if check:
        check(page)
    page.get_by_role("button", name="Continue to NHS login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a test user")
    if check:
        check(page)
    page.get_by_label(user).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    share_if_asked(page, "Sign in with a test user")


def test_patient_signs_in_sees_their_details_and_signs_out(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(page, nhs_login_live.base_url, P9_USER, check_accessibility)

    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("999 000 0018")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("5 March 1985")
    check_accessibility(page)

    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(page.locator("main")).to_contain_text("cannot sign you out of NHS login")
    check_accessibility(page)


def test_details_page_fits_a_320_pixel_screen(
    narrow_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(narrow_page, nhs_login_live.base_url, P9_USER)

    expect(narrow_page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert narrow_page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessibility(narrow_page)


def test_p5_patient_proves_who_they_are_and_reaches_the_p9_page(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(page, nhs_login_live.base_url, P5_USER)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Medium (P5)")

    page.get_by_role("link", name="See your linkage details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove who you are to continue")
    check_accessibility(page)
    page.get_by_role("button", name="Continue to NHS login").click()
    expect(page.locator(".nhsuk-inset-text")).to_contain_text("P9.Cp.Cd, P9.Cp.Ck, P9.Cm")
    page.get_by_label(P5_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove who you are")
    check_accessibility(page)
    page.get_by_role("button", name="Continue").click()
    share_if_asked(page, "Prove who you are")

    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/linkage-details/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have a linkage key yet")
    check_accessibility(page)


def test_declining_consent_shows_a_page_with_a_way_to_try_again(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.goto(nhs_login_live.base_url)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(P9_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    # NHS login's consent screen, then its "are you sure" screen.
    page.get_by_role("button", name="Do not share").click()
    page.get_by_role("button", name="Yes, do not share").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You cannot continue without sharing your information"
    )
    expect(page.get_by_role("button", name="Continue to NHS login")).to_be_visible()
    check_accessibility(page)


def test_inactive_patient_is_warned_can_stay_and_is_then_sent_to_sign_in_again(
    page: Page,
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    check_accessibility: Check,
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    sign_in(page, nhs_login_live.base_url, P9_USER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    # The warning opens over the page (tests/browser/test_session_journeys.py has more).
    warning = page.get_by_role("alertdialog", name="You're about to be signed out")
    expect(warning).to_be_visible(timeout=9000)
    check_accessibility(page)
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    # Signed out, and straight into NHS login to sign in again (tests/browser/
    # test_session_journeys.py follows the journey back).
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in with a test user", timeout=25000
    )


def test_timeout_warning_works_without_javascript(
    no_js_page: Page, nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 10
    settings.SESSION_WARNING_SECONDS = 7
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Your details")

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(
        "You're about to be signed out", timeout=9000
    )
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(
        "Sign in with a test user", timeout=20000
    )
