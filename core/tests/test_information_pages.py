"""The footer's pages (core/information_pages.py): there for everyone, naming the supplier's
organisation and address from the settings, with the content each must have."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from core.cookies import duration_display, portal_cookies

pytestmark = pytest.mark.django_db

FOOTER_LINKS = {
    "/accessibility-statement/": "Accessibility statement",
    "/contact/": "Contact your GP practice",
    "/cookies/": "Cookies",
    "/privacy/": "Privacy notice",
    "/terms/": "Terms of use",
}


def _text(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("path", sorted(FOOTER_LINKS))
def test_every_footer_page_is_open_to_a_signed_out_visitor(client: Client, path: str) -> None:
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/", "/accessibility-statement/", "/no-such-page/"])
def test_every_page_links_the_footer_pages_and_names_who_runs_the_service(
    client: Client, path: str
) -> None:
    with override_settings(SERVICE_ORGANISATION_NAME="Example GP Systems Ltd"):
        html = client.get(path).content.decode()

    footer = html[html.index('<footer class="nhsuk-footer"') :]
    for href, text in FOOTER_LINKS.items():
        assert re.search(rf'href="{href}"\s*>\s*{text}\s*</a>', footer), text
    assert "© Example GP Systems Ltd" in footer
    assert "NHS England" not in footer


@override_settings(
    SERVICE_ORGANISATION_NAME="Example GP Systems Ltd",
    SERVICE_CONTACT_EMAIL="portal-support@example.org",
    PORTAL_BASE_URL="https://portal.example.org",
)
def test_the_accessibility_statement_follows_the_model_statement(client: Client) -> None:
    text = _text(client, "/accessibility-statement/")

    assert "Accessibility statement for Citizen portal" in text
    assert "at portal.example.org" in text
    for heading in (
        "How accessible this website is",
        "Feedback and contact information",
        "Reporting accessibility problems with this website",
        "Enforcement procedure",
        "Compliance status",
        "Non-accessible content",
        "Preparation of this accessibility statement",
    ):
        assert f">{heading}</h" in text, heading
    assert "partially compliant with the" in text
    assert "Equality Advisory and Support Service (EASS)" in text
    assert 'href="mailto:portal-support@example.org"' in text
    assert "This statement was prepared on 1 December 2026." in text
    # The one failure it admits is the session's limit, from the setting that sets it.
    assert "you are signed out 12 hours after you signed in" in text


@override_settings(SESSION_ABSOLUTE_TIMEOUT_SECONDS=8 * 60 * 60)
def test_the_accessibility_statement_gives_the_session_limit_in_force(client: Client) -> None:
    assert "signed out 8 hours after you signed in" in _text(client, "/accessibility-statement/")


@override_settings(SERVICE_ORGANISATION_NAME="Example GP Systems Ltd")
def test_the_privacy_notice_says_who_is_responsible_what_why_how_long_and_your_rights(
    client: Client,
) -> None:
    text = _text(client, "/privacy/")

    assert "it is the data controller" in text
    assert "Example GP Systems Ltd runs this service for your GP practice" in text
    assert "a data processor" in text
    for used in ("NHS number", "linkage key", "a record of each time", "internet address"):
        assert used in text, used
    assert "Article 6(1)(e)" in text
    assert "Article 9(2)(h)" in text
    assert "How long we keep your information" in text
    assert "Information Commissioner's Office" in text
    assert "This notice was last updated on 1 December 2026." in text


def test_the_terms_of_use_say_what_the_service_is_for_and_the_law_that_applies(
    client: Client,
) -> None:
    text = _text(client, "/terms/")

    assert "GP online services details" in text
    assert "the law of England and Wales" in text
    assert "last updated on 1 December 2026" in text


def test_the_cookies_page_lists_every_cookie_the_settings_name(client: Client) -> None:
    text = _text(client, "/cookies/")

    for cookie in portal_cookies():
        assert cookie.name in text
        assert cookie.expires in text
    assert "we do not ask for your permission" in text


@override_settings(SESSION_COOKIE_NAME="portal_session", CSRF_COOKIE_NAME="portal_csrf")
def test_a_renamed_cookie_is_renamed_on_the_cookies_page(client: Client) -> None:
    text = _text(client, "/cookies/")

    assert "portal_session" in text
    assert "portal_csrf" in text
    assert "sessionid" not in text


@override_settings(CSRF_USE_SESSIONS=True)
def test_with_the_csrf_token_in_the_session_there_is_no_csrf_cookie_to_list() -> None:
    assert [cookie.name for cookie in portal_cookies()] == ["sessionid"]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        pytest.param(30 * 60, "30 minutes", id="minutes"),
        pytest.param(12 * 60 * 60, "12 hours", id="hours"),
        pytest.param(60 * 60, "1 hour", id="one-hour"),
        pytest.param(60 * 60 * 24 * 7 * 52, "1 year", id="djangos-csrf-year"),
        pytest.param(90, "90 seconds", id="not-whole-minutes"),
    ],
)
def test_durations_read_as_a_person_would_say_them(seconds: int, words: str) -> None:
    assert duration_display(seconds) == words
