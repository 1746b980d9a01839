"""The patient cancelling their own linkage key from their pages, and getting a new one: P9
only, their own key only, a CSRF-protected POST, audited with the request id; a GET asks."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from accounts.models import Patient
from accounts.tests.factories import PatientFactory
from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail
from tests.support import patient_signed_in

pytestmark = pytest.mark.django_db

KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores
DETAILS = "/home/linkage-details/"
CANCEL = "/home/linkage-details/cancel/"
NEW_KEY = "/home/linkage-details/create/confirm/"


@pytest.fixture
def practice() -> Practice:
    return PracticeFactory.create(ods_code="A12345", name="Demo Surgery")


@pytest.fixture
def registered(practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=practice,
        nhs_number="9990000018",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )


@pytest.fixture
def key(registered: RegisteredPatient) -> LinkageKey:
    return LinkageKeyFactory.create(patient=registered, account_id="5100000001")


@pytest.fixture
def patient(registered: RegisteredPatient) -> Patient:
    return PatientFactory.create(
        nhs_number="9990000018",
        family_name="Thompson",
        birthdate=datetime.date(1985, 3, 5),
        gp_ods_code="A12345",
    )


@pytest.fixture
def patient_client(patient: Patient) -> Client:
    return patient_signed_in(patient)


def _status(key: LinkageKey) -> str:
    key.refresh_from_db()
    return key.status


def test_the_details_page_offers_to_cancel_the_key(patient_client: Client, key: LinkageKey) -> None:
    html = patient_client.get(DETAILS).content.decode()

    assert f'href="{CANCEL}"' in html
    assert "Cancel this linkage key" in html


def test_a_get_asks_first_and_cancels_nothing(patient_client: Client, key: LinkageKey) -> None:
    response = patient_client.get(CANCEL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Cancel your linkage key</h1>" in html
    assert "apps you connected with it will stop working" in html
    assert "you can get a new linkage key straight away" in html
    assert f'<form action="{CANCEL}" method="post"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "no-cache" in response["Cache-Control"]
    assert _status(key) == "active"
    assert not AuditEvent.objects.exists()


def test_cancelling_revokes_the_key_audited_with_the_patient_and_the_request_id(
    patient_client: Client, patient: Patient, key: LinkageKey
) -> None:
    response = patient_client.post(CANCEL, headers={"X-Request-ID": "trace-cancel-1"})

    assert response.status_code == 302
    assert response["Location"] == DETAILS
    assert _status(key) == "revoked"
    assert key.revoked_by == f"patient:{patient.nhs_login_sub}"
    assert key.revoked_reason == "Cancelled by the patient"
    event = AuditEvent.objects.get()
    assert (event.actor_type, event.actor, event.action, event.outcome) == (
        "patient",
        patient.nhs_login_sub,
        "revoke",
        "SUCCESS",
    )
    assert (event.nhs_number, event.ods_code, event.request_id) == (
        "9990000018",
        "A12345",
        "trace-cancel-1",
    )
    assert KEY not in response.content.decode()


def test_after_cancelling_the_page_says_so_and_a_new_key_keeps_the_account_id(
    patient_client: Client, registered: RegisteredPatient, key: LinkageKey
) -> None:
    patient_client.post(CANCEL)

    cancelled = patient_client.get(DETAILS).content.decode()
    assert "<h1>You have cancelled your linkage key</h1>" in cancelled
    assert f'<form action="{NEW_KEY}" method="post"' in cancelled
    assert "Get a new linkage key" in cancelled
    assert "Ask your GP practice" not in cancelled

    created = patient_client.post(NEW_KEY).content.decode()

    new = LinkageKey.objects.get(patient=registered, status="active")
    assert new.account_id == "5100000001"
    assert linkage_key_decrypt(new.encrypted_key) != KEY
    assert "Your linkage key has been created" in created
    assert linkage_key_decrypt(new.encrypted_key) in created
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "outcome"))
    assert actions == [
        ("revoke", "SUCCESS"),
        ("view", "LINKAGE_KEY_REVOKED"),
        ("create", "SUCCESS"),
    ]


def test_a_key_the_practice_cancelled_still_sends_the_patient_to_the_practice(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    LinkageKeyFactory.create(patient=registered, status="revoked", revoked_by="staff:reception")

    html = patient_client.get(DETAILS).content.decode()

    assert "<h1>Your linkage key has been cancelled</h1>" in html
    assert "Get a new linkage key" not in html


def test_cancelling_twice_is_answered_with_the_cancelled_page(
    patient_client: Client, key: LinkageKey
) -> None:
    patient_client.post(CANCEL)

    again = patient_client.post(CANCEL)

    assert again.status_code == 302
    assert again["Location"] == DETAILS
    assert _status(key) == "revoked"
    assert LinkageKey.objects.count() == 1
    outcomes = list(AuditEvent.objects.order_by("pk").values_list("action", "outcome"))
    assert outcomes == [("revoke", "SUCCESS"), ("revoke", "LINKAGE_KEY_REVOKED")]
    assert "You have cancelled" in patient_client.get(DETAILS).content.decode()


def test_cancelling_without_a_key_shows_the_page_to_create_one(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    response = patient_client.post(CANCEL)

    assert response["Location"] == DETAILS
    assert "You do not have a linkage key yet" in patient_client.get(DETAILS).content.decode()
    assert not LinkageKey.objects.exists()


def test_a_p5_patient_is_stepped_up_and_cancels_nothing(
    registered: RegisteredPatient, key: LinkageKey
) -> None:
    p5 = PatientFactory.create(p5=True, nhs_number="9990000018", gp_ods_code="A12345")

    response = patient_signed_in(p5).post(CANCEL)

    assert (
        response["Location"]
        == "/auth/prove-who-you-are/?next=%2Fhome%2Flinkage-details%2Fcancel%2F"
    )
    assert _status(key) == "active"
    assert not AuditEvent.objects.exists()


def test_nothing_in_the_request_can_cancel_another_patient_s_key(
    patient_client: Client, practice: Practice, key: LinkageKey
) -> None:
    other_patient = RegisteredPatientFactory.create(practice=practice, nhs_number="9990000026")
    other = LinkageKeyFactory.create(patient=other_patient, account_id="5999999999")

    patient_client.post(
        f"{CANCEL}?nhsNumber=9990000026&accountId=5999999999",
        {"nhsNumber": "9990000026", "nhs_number": "9990000026", "accountId": "5999999999"},
    )

    assert (_status(key), _status(other)) == ("revoked", "active")
    assert set(AuditEvent.objects.values_list("nhs_number", flat=True)) == {"9990000018"}


def test_cancelling_needs_the_csrf_token(patient: Patient, key: LinkageKey) -> None:
    response = patient_signed_in(patient, enforce_csrf_checks=True).post(CANCEL)

    assert response.status_code == 403
    assert _status(key) == "active"


@pytest.mark.django_db(transaction=True)
def test_when_the_audit_cannot_be_written_nothing_is_cancelled(
    patient: Patient, key: LinkageKey
) -> None:
    client = patient_signed_in(patient, raise_request_exception=False)

    with audit_writes_fail() as refused:
        response = client.post(CANCEL)

    assert refused
    assert response.status_code == 503
    assert _status(key) == "active"
    assert not key.revoked_by
    assert KEY not in response.content.decode()


def test_a_patient_without_an_nhs_number_is_told_why(registered: RegisteredPatient) -> None:
    unmatched = PatientFactory.create(nhs_number="", gp_ods_code="A12345")

    html = patient_signed_in(unmatched).post(CANCEL).content.decode()

    assert "<h1>We cannot show your linkage details</h1>" in html
    assert not AuditEvent.objects.exists()
