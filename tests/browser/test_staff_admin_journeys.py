"""Practice staff in the admin, in Chromium: loading the register (template, the columns'
rules, their practice chosen already) at desktop width and at 320 px, and reading patients and
the audit trail as people. axe-core on every page."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Protocol

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from accounts.tests.factories import UserFactory
from conftest import totp_code
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import PracticeFactory, RegisteredPatientFactory

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
    """No sideways scrolling (WCAG 1.4.10 reflow)."""
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
