"""A linkage refusal as a patient reads it in Chromium: the practice not switched on names the
GP practice and its practice code in capitals, in sentence case (linkage/presenters.py), and
passes axe at 1280 and 320 px."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from linkage.models import Practice
from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]


@pytest.mark.parametrize("width", [1280, 320])
def test_a_practice_not_switched_on_is_named_with_its_practice_code(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in(page, nhs_login_live.base_url, P9_USER)
    Practice.objects.filter(ods_code="A12345").update(online_services_live=False)

    page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your GP practice does not offer this service yet"
    )
    expect(page.locator("main")).to_contain_text(
        "Your GP practice (practice code A12345) has not switched on online services here."
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    check_accessibility(page)
