"""The patient's pages in a real Chromium, at 1280 and 320 pixels, with and without JavaScript,
axe on every page: the home page, the practice check before the step-up (ADR 0021), the
footer's pages, the back link and the page not found."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_sign_in_journeys import P9_USER, sign_in
from tests.support import NhsLoginLive, browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]


@pytest.fixture(params=[1280, 320], ids=["1280px", "320px"])
def sized_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A laptop's window, then a phone's: each page passes axe at both widths."""
    yield from browser_page(browser, viewport={"width": request.param, "height": 800})


def fits_viewport(page: Page) -> None:
    """WCAG 1.4.10 reflow: no sideways scrolling, down to 320 CSS pixels."""
    viewport = page.viewport_size
    assert viewport is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def summary_row(page: Page, key: str) -> str:
    row = page.locator(".nhsuk-summary-list__row").filter(
        has=page.locator(".nhsuk-summary-list__key", has_text=re.compile(rf"^\s*{key}\s*$"))
    )
    return row.locator(".nhsuk-summary-list__value").inner_text().strip()


def test_the_home_page_names_the_patient_and_their_practice_beside_its_code(
    sized_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page = sized_page
    sign_in(page, nhs_login_live.base_url, P9_USER)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    assert summary_row(page, "Name") == "Ava Thompson"
    assert summary_row(page, "GP practice") == "Demo Surgery"
    assert summary_row(page, "GP practice code") == "A12345"
    expect(page.get_by_role("banner")).to_contain_text("Ava Thompson")
    page.get_by_text("What is a GP practice code?").click()
    expect(page.locator(".nhsuk-details__text")).to_contain_text("sometimes called an ODS code")
    check_accessibility(page)
    fits_viewport(page)


def test_the_home_page_explains_the_code_without_javascript(
    no_js_page: Page, nhs_login_live: NhsLoginLive
) -> None:
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)

    no_js_page.get_by_text("What is a GP practice code?").click()
    expect(no_js_page.locator(".nhsuk-details__text")).to_be_visible()
    assert summary_row(no_js_page, "GP practice") == "Demo Surgery"


P5_ELSEWHERE = "P5 patient at a practice not on this system"


def test_a_p5_patient_whose_practice_is_not_here_is_told_before_proving_who_they_are(
    sized_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    """ADR 0021: told at P5, and never sent into NHS login's identity check."""
    page = sized_page
    sign_in(page, nhs_login_live.base_url, P5_ELSEWHERE)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    main = page.get_by_role("main")
    expect(main).to_contain_text("does not use this service")
    expect(main).to_contain_text("Proving who you are with NHS login would not change this.")
    expect(page.get_by_role("link", name="See your linkage details")).to_have_count(0)
    check_accessibility(page)
    fits_viewport(page)

    page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your GP practice does not use this service"
    )
    expect(page.get_by_role("button", name="Continue to NHS login")).to_have_count(0)
    check_accessibility(page)
    fits_viewport(page)


def test_without_javascript_the_patient_is_told_before_proving_who_they_are(
    no_js_page: Page, nhs_login_live: NhsLoginLive
) -> None:
    sign_in(no_js_page, nhs_login_live.base_url, P5_ELSEWHERE)
    no_js_page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text(
        "Your GP practice does not use this service"
    )


FOOTER_PAGES = [
    ("Accessibility statement", "Accessibility statement for Citizen portal"),
    ("Contact your GP practice", "Contact your GP practice"),
    ("Cookies", "Cookies"),
    ("Privacy notice", "Privacy notice"),
    ("Terms of use", "Terms of use"),
]


def test_every_footer_page_is_reached_from_the_footer_and_passes_axe(
    sized_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page = sized_page
    for link, heading in FOOTER_PAGES:
        page.goto(nhs_login_live.base_url)
        page.get_by_role("contentinfo").get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        check_accessibility(page)
        fits_viewport(page)


def test_signed_in_the_contact_page_names_the_patients_practice(
    sized_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page = sized_page
    sign_in(page, nhs_login_live.base_url, P9_USER)

    page.get_by_role("contentinfo").get_by_role("link", name="Contact your GP practice").click()

    assert summary_row(page, "GP practice") == "Demo Surgery"
    assert summary_row(page, "GP practice code") == "A12345"
    expect(page.get_by_role("link", name="find a GP")).to_have_attribute(
        "href", "https://www.nhs.uk/service-search/find-a-gp"
    )
    check_accessibility(page)
    fits_viewport(page)


def test_the_cookies_table_reads_without_javascript(
    no_js_page: Page, nhs_login_live: NhsLoginLive
) -> None:
    no_js_page.goto(f"{nhs_login_live.base_url}/cookies/")

    table = no_js_page.get_by_role("table", name="Cookies this service sets")
    expect(table).to_contain_text("sessionid")
    expect(table).to_contain_text("csrftoken")


def test_back_goes_to_the_page_each_page_belongs_to_and_a_404_offers_home(
    sized_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    page = sized_page
    base = nhs_login_live.base_url
    page.goto(f"{base}/privacy/")
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get your GP online services details")
    page.goto(f"{base}/no-such-page/")
    expect(page.get_by_role("link", name="Go to the start page")).to_have_attribute("href", "/")

    sign_in(page, base, P9_USER)
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out")
    check_accessibility(page)
    fits_viewport(page)
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    page.get_by_role("contentinfo").get_by_role("link", name="Cookies").click()
    page.get_by_role("link", name="Back", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")

    page.goto(f"{base}/no-such-page/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_accessibility(page)
    fits_viewport(page)
    page.get_by_role("link", name="Go to your details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def test_back_works_without_javascript(no_js_page: Page, nhs_login_live: NhsLoginLive) -> None:
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    no_js_page.goto(f"{nhs_login_live.base_url}/terms/")

    no_js_page.get_by_role("link", name="Back", exact=True).click()

    expect(no_js_page.get_by_role("heading", level=1)).to_have_text("Your details")
