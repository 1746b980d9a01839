"""NL01 journeys in Chromium: a patient shows and creates their linkage key, meets a revoked
one; a member of staff revokes and reissues a key in admin. axe-core on every page."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from linkage.audit import Actor, ActorType
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff
from linkage.services import linkage_key_revoke
from tests.browser.test_sign_in_journeys import share_if_asked
from tests.support import NhsLoginLive, key_permissions_granted, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
P9_USER = "P9 patient at the demo practice, with GP credentials"
P5_USER = "P5 patient at the demo practice (can prove who they are for P9)"


def sign_in(page: Page, base_url: str, user: str) -> None:
    page.goto(base_url)
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(user).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    share_if_asked(page, "Sign in with a test user")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def test_patient_sees_their_details_and_shows_their_key(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(page, nhs_login_live.base_url, P9_USER)

    page.get_by_role("link", name="See your linkage details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your linkage details")
    summary = page.locator(".nhsuk-summary-list")
    expect(summary).to_contain_text("5100000001")
    expect(summary).to_contain_text("A12345")
    expect(summary).not_to_contain_text("Xw7kQ2mR9tLpZ")
    check_accessibility(page)

    page.get_by_role("button", name="Show linkage key").click()
    expect(page.locator("#linkage-key")).to_have_text("Xw7kQ2mR9tLpZ")
    expect(page.get_by_role("button", name="Copy linkage key")).to_be_visible()
    check_accessibility(page)
    assert AuditEvent.objects.filter(action="show_key", actor_type="patient").count() == 1


def test_linkage_details_fit_a_320_pixel_screen(
    narrow_page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(narrow_page, nhs_login_live.base_url, P9_USER)
    narrow_page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")

    narrow_page.get_by_role("button", name="Show linkage key").click()

    expect(narrow_page.locator("#linkage-key")).to_have_text("Xw7kQ2mR9tLpZ")
    assert narrow_page.evaluate("document.documentElement.scrollWidth") <= 320
    check_accessibility(narrow_page)


def test_key_stays_hidden_until_asked_for_without_javascript(
    no_js_page: Page, nhs_login_live: NhsLoginLive
) -> None:
    sign_in(no_js_page, nhs_login_live.base_url, P9_USER)
    no_js_page.goto(f"{nhs_login_live.base_url}/home/linkage-details/")
    expect(no_js_page.locator(".nhsuk-summary-list")).to_contain_text("Hidden")

    no_js_page.get_by_role("button", name="Show linkage key").click()

    expect(no_js_page.locator("#linkage-key")).to_have_text("Xw7kQ2mR9tLpZ")
    # Without JavaScript there is nothing to copy with: the button stays hidden.
    expect(no_js_page.get_by_role("button", name="Copy linkage key")).to_be_hidden()


def test_patient_proves_who_they_are_and_creates_a_key(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    sign_in(page, nhs_login_live.base_url, P5_USER)
    page.get_by_role("link", name="See your linkage details").click()
    page.get_by_role("button", name="Continue to NHS login").click()
    page.get_by_label(P5_USER).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    page.get_by_role("button", name="Continue").click()
    share_if_asked(page, "Prove who you are")

    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have a linkage key yet")
    check_accessibility(page)
    page.get_by_role("button", name="Create a linkage key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a linkage key")
    check_accessibility(page)
    page.get_by_role("button", name="Create my linkage key").click()

    expect(page.get_by_text("Your linkage key has been created")).to_be_visible()
    key = LinkageKey.objects.get(patient__nhs_number="9990000034")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(key.account_id)
    check_accessibility(page)


def test_patient_whose_key_was_revoked_is_told_what_to_do(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    linkage_key_revoke(
        actor=Actor(ActorType.STAFF, "reception"),
        linkage_key=LinkageKey.objects.get(account_id="5100000001"),
        reason="Patient reported it lost",
    )
    sign_in(page, nhs_login_live.base_url, P9_USER)

    page.get_by_role("link", name="See your linkage details").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your linkage key has been cancelled")
    expect(page.locator("main")).to_contain_text("Ask your GP practice for a new one")
    check_accessibility(page)


def test_staff_revoke_and_reissue_a_key_in_admin(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    staff = key_permissions_granted(UserFactory.create(username="reception", is_staff=True))
    staff.set_password("a-long-test-password-1")
    staff.save()
    app = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    PracticeStaff.objects.create(user=staff, practice=Practice.objects.get(ods_code="A12345"))
    base = nhs_login_live.base_url

    page.goto(f"{base}/admin/")
    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill("a-long-test-password-1")
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Security code").fill(totp_code(app))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your practices")
    check_accessibility(page)

    page.get_by_role("link", name="Linkage keys").click()
    check_accessibility(page)
    page.get_by_role("row").filter(has_text="5100000001").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("revoke_keys")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke linkage keys")
    check_accessibility(page)
    page.get_by_label("Reason").fill("Patient reported their phone stolen")
    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messagelist")).to_contain_text("Revoked 1 linkage key(s)")

    page.get_by_role("row").filter(has_text="5100000001").get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option("reissue_keys")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reason").fill("New key after theft")
    page.get_by_role("button", name="Reissue").click()
    expect(page.locator(".messagelist")).to_contain_text("Issued 1 new linkage key(s)")
    check_accessibility(page)

    page.get_by_role("link", name="Audit events").click()
    check_accessibility(page)
    audited = list(AuditEvent.objects.filter(actor="reception").values_list("action", "outcome"))
    assert ("revoke", "SUCCESS") in audited
    assert ("reissue", "SUCCESS") in audited
    assert LinkageKey.objects.filter(account_id="5100000001", status="active").count() == 1
