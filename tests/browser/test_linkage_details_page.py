"""The patient's linkage details page in Chromium: each detail copied with a button where
JavaScript can copy, and selectable text where it cannot; printed with nothing to press.
axe-core at 1280 and 320 px."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.presenters import date_display
from tests.browser.page_checks import (
    check_at_1280_and_320,
    check_without_javascript_at_1280_and_320,
)
from tests.browser.test_linkage_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
DETAILS = "/home/linkage-details/"
# The P9 demo patient's linkage details (demo/practice.py).
ACCOUNT_ID, LINKAGE_KEY, ODS_CODE = "5100000001", "Xw7kQ2mR9tLpZ", "A12345"
# What the clipboard holds; page.evaluate has no timeout of its own, so give up after 5 s.
CLIPBOARD_TEXT = """() => Promise.race([
    navigator.clipboard.readText(),
    new Promise((resolve) => window.setTimeout(() => resolve("(no answer)"), 5000)),
])"""


def test_each_detail_is_copied_by_its_button_and_the_copy_is_announced(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=nhs_login_live.base_url
    )
    sign_in(page, nhs_login_live.base_url, P9_USER)
    page.goto(f"{nhs_login_live.base_url}{DETAILS}")
    page.get_by_role("button", name="Show linkage key").click()

    for button, copied, value in [
        ("Copy Account ID", "Account ID copied", ACCOUNT_ID),
        ("Copy linkage key", "Linkage key copied", LINKAGE_KEY),
        ("Copy GP practice code", "GP practice code copied", ODS_CODE),
    ]:
        page.get_by_role("button", name=button).click()
        expect(page.locator("#copy-status")).to_have_text(copied)
        expect(page.locator("#copy-status")).to_have_attribute("aria-live", "polite")
        assert page.evaluate(CLIPBOARD_TEXT) == value
        expect(page.get_by_role("button", name=copied)).to_be_visible()
    check_at_1280_and_320(page, check_accessibility)


def test_a_copy_the_browser_refuses_says_to_select_the_detail_instead(
    page: Page, nhs_login_live: NhsLoginLive
) -> None:
    sign_in(page, nhs_login_live.base_url, P9_USER)
    page.goto(f"{nhs_login_live.base_url}{DETAILS}")
    page.evaluate(
        "() => { navigator.clipboard.writeText = () => Promise.reject(new Error('denied')); }"
    )

    page.get_by_role("button", name="Copy Account ID").click()

    expect(page.locator("#copy-status")).to_have_text(
        "Your browser did not copy the Account ID. Select it and copy it yourself."
    )
    expect(page.get_by_role("button", name="Copy Account ID")).to_be_visible()


def test_without_javascript_the_details_are_text_to_select_and_no_copy_button_shows(
    no_js_page: Page, page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    no_js_page.goto(f"{nhs_login_live.base_url}{DETAILS}")
    no_js_page.get_by_role("button", name="Show linkage key").click()

    expect(no_js_page.locator("#account-id")).to_have_text(ACCOUNT_ID)
    expect(no_js_page.locator("#linkage-key")).to_have_text(LINKAGE_KEY)
    expect(no_js_page.locator("#ods-code")).to_have_text(ODS_CODE)
    for name in ("Account ID", "linkage key", "GP practice code"):
        expect(no_js_page.get_by_role("button", name=f"Copy {name}")).to_be_hidden()
    check_without_javascript_at_1280_and_320(
        no_js_page, page, nhs_login_live.base_url, check_accessibility
    )


def test_the_page_prints_the_3_details_with_the_practice_and_the_date_and_nothing_to_press(
    page: Page, nhs_login_live: NhsLoginLive
) -> None:
    sign_in(page, nhs_login_live.base_url, P9_USER)
    page.goto(f"{nhs_login_live.base_url}{DETAILS}")
    page.get_by_role("button", name="Show linkage key").click()
    note = page.locator(".app-print-only")
    expect(note).to_be_hidden()
    expect(page.get_by_role("button", name="Copy Account ID")).to_be_visible()

    page.emulate_media(media="print")

    for detail, value in [
        ("#account-id", ACCOUNT_ID),
        ("#linkage-key", LINKAGE_KEY),
        ("#ods-code", ODS_CODE),
    ]:
        expect(page.locator(detail)).to_be_visible()
        expect(page.locator(detail)).to_have_text(value)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("(Demo Surgery)")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        f"Linkage details for Ava Thompson, correct on {date_display(timezone.localdate())}."
    )
    expect(page.get_by_text("Keep your linkage key private")).to_be_visible()
    pressable = page.locator("button, .nhsuk-button, form, .nhsuk-header, footer")
    assert pressable.count() >= 5
    for each in pressable.all():
        expect(each).to_be_hidden()
    expect(page.get_by_role("link", name="Back", exact=True)).to_be_hidden()
