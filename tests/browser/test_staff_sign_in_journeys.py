"""Practice staff signing in to the admin in Chromium: a first sign-in sets up an authenticator
app (QR code and key, confirmed with a code), a later one asks for a code, and too many wrong
passwords pause signing in. axe-core on every page."""

from __future__ import annotations

from base64 import b32decode
from collections.abc import Callable

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import UserFactory
from linkage.models import PracticeStaff
from linkage.tests.factories import PracticeFactory
from tests.support import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
PASSWORD = "a-long-test-password-1"


@pytest.fixture
def reception(db: None) -> str:
    staff = UserFactory.create(username="reception", is_staff=True)
    staff.set_password(PASSWORD)
    staff.save()
    PracticeStaff.objects.create(
        user=staff, practice=PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    )
    return "reception"


def sign_in_with_password(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_staff_set_up_an_authenticator_app_at_first_sign_in_then_enter_its_codes(
    page: Page, live_server: LiveServer, reception: str, check_accessibility: Check
) -> None:
    sign_in_with_password(page, live_server.url, reception, PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(
        page.get_by_role("img", name="QR code of the key for your authenticator app")
    ).to_be_visible()
    check_accessibility(page)
    app = TOTP(b32decode(page.locator("#totp-key").inner_text().replace(" ", "")))

    wrong = "000000" if f"{app.token():06d}" != "000000" else "111111"
    page.get_by_label("Security code").fill(wrong)
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.locator(".errorlist")).to_contain_text("That code is not right")
    expect(page.get_by_label("Security code")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)

    page.wait_for_timeout(1100)  # the wait one wrong code costs
    page.get_by_label("Security code").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Confirm and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your practices")
    expect(page.locator(".messagelist")).to_contain_text("Your authenticator app is set up")
    check_accessibility(page)

    page.get_by_role("button", name="Log out").click()
    sign_in_with_password(page, live_server.url, reception, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your security code")
    check_accessibility(page)
    device = TOTPDevice.objects.get(user__username=reception)
    page.get_by_label("Security code").fill(totp_code(device, steps_ahead=1))  # the next code
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your practices")


def test_too_many_wrong_passwords_pause_signing_in_with_a_clear_page(
    page: Page, live_server: LiveServer, reception: str, check_accessibility: Check
) -> None:
    for _ in range(4):
        sign_in_with_password(page, live_server.url, reception, "not-the-password")
        expect(page.locator(".errornote")).to_be_visible()

    sign_in_with_password(page, live_server.url, reception, "not-the-password")

    expect(page.get_by_role("heading", level=1)).to_have_text("Signing in is paused")
    expect(page.locator("#content")).to_contain_text("You can try again after")
    expect(page.locator("#content")).to_contain_text("ask your practice's administrator")
    check_accessibility(page)

    sign_in_with_password(page, live_server.url, reception, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Signing in is paused")
