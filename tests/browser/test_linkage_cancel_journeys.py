"""A patient who thinks someone else knows their linkage key cancels it and gets a new one,
in Chromium with JavaScript and without: signed in through the simulator as the P9 demo
patient, axe-core at 1280 and 320 px on every page of the way."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey
from tests.browser.page_checks import (
    check_at_1280_and_320,
    check_without_javascript_at_1280_and_320,
)
from tests.browser.test_linkage_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
# The P9 demo patient's linkage details (demo/practice.py).
ACCOUNT_ID, OLD_KEY = "5100000001", "Xw7kQ2mR9tLpZ"


def _cancel_and_get_a_new_key(page: Page, base_url: str, check: Check) -> None:
    sign_in(page, base_url, P9_USER)
    page.get_by_role("link", name="See your linkage details").click()
    page.get_by_role("button", name="Show linkage key").click()
    expect(page.locator("#linkage-key")).to_have_text(OLD_KEY)
    check(page)

    page.get_by_role("link", name="Cancel this linkage key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your linkage key")
    expect(page.locator("main")).to_contain_text("will stop working")
    check(page)
    page.get_by_role("button", name="Yes, cancel my linkage key").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("You have cancelled your linkage key")
    expect(page.locator("main")).to_contain_text("Your Account ID and GP practice code stay")
    assert LinkageKey.objects.get(account_id=ACCOUNT_ID).status == "revoked"
    check(page)
    page.get_by_role("button", name="Get a new linkage key").click()

    expect(page.get_by_text("Your linkage key has been created")).to_be_visible()
    new = LinkageKey.objects.get(account_id=ACCOUNT_ID, status="active")
    new_key = linkage_key_decrypt(new.encrypted_key)
    assert new_key != OLD_KEY
    expect(page.locator("#account-id")).to_have_text(ACCOUNT_ID)
    expect(page.locator("#linkage-key")).to_have_text(new_key)
    check(page)
    revoke = AuditEvent.objects.get(action="revoke")
    assert (revoke.actor_type, revoke.outcome, revoke.nhs_number) == (
        "patient",
        "SUCCESS",
        "9990000018",
    )
    assert revoke.request_id


def test_patient_cancels_their_key_and_gets_a_new_one(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    _cancel_and_get_a_new_key(
        page,
        nhs_login_live.base_url,
        lambda shown: check_at_1280_and_320(shown, check_accessibility),
    )


def test_patient_cancels_their_key_and_gets_a_new_one_without_javascript(
    no_js_page: Page, page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    _cancel_and_get_a_new_key(
        no_js_page,
        nhs_login_live.base_url,
        lambda shown: check_without_javascript_at_1280_and_320(
            shown, page, nhs_login_live.base_url, check_accessibility
        ),
    )
