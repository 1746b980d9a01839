"""The cookies page cannot fall behind what the portal sets: a patient signs in over real HTTP,
goes through their pages and signs out, and every cookie the portal set on the way is on the
page (core/cookies.py). The simulator's own cookie stands for NHS login's, which NHS login sets
on its own domain."""

from __future__ import annotations

import re

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from nhs_login_simulator.views.journey import SESSION_COOKIE as SIMULATOR_COOKIE
from tests.portal_browser import PortalBrowser, form_field
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)


def cookies_set_through_a_visit(browser: PortalBrowser) -> set[str]:
    """Every cookie the portal set while a patient signed in, used their pages and signed out."""
    seen: set[str] = set()

    def note() -> None:
        seen.update(cookie.name for cookie in browser.session.cookies)

    browser.get("/")
    note()
    browser.sign_in(user="p9-demo-practice")
    note()
    for path in ("/home/", "/home/linkage-details/", "/contact/", "/cookies/", "/auth/sign-out/"):
        browser.get(path)
        note()
    token = form_field(browser.get("/auth/sign-out/").text, "sign-out", "csrfmiddlewaretoken")
    browser.session.post(
        f"{browser.base_url}/auth/sign-out/confirm/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{browser.base_url}/auth/sign-out/"},
        timeout=30,
    )
    note()
    return seen - {SIMULATOR_COOKIE}


def listed_cookies(browser: PortalBrowser) -> set[str]:
    page = browser.get("/cookies/").text
    return set(re.findall(r'aria-hidden="true">Name </span>\s*([^\s<]+)', page))


def test_every_cookie_the_portal_sets_is_on_the_cookies_page(
    nhs_login_live: NhsLoginLive,
) -> None:
    browser = PortalBrowser(nhs_login_live.base_url)

    set_by_the_portal = cookies_set_through_a_visit(browser)

    assert set_by_the_portal == {"sessionid", "csrftoken"}
    assert listed_cookies(browser) == set_by_the_portal


def test_renamed_cookies_are_renamed_on_the_page_that_lists_them(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.SESSION_COOKIE_NAME = "portal_session"
    settings.CSRF_COOKIE_NAME = "portal_csrf"
    browser = PortalBrowser(nhs_login_live.base_url)

    set_by_the_portal = cookies_set_through_a_visit(browser)

    assert set_by_the_portal == {"portal_session", "portal_csrf"}
    assert listed_cookies(browser) == set_by_the_portal
