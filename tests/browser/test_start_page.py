"""The start page as a patient meets it, in a real Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BUTTON_NAME = "Continue to NHS login"


def test_start_page_shows_the_nhs_login_button_and_passes_axe(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Callable[[Page], None]
) -> None:
    page.goto(nhs_login_live.base_url)

    expect(page).to_have_title("Get your GP online services details – Citizen portal – NHS")
    expect(page.get_by_role("button", name=BUTTON_NAME)).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Citizen portal")
    # The design system's JavaScript module loaded and started the header component.
    expect(page.locator("header.nhsuk-header")).to_have_attribute("data-nhsuk-header-init", "")
    check_accessibility(page)


def test_start_page_fits_a_320_pixel_screen_without_sideways_scrolling(
    narrow_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Callable[[Page], None]
) -> None:
    narrow_page.goto(nhs_login_live.base_url)

    button = narrow_page.get_by_role("button", name=BUTTON_NAME)
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 320
    scroll_width = narrow_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320
    check_accessibility(narrow_page)


def test_keyboard_user_reaches_the_skip_link_first_and_then_the_button(
    page: Page, nhs_login_live: NhsLoginLive
) -> None:
    page.goto(nhs_login_live.base_url)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == BUTTON_NAME:
            break
    expect(page.get_by_role("button", name=BUTTON_NAME)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a test user")


def test_start_page_works_without_javascript(
    no_js_page: Page, nhs_login_live: NhsLoginLive
) -> None:
    no_js_page.goto(nhs_login_live.base_url)

    expect(no_js_page.locator("header.nhsuk-header")).not_to_have_attribute(
        "data-nhsuk-header-init", ""
    )
    no_js_page.get_by_role("button", name=BUTTON_NAME).click()

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Sign in with a test user")


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        pytest.param("/no-such-page/", "Page not found", id="404"),
    ],
)
def test_error_pages_pass_axe(
    page: Page,
    nhs_login_live: NhsLoginLive,
    check_accessibility: Callable[[Page], None],
    path: str,
    heading: str,
) -> None:
    response = page.goto(nhs_login_live.base_url + path)

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_accessibility(page)
