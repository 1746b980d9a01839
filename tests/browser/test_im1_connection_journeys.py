"""The apps connected to a patient's GP record, in Chromium: the patient sees them on their
linkage details page and disconnects one, with JavaScript and without; practice staff see them
on the patient's page in the admin and end one with a reason. axe-core at 1280 and 320 px on
every page of the way."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pytest_django.live_server_helper import LiveServer

from im1.models import Connection
from im1.services import connection_token_hash
from linkage.api_clients.registration import api_client_register
from linkage.models import LinkageKey, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory
from tests.browser.page_checks import (
    check_at_1280_and_320,
    check_without_javascript_at_1280_and_320,
)
from tests.browser.test_linkage_journeys import P9_USER, sign_in
from tests.browser.test_staff_key_journeys import (
    _check_admin_change_form,
    _fits,
    _sign_in,
    reception,  # noqa: F401 - a fixture
)
from tests.support import NhsLoginLive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Check = Callable[[Page], None]
APP = "Example IM1 app"


def _connected(nhs_number: str = "9990000018") -> Connection:
    """An IM1 app paired with the patient's active key, as a pairing leaves it."""
    partner = api_client_register(
        name=APP,
        client_id=f"partner-{secrets.token_hex(4)}",
        public_key_pem="",
        jwks_url="https://partner.example.org/jwks.json",
        scopes=["im1:pair"],
        all_practices=True,
    )
    key = LinkageKey.objects.get(patient__nhs_number=nhs_number, status="active")
    return Connection.objects.create(
        partner=partner,
        patient=key.patient,
        linkage_key=key,
        token_hash=connection_token_hash(secrets.token_urlsafe(32)),
    )


def _disconnect(page: Page, base_url: str, check: Check) -> None:
    connection = _connected()
    sign_in(page, base_url, P9_USER)
    page.get_by_role("link", name="See your linkage details").click()
    section = page.locator("#connected-apps")
    expect(section.get_by_role("heading", level=2)).to_have_text("Apps connected to your GP record")
    expect(section.get_by_role("table")).to_contain_text(APP)
    expect(section.get_by_role("table")).to_contain_text("Not yet")
    check(page)

    section.get_by_role("link", name=f"Disconnect {APP}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Disconnect {APP} from your GP record"
    )
    check(page)
    page.get_by_role("button", name=f"Yes, disconnect {APP}").click()

    expect(page.locator("#connected-apps")).to_contain_text(
        f"{APP} has been disconnected from your GP record"
    )
    expect(page.locator("#connected-apps")).to_contain_text("No apps are connected")
    connection.refresh_from_db()
    assert connection.ended_reason == "Disconnected by the patient"
    check(page)


def test_patient_disconnects_an_app(
    page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    _disconnect(
        page,
        nhs_login_live.base_url,
        lambda shown: check_at_1280_and_320(shown, check_accessibility),
    )


def test_patient_disconnects_an_app_without_javascript(
    no_js_page: Page, page: Page, nhs_login_live: NhsLoginLive, check_accessibility: Check
) -> None:
    _disconnect(
        no_js_page,
        nhs_login_live.base_url,
        lambda shown: check_without_javascript_at_1280_and_320(
            shown, page, nhs_login_live.base_url, check_accessibility
        ),
    )


@pytest.mark.parametrize("width", [1280, 320])
def test_staff_see_a_patient_s_connected_apps_and_end_one(
    page: Page,
    live_server: LiveServer,
    reception: Any,  # noqa: F811 - the fixture imported above
    check_accessibility: Check,
    width: int,
) -> None:
    patient = RegisteredPatient.objects.get(nhs_number="9990000018")
    LinkageKeyFactory.create(patient=patient, account_id="5100000001")
    connection = _connected()
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, live_server.url, reception)

    page.goto(f"{live_server.url}/admin/linkage/registeredpatient/{patient.pk}/change/")
    expect(page.locator("#content")).to_contain_text("Connected apps (IM1)")
    _check_admin_change_form(page)
    page.get_by_role("link", name=APP).click()
    _check_admin_change_form(page)
    page.get_by_role("link", name="End connection").click()
    expect(page.locator("#content")).to_contain_text(f"{APP} can no longer see Ava Thompson's")
    check_accessibility(page)
    _fits(page, width)
    page.get_by_role("button", name="End the connection").click()
    expect(page.locator(".errorlist")).to_contain_text("Enter why the connection is being ended")
    check_accessibility(page)
    page.get_by_label("Reason").fill("The patient does not recognise it")
    page.get_by_role("button", name="End the connection").click()

    expect(page.locator(".messagelist")).to_contain_text(f"{APP} disconnected")
    connection.refresh_from_db()
    assert connection.ended_reason == "The patient does not recognise it"
    assert connection.ended_by.endswith("reception")
    _check_admin_change_form(page)
