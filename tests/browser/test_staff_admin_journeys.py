"""Practice staff in the admin, in Chromium: the sign-in page, loading the register (template,
the columns' rules, their practice chosen already), reading patients and the audit trail as
people, a page refused, a bookmark followed while signed out; and a patient who opens the admin.
At desktop width and at 320 px where a page is named for it; axe-core on every page."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Protocol

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import UserFactory
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import PracticeFactory, RegisteredPatientFactory
from tests.browser.test_linkage_journeys import P9_USER
from tests.browser.test_linkage_journeys import sign_in as patient_signs_in
from tests.support import NhsLoginLive, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Check(Protocol):
    def __call__(self, page: Page, *, read_stylesheets: bool = True) -> None: ...


PASSWORD = "a-long-test-password-1"
AVA = "Ava Thompson (999 000 0018)"


@pytest.fixture
def demo_surgery(db: None) -> Practice:
    return PracticeFactory.create(ods_code="A12345", name="Demo Surgery")


@pytest.fixture
def reception(demo_surgery: Practice) -> TOTPDevice:
    """Sam Taylor, a receptionist at the demo surgery, with an authenticator app set up."""
    staff = UserFactory.create(
        username="reception", first_name="Sam", last_name="Taylor", is_staff=True
    )
    staff.set_password(PASSWORD)
    staff.save()
    PracticeStaff.objects.create(user=staff, practice=demo_surgery)
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


def sign_in_to_admin(page: Page, base_url: str, app: TOTPDevice, path: str = "/admin/") -> None:
    page.goto(f"{base_url}{path}")
    page.get_by_label("Username").fill(app.user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Security code").fill(totp_code(app))
    page.get_by_role("button", name="Continue").click()


def fits_the_width(page: Page) -> bool:
    """No sideways scrolling (WCAG 1.4.10 reflow), once the stylesheets have loaded."""
    page.wait_for_load_state("load")
    return bool(
        page.evaluate(
            "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


@pytest.mark.parametrize("width", [1280, 320])
def test_staff_download_the_template_fill_it_in_and_import_their_register(
    page: Page,
    live_server: LiveServer,
    demo_surgery: Practice,
    reception: TOTPDevice,
    check_accessibility: Check,
    tmp_path: Path,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    sign_in_to_admin(page, live_server.url, reception)
    page.get_by_role("link", name="Registered patients").first.click()
    page.get_by_role("link", name="Import register CSV").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Import a practice register")
    expect(page.get_by_label("Practice")).to_have_value(str(demo_surgery.pk))
    expect(page.locator(".app-register-columns")).to_contain_text("registration_status (required)")
    expect(page.locator(".app-register-columns")).to_contain_text("deceased: the patient has died")
    assert fits_the_width(page)
    check_accessibility(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download a template CSV").click()
    template = tmp_path / "register.csv"
    download.value.save_as(template)
    template.write_text(
        template.read_text() + "999 000 0018,Thompson,Ava,1985-03-05,registered\r\n"
        "9990000034,Evans,Chloe,2001-07-14,regstered\r\n"
    )
    page.get_by_label("Register CSV").set_input_files(template)
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    expect(page.locator(".errorlist")).to_contain_text(
        "line 3: registration_status must be one of registered, ended, deceased"
    )
    assert not RegisteredPatient.objects.exists()
    assert fits_the_width(page)
    check_accessibility(page)

    template.write_text(template.read_text().replace("regstered", "registered"))
    page.get_by_label("Register CSV").set_input_files(template)
    page.get_by_role("button", name="Import").click()

    expect(page.locator(".messagelist")).to_contain_text("Imported 2 patients: 2 new, 0 updated")
    expect(page.locator("#result_list")).to_contain_text(AVA)
    assert fits_the_width(page)
    check_accessibility(page)


def test_staff_find_a_patient_and_read_their_page_and_the_audit_as_people(
    page: Page, live_server: LiveServer, reception: TOTPDevice, check_accessibility: Check
) -> None:
    RegisteredPatientFactory.create(
        practice=Practice.objects.get(ods_code="A12345"),
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )
    sign_in_to_admin(page, live_server.url, reception)
    page.get_by_role("link", name="Registered patients").first.click()

    page.get_by_label("Search").fill("999 000 0018")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=AVA).click()

    expect(page.locator(".breadcrumbs")).to_contain_text(AVA)
    expect(page.get_by_role("heading", level=2, name=AVA)).to_be_visible()
    expect(page.locator("#content")).to_contain_text("999 000 0018")
    expect(page.locator("#content")).not_to_contain_text("9990000018")
    check_accessibility(page, read_stylesheets=False)  # a form page: conftest.axe_violations

    audit_event_record(
        actor=Actor(ActorType.STAFF, "reception"),
        action=AuditAction.SHOW_KEY,
        outcome="SUCCESS",
        ods_code="A12345",
        nhs_number="9990000018",
    )
    page.get_by_role("link", name="Audit events").first.click()

    row = page.locator("#result_list tbody tr").first
    for words in ("Staff", "Sam Taylor (reception)", "Linkage key shown", "Success", AVA):
        expect(row).to_contain_text(words)
    check_accessibility(page)


@pytest.mark.parametrize("width", [1280, 320])
def test_the_sign_in_page_has_its_heading_and_passes_axe_with_and_without_an_error(
    page: Page,
    live_server: LiveServer,
    reception: TOTPDevice,
    check_accessibility: Check,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to the practice administration"
    )
    expect(page.locator("#content")).to_contain_text("Ask your practice's administrator")
    expect(
        page.get_by_role("link", name="Sign in with NHS login on the citizen portal")
    ).to_be_visible()
    assert fits_the_width(page)
    check_accessibility(page)

    page.get_by_label("Username").fill("reception")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()

    expect(page.locator(".errornote")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to the practice administration"
    )
    assert fits_the_width(page)
    check_accessibility(page)


def test_a_patient_who_opens_the_admin_is_sent_to_their_home_page(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    patient_signs_in(page, nhs_login_live.base_url, P9_USER)

    page.goto(f"{nhs_login_live.base_url}/admin/")

    expect(page).to_have_url(f"{nhs_login_live.base_url}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")
    check_accessibility(page)


def test_staff_refused_another_practices_record_get_a_staff_page_with_the_way_back(
    page: Page, live_server: LiveServer, reception: TOTPDevice, check_accessibility: Check
) -> None:
    theirs = RegisteredPatientFactory.create(
        practice=PracticeFactory.create(ods_code="B23456", name="Other Surgery"),
        nhs_number="9990000026",
    )
    sign_in_to_admin(page, live_server.url, reception)

    response = page.goto(f"{live_server.url}/admin/linkage/registeredpatient/{theirs.pk}/change/")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    expect(page.locator("#content")).to_contain_text("You are signed in as Sam Taylor (reception)")
    expect(page.locator("#content")).not_to_contain_text("999 000 0026")
    check_accessibility(page)

    page.get_by_role("link", name="Go back to your practices").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your practices")


def test_staff_refused_a_page_for_superusers_get_the_staff_page_at_320_pixels(
    narrow_page: Page, live_server: LiveServer, reception: TOTPDevice, check_accessibility: Check
) -> None:
    sign_in_to_admin(narrow_page, live_server.url, reception)

    narrow_page.goto(f"{live_server.url}/admin/accounts/user/")

    expect(narrow_page.get_by_role("heading", level=1)).to_have_text("You cannot open this page")
    assert fits_the_width(narrow_page)
    check_accessibility(narrow_page)


def test_signed_out_staff_following_a_bookmark_sign_in_and_land_on_it(
    page: Page, live_server: LiveServer, reception: TOTPDevice
) -> None:
    """Not the patients' start page, whose only button is NHS login's."""
    sign_in_to_admin(page, live_server.url, reception, "/admin/linkage/registeredpatient/import/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Import a practice register")
