"""Addresses only a form posts to, as a person meets them in Chromium (core/form_posts.py): the
session warning after a form's answer leads back to the form's page, never to a blank 405, and
an address that cannot be opened says so in a page that passes axe.

tests/test_post_only_addresses.py finds every such address from the URLconf.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
WARNING = "You're about to be signed out"
DEMO_KEY = "Xw7kQ2mR9tLpZ"


def test_without_javascript_stay_signed_in_after_the_key_is_shown_goes_back_to_the_details(
    no_js_page: Page, nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    """The key is the answer to a post: the warning page's "Stay signed in" comes back to the
    page with the "Show linkage key" button, not to the address posted to."""
    settings.SESSION_IDLE_TIMEOUT_SECONDS = 12
    settings.SESSION_WARNING_SECONDS = 9
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    no_js_page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")
    no_js_page.get_by_role("button", name="Show linkage key").click()
    expect(no_js_page.locator("#linkage-key")).to_have_text(DEMO_KEY)

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(WARNING, timeout=9000)
    no_js_page.get_by_role("button", name="Stay signed in").click()

    expect(no_js_page).to_have_url(f"{nhs_login_live.base_url}/home/linkage-details/")
    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Your linkage details")


@pytest.mark.parametrize("width", [1280, 320])
def test_an_address_for_apps_opened_in_a_browser_says_what_to_do(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})

    response = page.goto(f"{nhs_login_live.base_url}/api/v1/linkage")

    assert response is not None
    assert response.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("This page cannot be opened")
    page.get_by_role("link", name="Go to the start page").click()
    expect(page.get_by_role("button", name="Continue to NHS login")).to_be_visible()
    page.go_back()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_accessibility(page)
