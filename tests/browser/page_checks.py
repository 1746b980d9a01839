"""Checks for a patient page at the two widths it must work at, with JavaScript and without:
axe-core finds nothing, and nothing scrolls sideways (WCAG 1.4.10 reflow at 320 px)."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page

Check = Callable[[Page], None]
WIDTHS = (1280, 320)


def check_at_1280_and_320(page: Page, check_accessibility: Check) -> None:
    """The page as it stands, at a desktop width and at 320 px; left at 1280 px."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        check_accessibility(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
    page.set_viewport_size({"width": WIDTHS[0], "height": 800})


def check_without_javascript_at_1280_and_320(
    no_js_page: Page, checker: Page, base_url: str, check_accessibility: Check
) -> None:
    """axe-core is JavaScript, and a page with JavaScript off never runs it (its promises never
    settle), so the page a browser without JavaScript shows is checked in ``checker``, a
    browser with it: the same HTML, at the same site, with every script taken out."""
    html = re.sub(r"<script\b.*?</script>", "", no_js_page.content(), flags=re.S)
    checker.goto(base_url)
    checker.set_content(html)
    check_at_1280_and_320(checker, check_accessibility)
