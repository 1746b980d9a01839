"""The admin's doors (accounts/admin_site.py): its sign-in page, a patient who opens the admin,
a member of staff refused a page, and a signed-out member of staff following a link."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.tests.factories import UserFactory
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import Practice, PracticeStaff
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.support import staff_signed_in

pytestmark = pytest.mark.django_db

STAFF_REFUSAL = "You cannot open this page"


def is_the_staff_refusal(response: object) -> bool:
    """The admin's own 403 page, not the patients' one."""
    html = response.content.decode()  # type: ignore[attr-defined]
    return (
        response.status_code == 403  # type: ignore[attr-defined]
        and STAFF_REFUSAL in html
        and "Citizen portal: practice administration" in html
        and "ask your practice's administrator" in html
        and "Go to the start page" not in html  # the patients' 403
    )


def test_the_sign_in_page_has_its_heading_and_says_where_to_turn(client: Client) -> None:
    html = " ".join(client.get("/admin/login/").content.decode().split())

    assert html.count("<h1") == 1
    assert "<h1>Sign in to the practice administration</h1>" in html
    desk = escape(settings.ADMIN_SERVICE_DESK)
    assert f"Ask your practice's administrator, or contact {desk}" in html
    assert '<a href="/">Sign in with NHS login on the citizen portal</a>' in html


@pytest.mark.parametrize("url", ["/admin/", "/admin/linkage/linkagekey/", "/admin/login/"])
def test_a_signed_in_patient_opening_the_admin_goes_to_their_home_page(
    patient_client: Client, url: str
) -> None:
    response = patient_client.get(url)

    assert response.status_code == 302
    assert response["Location"] == "/home/"
    assert patient_client.get(response["Location"]).status_code == 200


def test_on_the_admins_own_host_a_patient_goes_home_on_the_portals(
    patient_client: Client, settings: SettingsWrapper
) -> None:
    settings.ADMIN_HOST = "admin.portal.example.org"
    settings.ALLOWED_HOSTS = ["admin.portal.example.org", "testserver"]
    settings.PORTAL_BASE_URL = "https://portal.example.org"

    response = patient_client.get("/admin/", headers={"host": "admin.portal.example.org"})

    assert response["Location"] == "https://portal.example.org/home/"


def test_a_user_neither_staff_nor_patient_still_gets_djangos_sign_in_page(db: None) -> None:
    """A member of staff whose staff status was withdrawn: not a patient, so not sent home."""
    former = Client()
    former.force_login(
        UserFactory.create(username="left", is_staff=False),
        backend="django.contrib.auth.backends.ModelBackend",
    )

    response = former.get("/admin/", follow=True)

    assert "You are authenticated as left, but are not authorized" in response.content.decode()


@pytest.fixture
def records_of(this_practice: Practice, other_practice: Practice) -> dict[str, str]:
    """An admin page of each kind, for a record of the other practice."""
    patient = RegisteredPatientFactory.create(
        practice=other_practice, nhs_number="9990000026", date_of_birth=datetime.date(1990, 1, 1)
    )
    key = LinkageKeyFactory.create(patient=patient)
    event = audit_event_record(
        actor=Actor(ActorType.SYSTEM, "test"),
        action=AuditAction.IMPORT,
        outcome="SUCCESS",
        ods_code=other_practice.ods_code,
    )
    return {
        "patient": f"/admin/linkage/registeredpatient/{patient.pk}/change/",
        "patient-history": f"/admin/linkage/registeredpatient/{patient.pk}/history/",
        "key": f"/admin/linkage/linkagekey/{key.pk}/change/",
        "show-key": f"/admin/linkage/linkagekey/{key.pk}/show-key/",
        "event": f"/admin/linkage/auditevent/{event.pk}/change/",
        "practice": f"/admin/linkage/practice/{other_practice.pk}/change/",
        "missing": "/admin/linkage/registeredpatient/999999/change/",
    }


@pytest.mark.parametrize(
    "page", ["patient", "patient-history", "key", "show-key", "event", "practice", "missing"]
)
def test_staff_opening_another_practices_record_get_the_staff_refusal(
    staff_client: Client, records_of: dict[str, str], page: str
) -> None:
    response = staff_client.get(records_of[page])

    assert is_the_staff_refusal(response)
    assert "9990000026" not in response.content.decode()
    assert "999 000 0026" not in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/",
        "/admin/linkage/apiclient/",
        "/admin/linkage/practicestaff/",
        "/admin/linkage/practice/add/",
    ],
)
def test_staff_opening_a_page_for_superusers_get_the_staff_refusal(
    staff_client: Client, url: str
) -> None:
    assert is_the_staff_refusal(staff_client.get(url))


def test_staff_without_a_practice_get_the_staff_refusal_naming_who_is_signed_in(
    db: None,
) -> None:
    user = UserFactory.create(username="newstarter", first_name="Jo", last_name="Smith")
    user.is_staff = True
    user.save()
    client = staff_signed_in(user)

    response = client.get("/admin/linkage/registeredpatient/")

    assert is_the_staff_refusal(response)
    assert "Jo Smith (newstarter)" in response.content.decode()


def test_a_posted_refusal_changes_nothing_and_gets_the_staff_page(
    staff_client: Client, records_of: dict[str, str]
) -> None:
    response = staff_client.post(records_of["show-key"])

    assert is_the_staff_refusal(response)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/linkage/registeredpatient/",
        "/admin/linkage/registeredpatient/import/",
        "/admin/linkage/auditevent/export/",
        "/admin/linkage/linkagekey/1/show-key/",
        "/admin/",
    ],
)
def test_signed_out_staff_following_a_link_get_the_admins_sign_in_page(
    client: Client, url: str
) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(f"/admin/login/?next={url}")


def test_staff_sign_in_goes_on_to_the_page_they_followed(
    this_practice: Practice, client: Client
) -> None:
    user = UserFactory.create(username="reception", is_staff=True)
    user.set_password("a-long-test-password-1")
    user.save()
    PracticeStaff.objects.create(user=user, practice=this_practice)

    response = client.post(
        "/admin/login/?next=/admin/linkage/registeredpatient/",
        {
            "username": "reception",
            "password": "a-long-test-password-1",
            "next": "/admin/linkage/registeredpatient/",
        },
    )

    # There, the second factor first, which then goes on to the page followed.
    assert response.status_code == 302
    assert response["Location"] == "/admin/linkage/registeredpatient/"


def test_a_patient_is_not_one_of_the_staff_refused(patient_client: Client) -> None:
    """A patient never sees the staff refusal: they are sent home before any admin view."""
    assert patient_client.get("/admin/accounts/user/")["Location"] == "/home/"
