"""A member of a practice's staff, in Chromium, issues a patient's first linkage key, prints its
letter, then reissues and revokes the key from its page in the admin (docs/adr/0024), at
1280 and at 320 pixels wide. axe-core on every page; the letter alone prints, on one A4 page."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import UserFactory
from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey, PracticeStaff, RegisteredPatient
from linkage.tests.factories import PracticeFactory, RegisteredPatientFactory
from tests.browser.test_staff_sign_in_journeys import PASSWORD, sign_in_with_password
from tests.support import axe_violations, key_permissions_granted, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
# A PDF's page objects: "/Type /Page", never "/Type /Pages" (the tree that holds them).
PDF_PAGE = re.compile(rb"/Type\s*/Page(?!s)")


@pytest.fixture
def reception(db: None) -> TOTPDevice:
    """Reception staff of Demo Surgery, allowed to issue, reissue and revoke its keys, with an
    authenticator app set up; Ava Thompson on the register, with no key yet."""
    practice = PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    staff = key_permissions_granted(UserFactory.create(username="reception", is_staff=True))
    staff.set_password(PASSWORD)
    staff.save()
    PracticeStaff.objects.create(user=staff, practice=practice)
    RegisteredPatientFactory.create(
        practice=practice,
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


def _sign_in(page: Page, base_url: str, app: TOTPDevice) -> None:
    sign_in_with_password(page, base_url, "reception", PASSWORD)
    page.get_by_label("Security code").fill(totp_code(app))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your practices")


def _check_admin_change_form(page: Page) -> None:
    """axe on one of Django's own change pages, whose forms.css axe cannot load itself under
    the Content Security Policy (conftest.axe_violations); every other rule runs."""
    violations = axe_violations(page, read_stylesheets=False)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"


def _active_key() -> str:
    return linkage_key_decrypt(LinkageKey.objects.get(status="active").encrypted_key)


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def _letter_prints_alone_on_one_a4_page(page: Page, linkage_key: str) -> None:
    page.emulate_media(media="print")
    for chrome in ("#header", ".breadcrumbs", "#nav-sidebar", "#footer", ".app-screen-only"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_hidden()
    expect(page.locator(".app-letter")).to_be_visible()
    expect(page.locator(".app-letter")).to_contain_text(linkage_key)
    assert len(PDF_PAGE.findall(page.pdf(format="A4"))) == 1
    page.emulate_media(media="screen")


@pytest.mark.parametrize("width", [1280, 320])
def test_staff_issue_a_key_print_its_letter_then_reissue_and_revoke_it(
    page: Page,
    live_server: LiveServer,
    reception: TOTPDevice,
    check_accessibility: Check,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server.url, reception)

    # The patient's page: a button to issue a key, which asks first.
    page.goto(f"{live_server.url}/admin/linkage/registeredpatient/?q=9990000018")
    page.get_by_role("row").filter(has_text="Thompson").get_by_role("link").first.click()
    _check_admin_change_form(page)
    page.get_by_role("link", name="Issue a linkage key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Issue a linkage key")
    expect(page.locator("#content")).to_contain_text("The key is shown once")
    check_accessibility(page)
    _fits(page, width)
    page.get_by_role("button", name="Issue the key").click()

    # The new key, once, on a letter that prints alone.
    first_key = _active_key()
    letter = page.locator(".app-letter")
    expect(letter).to_contain_text(first_key)
    expect(letter).to_contain_text("Demo Surgery")
    expect(letter).to_contain_text("Ava Thompson")
    expect(letter).to_contain_text(LinkageKey.objects.get().account_id)
    expect(page.get_by_role("button", name="Print the letter")).to_be_visible()
    check_accessibility(page)
    _fits(page, width)
    assert first_key not in page.url
    _letter_prints_alone_on_one_a4_page(page, first_key)
    page.reload()
    expect(page.locator("#content")).to_contain_text("This key has been shown already")
    expect(page.locator("#content")).not_to_contain_text(first_key)
    check_accessibility(page)

    # Reissue from the key's page: why, then a new key on a new letter.
    page.get_by_role("link", name="Back to Ava Thompson").click()
    page.get_by_role("link", name="Linkage key", exact=True).click()
    _check_admin_change_form(page)
    page.get_by_role("link", name="Reissue key").click()
    expect(page.locator("#content")).to_contain_text("This key stops working at once")
    check_accessibility(page)
    page.get_by_role("button", name="Reissue the key").click()
    expect(page.locator(".errorlist")).to_contain_text("Enter why the key is being reissued")
    expect(page.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    _fits(page, width)
    page.get_by_label("Reason").fill("Lost the letter")
    page.get_by_role("button", name="Reissue the key").click()
    second_key = _active_key()
    assert second_key != first_key
    expect(page.locator(".app-letter")).to_contain_text(second_key)
    expect(page.locator(".app-letter")).to_contain_text("Your old linkage key no longer works")
    check_accessibility(page)
    _letter_prints_alone_on_one_a4_page(page, second_key)

    # Revoke from the key's page: why, then nothing active.
    page.get_by_role("link", name="Back to the patient").click()
    page.get_by_role("link", name="Linkage key", exact=True).click()
    page.get_by_role("link", name="Revoke key").click()
    expect(page.locator("#content")).to_contain_text("The patient has no key until you issue")
    check_accessibility(page)
    page.get_by_label("Reason").fill("Thinks someone else knows it")
    page.get_by_role("button", name="Revoke the key").click()
    expect(page.locator(".messagelist")).to_contain_text("revoked. Apps connected with it")
    _check_admin_change_form(page)

    assert not LinkageKey.objects.filter(status="active").exists()
    assert list(
        AuditEvent.objects.order_by("occurred_at", "pk").values_list("actor", "action", "outcome")
    ) == [
        ("reception", "create", "SUCCESS"),
        ("reception", "reissue", "SUCCESS"),
        ("reception", "revoke", "SUCCESS"),
    ]


def test_without_javascript_the_letter_still_prints_and_its_button_stays_hidden(
    no_js_page: Page, live_server: LiveServer, reception: TOTPDevice
) -> None:
    _sign_in(no_js_page, live_server.url, reception)
    patient = RegisteredPatient.objects.get()
    no_js_page.goto(f"{live_server.url}/admin/linkage/registeredpatient/{patient.pk}/issue-key/")

    no_js_page.get_by_role("button", name="Issue the key").click()

    expect(no_js_page.locator(".app-letter")).to_contain_text(_active_key())
    expect(no_js_page.get_by_role("button", name="Print the letter")).to_be_hidden()
    expect(no_js_page.locator("#content")).to_contain_text("use your browser's Print command")
    _letter_prints_alone_on_one_a4_page(no_js_page, _active_key())
