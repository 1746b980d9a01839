"""The whole of account provisioning over real HTTP (docs/provisioning.md): practice staff
provision a patient from the admin, the patient claims the account at the simulator from the
email it would send (a passcode to their mobile, then a password), then signs in to the portal
at P9 with their email address and password and sees their linkage details."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Patient
from linkage.models import RegisteredPatient
from nhs_login_simulator.models import SentMessage
from tests.portal_browser import PortalBrowser, form_field

pytestmark = pytest.mark.django_db(transaction=True)

KAI = "9990000107"
KAI_EMAIL = "kai.jones@example.org"
KAI_PASSWORD = "kai-chose-this-password"


def _csrf(page: str, action: str) -> str:
    return form_field(page, action, "csrfmiddlewaretoken")


def _claim(
    browser: PortalBrowser, link: str, *, password: str = KAI_PASSWORD, heading: str = "Set up"
) -> str:
    """Follow the email's link, send and enter the passcode, set (or enter) the password."""
    start = browser.get(link)
    assert start.status_code == 200
    assert f"{heading} your NHS login" in start.text
    passcode_page = browser.session.post(
        link,
        data={"csrfmiddlewaretoken": _csrf(start.text, "/claim/")},
        timeout=30,
    )
    sms = SentMessage.objects.get(channel="sms")
    assert f"ending in {sms.recipient[-3:]}" in passcode_page.text
    passcode = re.search(r"\b(\d{6})\b", sms.body)
    assert passcode is not None
    password_page = browser.session.post(
        f"{link}/passcode",
        data={
            "csrfmiddlewaretoken": form_field(
                passcode_page.text, "/passcode", "csrfmiddlewaretoken"
            ),
            "passcode": passcode.group(1),
        },
        timeout=30,
    )
    done = browser.session.post(
        f"{link}/password",
        data={
            "csrfmiddlewaretoken": form_field(
                password_page.text, "/password", "csrfmiddlewaretoken"
            ),
            "verified": form_field(password_page.text, "/password", "verified"),
            "password": password,
            "password_again": password,
        },
        timeout=30,
    )
    return done.text


def test_a_provisioned_patient_claims_the_account_and_signs_in_to_the_portal_at_p9(
    provisioning_staff: Client,
) -> None:
    kai = RegisteredPatient.objects.get(nhs_number=KAI)
    sent = provisioning_staff.post(
        f"/admin/provisioning/provisioningrequest/patient/{kai.pk}/",
        {"email_address": KAI_EMAIL, "mobile_number": "07700 900107", "details_confirmed": "on"},
    )
    assert sent.status_code == 302

    # The simulator's messages page shows the email NHS login would send, with its link.
    browser = PortalBrowser(settings.PORTAL_BASE_URL)
    messages_page = browser.get("/nhs-login-simulator/provisioning/messages")
    email = SentMessage.objects.get(channel="email")
    assert email.recipient == KAI_EMAIL
    assert email.link in messages_page.text
    assert SentMessage.objects.get(channel="email").recipient == KAI_EMAIL
    assert "Your NHS login is ready" in _claim(browser, email.link)

    # Signing in to the portal with the email address and password just set.
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    answer = browser.session.post(
        f"{settings.PORTAL_BASE_URL}/nhs-login-simulator/authorize/password",
        data={
            "csrfmiddlewaretoken": form_field(
                sign_in_page.text, "/password", "csrfmiddlewaretoken"
            ),
            "request": form_field(sign_in_page.text, "/password", "request"),
            "email": KAI_EMAIL,
            "password": KAI_PASSWORD,
        },
        timeout=30,
        allow_redirects=False,
    )
    home = browser.follow(browser.answer_consent(answer))
    assert home.url.endswith("/home/"), home.text

    patient = Patient.objects.get()
    assert patient.vot.startswith("P9.")
    assert patient.nhs_number == KAI
    assert patient.gp_ods_code == "A12345"
    # Found on the practice's register by the details NHS login now holds: no key yet, and
    # the patient makes one and sees their linkage details.
    linkage = browser.follow(browser.get("/home/linkage-details/"))
    assert "<h1>You do not have a linkage key yet</h1>" in linkage.text
    confirm = browser.get("/home/linkage-details/create/")
    created = browser.session.post(
        f"{settings.PORTAL_BASE_URL}/home/linkage-details/create/confirm/",
        data={"csrfmiddlewaretoken": _csrf(confirm.text, "/create/confirm/")},
        headers={"Referer": confirm.url},
        timeout=30,
        allow_redirects=False,
    )
    details = browser.follow(created)
    assert "<h1>Your linkage details</h1>" in details.text
    assert "A12345" in details.text


def test_a_p5_patient_uplifted_by_the_practice_signs_in_at_p9_after_entering_their_password(
    provisioning_staff: Client,
) -> None:
    chloe = RegisteredPatient.objects.get(nhs_number="9990000034")
    sent = provisioning_staff.post(
        f"/admin/provisioning/provisioningrequest/patient/{chloe.pk}/",
        {
            "email_address": "chloe.evans@example.org",
            "mobile_number": "07700 900003",
            "details_confirmed": "on",
        },
    )
    assert sent.status_code == 302
    browser = PortalBrowser(settings.PORTAL_BASE_URL)
    link = SentMessage.objects.get(channel="email").link
    assert "Your NHS login is ready" in _claim(
        browser, link, password="simulator-p5", heading="Upgrade"
    )

    # The test user, now P9 with the practice's details, picked on the simulator's page.
    sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
    answer = browser.answer_simulator(sign_in_page, user="p5-demo-practice")
    assert browser.follow(answer).url.endswith("/home/")
    patient = Patient.objects.get()
    assert patient.vot.startswith("P9.")
    assert patient.nhs_number == "9990000034"
