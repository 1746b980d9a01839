"""Practice staff provisioning a patient's NHS login in Chromium (docs/provisioning.md): the
button on the patient's page, the form with its errors, NHS login's answer in our words, and
the request waiting with its date; axe-core on every page, at desktop width and at 320 px."""

from __future__ import annotations

import re
from typing import Protocol

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from accounts.tests.factories import UserFactory
from linkage.models import Practice, PracticeStaff
from linkage.practice_staff import practice_staff_provisioning_grant
from nhs_login_simulator.models import Client as SimulatorClient
from nhs_login_simulator.models import SentMessage
from nhs_login_simulator.provisioning import (
    ProvisionRequest,
    account_provision,
    provisioning_answer_choose,
)
from provisioning.models import ProvisioningRequest
from tests.browser.test_staff_admin_journeys import PASSWORD, sign_in_to_admin
from tests.support import PROVISIONING_CLIENT_ID, THIS_PRACTICE, NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KAI = "Kai Jones (999 000 0107)"


class Check(Protocol):
    def __call__(self, page: Page, *, read_stylesheets: bool = True) -> None: ...


@pytest.fixture
def reception(provisioning_live: NhsLoginLive) -> TOTPDevice:
    """Sam Taylor at the demo practice, who may provision, with an authenticator app."""
    staff = UserFactory.create(
        username="reception", first_name="Sam", last_name="Taylor", is_staff=True
    )
    staff.set_password(PASSWORD)
    staff.save()
    PracticeStaff.objects.create(user=staff, practice=Practice.objects.get(ods_code=THIS_PRACTICE))
    practice_staff_provisioning_grant(staff)
    return TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)


def _open_the_form(page: Page, base_url: str, app: TOTPDevice) -> None:
    sign_in_to_admin(page, base_url, app)
    page.get_by_role("link", name="Registered patients").first.click()
    page.get_by_label("Search").fill("999 000 0107")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=KAI).click()
    page.get_by_role("link", name="Provision NHS login").click()


@pytest.mark.parametrize("width", [1280, 320])
def test_staff_provision_a_patient_and_see_the_request_waiting(
    page: Page,
    provisioning_live: NhsLoginLive,
    reception: TOTPDevice,
    check_accessibility: Check,
    width: int,
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    _open_the_form(page, provisioning_live.base_url, reception)
    content = page.locator("#content")
    expect(content).to_contain_text("999 000 0107")
    expect(content).to_contain_text("2 April 1988")
    check_accessibility(page, read_stylesheets=False)  # a form page: conftest.axe_violations

    page.get_by_role("button", name="Send to NHS login").click()
    expect(content).to_contain_text("Enter the patient's email address")
    expect(content).to_contain_text("Confirm you have checked the patient's details with them")
    check_accessibility(page, read_stylesheets=False)

    page.get_by_label("Patient's email address").fill("kai.jones@example.org")
    page.get_by_label("Patient's UK mobile number").fill("07700 900107")
    page.get_by_label("I have checked the patient's name").check()
    page.get_by_role("button", name="Send to NHS login").click()

    expect(page.locator(".messagelist")).to_contain_text(
        "NHS login has sent the patient an email to set up their account."
    )
    check_accessibility(page, read_stylesheets=False)
    assert ProvisioningRequest.objects.get().outcome == "create"

    page.get_by_role("link", name="Provision NHS login").click()
    expect(page.locator("#provisioning-refusal")).to_contain_text(
        "NHS login sent this patient an email to set up their account on"
    )
    expect(page.get_by_role("button", name="Send to NHS login")).to_have_count(0)
    check_accessibility(page)


def test_an_answer_from_nhs_login_is_shown_in_our_words_with_the_details_kept(
    page: Page, provisioning_live: NhsLoginLive, reception: TOTPDevice, check_accessibility: Check
) -> None:
    provisioning_answer_choose("11004")
    _open_the_form(page, provisioning_live.base_url, reception)
    page.get_by_label("Patient's email address").fill("kai.jones@example.org")
    page.get_by_label("Patient's UK mobile number").fill("07700 900107")
    page.get_by_label("I have checked the patient's name").check()
    page.get_by_role("button", name="Send to NHS login").click()

    answer = page.get_by_role("alert")
    expect(answer).to_contain_text("This email address is already used by another NHS login.")
    expect(answer).to_contain_text("Ask the patient for an email address that only they use")
    expect(page.get_by_label("Patient's email address")).to_have_value("kai.jones@example.org")
    check_accessibility(page, read_stylesheets=False)


def test_the_patient_claims_the_account_on_the_simulator_s_pages(
    page: Page, provisioning_live: NhsLoginLive, check_accessibility: Check
) -> None:
    """The simulator's side: the messages page, the claim journey and its settings page, each
    passing axe-core."""
    account_provision(
        client=SimulatorClient.objects.get(client_id=PROVISIONING_CLIENT_ID),
        request=ProvisionRequest(
            nhs_number="9990000107",
            email_address="kai.jones@example.org",
            date_of_birth="1988-04-02",
            ods_code=THIS_PRACTICE,
            phone_number="+447700900107",
        ),
        claim_url_base=f"{provisioning_live.issuer}/provisioning/claim",
    )
    simulator = f"{provisioning_live.issuer}/provisioning"
    page.goto(f"{simulator}/messages")
    check_accessibility(page)
    page.get_by_role("link", name="Set up your NHS login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your NHS login")
    check_accessibility(page)
    page.get_by_role("button", name="Send the security code").click()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the security code")
    check_accessibility(page)
    sms = SentMessage.objects.get(channel="sms")
    passcode = re.search(r"\b(\d{6})\b", sms.body)
    assert passcode is not None
    page.get_by_label("Security code").fill(passcode.group(1))
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Password", exact=True).fill("kai-chose-this-password")
    page.get_by_label("Enter the password again").fill("kai-chose-this-password")
    check_accessibility(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your NHS login is ready")
    check_accessibility(page)

    page.goto(f"{simulator}/settings")
    email_in_use = page.get_by_label(
        "Answer 11004: Unable to provision account for user email already in use"
    )
    email_in_use.check()
    page.get_by_role("button", name="Save").click()
    expect(email_in_use).to_be_checked()
    check_accessibility(page)
