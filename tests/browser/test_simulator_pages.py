"""The simulator's own pages in Chromium, with axe: the consent screen, the "are you sure"
screen and a change of mind, a decline and what the portal shows for it, NHS login's settings
page with and without a session, and each page's own Content-Security-Policy (the conftest's
page fixture fails any test whose page the policy blocks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_sign_in_journeys import P5_USER, P9_USER
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
CONSENT_HEADING = "Share your NHS login information with Citizen portal"
CONFIRM_HEADING = "Are you sure you do not want to share your information?"


def to_consent_screen(page: Page, base_url: str, user: str = P9_USER) -> None:
    page.goto(base_url)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(user).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)


def test_the_consent_screen_lists_what_is_shared_and_sharing_signs_the_patient_in(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    to_consent_screen(page, nhs_login_live.base_url)

    summary = page.locator(".nhsuk-summary-list")
    expect(summary).to_contain_text("Your profile")
    expect(summary).to_contain_text("NHS number")
    expect(summary).to_contain_text("Your GP surgery")
    expect(summary).not_to_contain_text("9990000018")
    check_accessibility(page)
    page.get_by_role("button", name="Share my information").click()

    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def test_the_consent_screen_fits_a_320_pixel_screen(
    narrow_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    to_consent_screen(narrow_page, nhs_login_live.base_url)

    assert narrow_page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessibility(narrow_page)


def test_do_not_share_asks_if_sure_and_going_back_lets_the_patient_share(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    to_consent_screen(page, nhs_login_live.base_url)
    page.get_by_role("button", name="Do not share").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(CONFIRM_HEADING)
    check_accessibility(page)
    page.get_by_role("button", name="No, go back and share").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)
    page.get_by_role("button", name="Share my information").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def test_confirming_the_decline_returns_to_the_portals_no_consent_screen(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    to_consent_screen(page, nhs_login_live.base_url)
    page.get_by_role("button", name="Do not share").click()
    page.get_by_role("button", name="Yes, do not share").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You cannot continue without sharing your information"
    )
    check_accessibility(page)
    callbacks = [url for url in requested if "/auth/nhs-login/callback/" in url]
    assert len(callbacks) == 1
    assert "?error=access_denied&state=" in callbacks[0]
    assert "error_description" not in callbacks[0]
    assert "code=" not in callbacks[0]


def test_a_step_up_asks_for_consent_at_the_new_level(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    to_consent_screen(page, nhs_login_live.base_url, P5_USER)
    expect(page.locator(".nhsuk-caption-l")).to_contain_text("identity level P5")
    page.get_by_role("button", name="Share my information").click()
    page.get_by_role("link", name="See your linkage details").click()
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(P5_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_HEADING)
    expect(page.locator(".nhsuk-caption-l")).to_contain_text("identity level P9")
    check_accessibility(page)
    page.get_by_role("button", name="Share my information").click()
    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/linkage-details/")


def test_the_settings_page_shows_the_signed_in_account_without_a_second_sign_in(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    to_consent_screen(page, nhs_login_live.base_url)
    page.get_by_role("button", name="Share my information").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    page.goto(f"{nhs_login_live.issuer}/settings")

    expect(page.get_by_role("heading", level=1)).to_have_text("Your NHS login")
    summary = page.locator(".nhsuk-summary-list")
    expect(summary).to_contain_text("ava.thompson@example.org")
    expect(summary).to_contain_text("+447700900001")
    expect(summary).to_contain_text("P9")
    check_accessibility(page)
    page.get_by_role("link", name="Back to Citizen portal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def test_the_settings_page_without_a_session_offers_to_sign_in(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.goto(f"{nhs_login_live.issuer}/settings")

    expect(page.get_by_role("heading", level=1)).to_have_text("You are not signed in to NHS login")
    check_accessibility(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are not signed in to NHS login")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose a test user")
    check_accessibility(page)

    page.get_by_label("P0 user: email and phone only, identity not checked").check()
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your NHS login")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("dev.shah@example.org")
    check_accessibility(page)


def test_the_sign_in_page_lists_every_test_user_and_passes_axe(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.goto(nhs_login_live.base_url)
    page.get_by_role("button", name="Continue to NHS login").click()

    for label in (
        "P9 patient under 16 at the demo practice",
        "P9 patient recorded as deceased at the demo practice",
        "P9 patient whose registration at the demo practice has ended",
        "P9 patient of the demo practice who is not on its register",
        "P9 patient who signs in with a passkey only (P9.Cm)",
    ):
        expect(page.get_by_label(label)).to_be_visible()
    check_accessibility(page)
