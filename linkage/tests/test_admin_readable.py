"""The admin reads as people: patients by name and NHS number (3-3-4) in titles, lists and
breadcrumbs, and the audit trail with names, actions and outcomes in words."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client

from accounts.tests.factories import PatientFactory, UserFactory
from linkage.api_clients.registration import api_client_register
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import AuditEvent, Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.support import THIS_PRACTICE, staff_signed_in

pytestmark = pytest.mark.django_db

AVA = "Ava Thompson (999 000 0018)"


@pytest.fixture
def ava(this_practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=this_practice,
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )


@pytest.fixture
def sam(this_practice: Practice) -> Client:
    """A receptionist with a name, as practice_staff_create makes them."""
    user = UserFactory.create(
        username="reception", first_name="Sam", last_name="Taylor", is_staff=True
    )
    PracticeStaff.objects.create(user=user, practice=this_practice)
    return staff_signed_in(user)


def results_table(html: str) -> str:
    """The list's rows, without the filters (whose links carry the stored codes)."""
    found = re.search(r'<table id="result_list">.*?</table>', html, re.S)
    assert found, "no result list on the page"
    return found.group(0)


def breadcrumbs(html: str) -> str:
    found = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S)
    assert found
    return " ".join(found.group(1).split())


def test_a_registered_patient_reads_as_their_name_and_nhs_number(
    ava: RegisteredPatient,
) -> None:
    assert str(ava) == AVA


def test_a_linkage_key_reads_as_its_patients(ava: RegisteredPatient) -> None:
    key = LinkageKeyFactory.create(patient=ava)

    assert str(key) == f"Linkage key for {AVA}, active"


def test_an_audit_event_reads_in_words(this_practice: Practice) -> None:
    event = audit_event_record(
        actor=Actor(ActorType.STAFF, "reception"),
        action=AuditAction.SHOW_KEY,
        outcome="SUCCESS",
        ods_code=THIS_PRACTICE,
    )

    assert re.fullmatch(
        r"Linkage key shown: Success, \d{1,2} [A-Z][a-z]+ \d{4} at \d\d:\d\d:\d\d", str(event)
    )


def test_the_register_list_and_patient_page_name_the_patient(
    sam: Client, ava: RegisteredPatient
) -> None:
    listing = sam.get("/admin/linkage/registeredpatient/").content.decode()
    page = sam.get(f"/admin/linkage/registeredpatient/{ava.pk}/change/").content.decode()

    assert AVA in results_table(listing)
    assert AVA in breadcrumbs(page)
    assert f"<h2>{AVA}</h2>" in page
    assert "999 000 0018" in page
    assert "9990000018" not in page  # never ungrouped where staff read it


def test_the_linkage_key_list_and_page_name_the_patient(
    sam: Client, ava: RegisteredPatient
) -> None:
    key = LinkageKeyFactory.create(patient=ava)

    listing = sam.get("/admin/linkage/linkagekey/").content.decode()
    page = sam.get(f"/admin/linkage/linkagekey/{key.pk}/change/").content.decode()

    assert AVA in results_table(listing)
    assert f"Linkage key for {AVA}, active" in breadcrumbs(page)
    assert "9990000018" not in page


@pytest.fixture
def trail(ava: RegisteredPatient, this_practice: Practice) -> list[AuditEvent]:
    PatientFactory.create(
        nhs_login_sub="sub-of-ava", given_name="Ava", family_name="Thompson", nhs_number=""
    )
    api_client_register(
        name="NHS login",
        client_id="nhs-login-client-id",
        public_key_pem="",
        jwks_url="https://auth.example.org/.well-known/jwks.json",
        scopes=["linkage:read"],
        all_practices=True,
    )
    return [
        audit_event_record(
            actor=Actor(ActorType.STAFF, "reception"),
            action=AuditAction.SHOW_KEY,
            outcome="SUCCESS",
            ods_code=THIS_PRACTICE,
            nhs_number="9990000018",
        ),
        audit_event_record(
            actor=Actor(ActorType.API_CLIENT, "nhs-login-client-id"),
            action=AuditAction.RETRIEVE,
            outcome="PATIENT_NOT_FOUND",
            ods_code=THIS_PRACTICE,
            nhs_number="9990000026",  # on no register
        ),
        audit_event_record(
            actor=Actor(ActorType.PATIENT, "sub-of-ava"),
            action=AuditAction.VIEW,
            outcome="SUCCESS",
            ods_code=THIS_PRACTICE,
            nhs_number="9990000018",
        ),
    ]


def test_the_audit_list_reads_in_words_with_names(sam: Client, trail: list[AuditEvent]) -> None:
    rows = results_table(sam.get("/admin/linkage/auditevent/").content.decode())

    for words in (
        "Sam Taylor (reception)",
        "Linkage key shown",
        "Success",
        "Staff",
        "NHS login",
        "App (API client)",
        "Linkage details read by an app",
        "Refused: no matching patient on the register",
        "999 000 0026",
        "Linkage details viewed",
        "Patient",
        AVA,
    ):
        assert words in rows, words
    for code in ("show_key", "PATIENT_NOT_FOUND", "SUCCESS", "nhs-login-client-id", "sub-of-ava"):
        assert code not in rows, code
    assert "9990000018" not in rows


def test_the_audit_filters_offer_words_and_still_filter_by_code(
    sam: Client, trail: list[AuditEvent]
) -> None:
    page = sam.get("/admin/linkage/auditevent/").content.decode()
    filtered = results_table(
        sam.get("/admin/linkage/auditevent/?outcome__exact=PATIENT_NOT_FOUND").content.decode()
    )

    filters = re.search(r'<nav id="changelist-filter".*?</nav>', page, re.S)
    assert filters
    for words in ("Linkage key shown", "Refused: no matching patient on the register", "Staff"):
        assert words in filters.group(0)
    assert "Refused: no matching patient on the register" in filtered
    assert "Linkage key shown" not in filtered


def test_an_audit_event_page_reads_in_words(sam: Client, trail: list[AuditEvent]) -> None:
    page = sam.get(f"/admin/linkage/auditevent/{trail[0].pk}/change/").content.decode()

    assert "Sam Taylor (reception)" in page
    assert "Linkage key shown" in page
    assert AVA in page
    assert "Linkage key shown: Success" in breadcrumbs(page)
    assert "show_key" not in page
    assert "9990000018" not in page


def test_superusers_read_staff_memberships_by_name(
    superuser_client: Client, sam: Client, this_practice: Practice
) -> None:
    rows = results_table(superuser_client.get("/admin/linkage/practicestaff/").content.decode())

    assert "Sam Taylor (reception)" in rows
    assert "Demo Surgery (A12345)" in rows
