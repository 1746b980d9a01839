"""NHS login's no-consent screens and the step-up the patient did not finish, in Chromium, with
axe on each of the portal's pages and NHS login's styling guidelines measured ("Sharing a
user's NHS login information with your service": headings no smaller than 20px, body copy no
smaller than 16px, emergency numbers linked as advised)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_sign_in_journeys import P5_USER, P9_USER
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
NO_CONSENT = "You cannot continue without sharing your information"
EMERGENCY_LINKS = {"111.nhs.uk": "https://111.nhs.uk/", "111": "tel:111", "999": "tel:999"}


def decline_to_share(page: Page, user: str) -> None:
    """On NHS login's (the simulator's) pages: pick the user, decline, and confirm."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a test user")
    page.get_by_label(user).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share your NHS login information")
    page.get_by_role("button", name="Do not share").click()
    page.get_by_role("button", name="Yes, do not share").click()


def font_sizes(page: Page) -> dict[str, Any]:
    sizes: dict[str, Any] = page.evaluate(
        """() => ({
            heading: parseFloat(getComputedStyle(document.querySelector("main h1")).fontSize),
            body: Math.min(...[...document.querySelectorAll("main p")].map(
                (p) => parseFloat(getComputedStyle(p).fontSize))),
        })"""
    )
    return sizes


def assert_no_consent_screen(page: Page) -> None:
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text(NO_CONSENT)
    expect(main).to_contain_text(
        "If you need medical help, go to 111.nhs.uk or call 111 or your GP."
    )
    expect(main).to_contain_text("Call 999 if it's a life-threatening emergency.")
    for name, href in EMERGENCY_LINKS.items():
        expect(main.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    sizes = font_sizes(page)
    assert sizes["heading"] >= 20, sizes
    assert sizes["body"] >= 16, sizes


def test_declining_to_share_shows_the_no_consent_screen_for_all_other_services(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.goto(nhs_login_live.base_url)
    page.get_by_role("button", name="Continue to NHS login").click()
    decline_to_share(page, P9_USER)

    assert_no_consent_screen(page)
    expect(page.locator("main")).to_contain_text(
        "Citizen portal needs your NHS login information to verify your identity."
    )
    check_accessibility(page)

    page.get_by_role("button", name="Continue to NHS login").click()
    # A new sign-in: NHS login asks again, and the patient can share this time.
    expect(page).to_have_url(re.compile(rf"^{re.escape(nhs_login_live.issuer)}/authorize\?"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Share your NHS login information")


def test_the_no_consent_screen_fits_a_320_pixel_screen(
    narrow_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    narrow_page.goto(nhs_login_live.base_url)
    narrow_page.get_by_role("button", name="Continue to NHS login").click()
    decline_to_share(narrow_page, P9_USER)

    assert_no_consent_screen(narrow_page)
    assert narrow_page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessibility(narrow_page)


def test_declining_after_the_nhs_app_jump_off_shows_the_nhs_app_screen(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    """NHS login has no session yet, so the silent sign-in is asked again interactively; the
    patient then declines. NHS login's NHS App (browser) screen: its content only, and no back
    button of our own."""
    page.goto(f"{nhs_login_live.base_url}/auth/nhs-app/")
    decline_to_share(page, P9_USER)

    assert_no_consent_screen(page)
    main = page.locator("main")
    expect(main).to_contain_text(
        "The service provider needs your NHS login information to verify your identity."
    )
    expect(main).to_contain_text("Close this tab to go back to NHS App.")
    expect(main.get_by_role("button")).to_have_count(0)
    expect(main.get_by_role("link")).to_have_count(3)
    expect(main).not_to_contain_text("Citizen portal")
    check_accessibility(page)


def test_cancelling_the_identity_check_during_step_up_leaves_the_patient_at_p5(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.goto(nhs_login_live.base_url)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(P5_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Share my information").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    page.get_by_role("link", name="See your linkage details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove who you are to continue")
    check_accessibility(page)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(P5_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Prove who you are")
    page.get_by_role("link", name="Cancel and go back to the service").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("We could not confirm your identity")
    expect(page.locator("main")).to_contain_text("You can still use the rest of this service.")
    expect(page.locator("main").get_by_role("button", name="Continue to NHS login")).to_have_count(
        0
    )
    sizes = font_sizes(page)
    assert sizes["heading"] >= 20, sizes
    assert sizes["body"] >= 16, sizes
    check_accessibility(page)

    page.get_by_role("link", name="Go to your details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Medium (P5)")
    expect(page.locator(".nhsuk-summary-list")).not_to_contain_text("NHS number")
    check_accessibility(page)
