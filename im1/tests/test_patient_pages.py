"""The patient's connected apps, on their linkage details page, and disconnecting one: P9
only, their own connections only, a CSRF-protected POST that asks first, one audit event with
the patient as the actor, and the partner refused from then on."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Patient
from accounts.tests.factories import PatientFactory
from im1.models import Connection
from im1.patient_views import DISCONNECTED_BY_THE_PATIENT
from im1.tests.conftest import Im1Partner
from linkage.audit import Actor, ActorType
from linkage.models import AuditEvent, LinkageKey, RegisteredPatient
from linkage.services import linkage_key_revoke
from linkage.tests.conftest import NHS_NUMBER, ODS_CODE, SURNAME
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail
from tests.support import patient_signed_in

pytestmark = pytest.mark.django_db

Body = Callable[..., dict[str, str]]
DETAILS = "/home/linkage-details/"


def _disconnect_url(connection: Connection) -> str:
    return f"/home/linkage-details/connected-apps/{connection.pk}/disconnect/"


@pytest.fixture
def patient(registered_patient: RegisteredPatient) -> Patient:
    return PatientFactory.create(
        nhs_number=NHS_NUMBER,
        family_name=SURNAME,
        birthdate=datetime.date(1985, 3, 5),
        gp_ods_code=ODS_CODE,
    )


@pytest.fixture
def patient_client(patient: Patient) -> Client:
    return patient_signed_in(patient)


@pytest.fixture
def connected(partner: Im1Partner, pairing_body: Body) -> tuple[Connection, str]:
    """The partner paired with the patient's key: its connection and token."""
    token = partner.connect(pairing_body())
    return Connection.objects.get(partner__client_id=partner.client_id), token


def _page(client: Client) -> str:
    response = client.get(DETAILS)
    assert response.status_code == 200
    return response.content.decode()


def test_the_details_page_lists_the_connected_app_with_when_and_a_way_to_disconnect(
    patient_client: Client, connected: tuple[Connection, str], partner: Im1Partner
) -> None:
    connection, token = connected
    html = _page(patient_client)

    assert "Apps connected to your GP record" in html
    assert "Example IM1 app" in html
    connected_on = connection.created_at.astimezone()
    assert f"{connected_on.day} {connected_on:%B %Y}" in html
    assert "Not yet" in html  # never read over the connection
    assert f'href="{_disconnect_url(connection)}"' in html

    assert partner.patient(token).status_code == 200
    assert "Not yet" not in _page(patient_client)  # the read is its last use


def test_only_connected_apps_of_this_patient_are_listed(
    patient_client: Client,
    connected: tuple[Connection, str],
    partner_for: Callable[..., Im1Partner],
    pairing_body: Body,
    registered_patient: RegisteredPatient,
) -> None:
    other_app = partner_for(name="App of another patient")
    someone_else = RegisteredPatientFactory.create(
        practice=registered_patient.practice, nhs_number="9990000026", surname=SURNAME
    )
    other_key = LinkageKeyFactory.create(patient=someone_else, account_id="5999999999")
    Connection.objects.create(
        partner=other_app.caller.client, patient=someone_else, linkage_key=other_key, token_hash="x"
    )
    ended = partner_for(name="App the patient ended")
    ended.connect(pairing_body())
    Connection.objects.filter(partner__client_id=ended.client_id).update(
        ended_at=connected[0].created_at, ended_by="patient", ended_reason="Disconnected"
    )

    html = _page(patient_client)

    assert "Example IM1 app" in html
    assert "App of another patient" not in html
    assert "App the patient ended" not in html


def test_with_no_connected_app_the_page_says_so(
    patient_client: Client, linkage_key: LinkageKey
) -> None:
    assert "No apps are connected to your GP record with these details." in _page(patient_client)


def test_disconnecting_asks_first_and_ends_nothing_on_a_get(
    patient_client: Client, connected: tuple[Connection, str]
) -> None:
    connection, _ = connected

    response = patient_client.get(_disconnect_url(connection))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Disconnect Example IM1 app from your GP record" in html
    assert "Yes, disconnect Example IM1 app" in html
    assert response["Cache-Control"].startswith("max-age=0")
    connection.refresh_from_db()
    assert connection.ended_at is None


def test_the_patient_disconnects_an_app_audited_and_the_partner_is_refused_from_then_on(
    patient: Patient,
    patient_client: Client,
    connected: tuple[Connection, str],
    partner: Im1Partner,
) -> None:
    connection, token = connected
    before = AuditEvent.objects.count()

    response = patient_client.post(_disconnect_url(connection))

    assert response.status_code == 302
    assert response["Location"] == f"{DETAILS}#connected-apps"
    connection.refresh_from_db()
    assert connection.ended_at is not None
    assert connection.ended_reason == DISCONNECTED_BY_THE_PATIENT
    assert patient.nhs_login_sub in connection.ended_by
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.latest("pk")
    assert (event.action, event.outcome, event.actor_type) == (
        "im1_connection_end",
        "SUCCESS",
        "patient",
    )
    assert (event.actor, event.nhs_number, event.ods_code) == (
        patient.nhs_login_sub,
        NHS_NUMBER,
        ODS_CODE,
    )
    assert event.request_id
    refused = partner.patient(token)
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "CONNECTION_NOT_VALID")
    page = _page(patient_client)
    assert "Example IM1 app has been disconnected from your GP record" in page
    assert "No apps are connected" in page
    assert "has been disconnected" not in _page(patient_client)  # said once


def test_a_second_post_goes_back_to_the_page_and_writes_nothing_more(
    patient_client: Client, connected: tuple[Connection, str]
) -> None:
    connection, _ = connected
    patient_client.post(_disconnect_url(connection))
    events = AuditEvent.objects.count()

    again = patient_client.post(_disconnect_url(connection))

    assert again.status_code == 302
    assert again["Location"] == f"{DETAILS}#connected-apps"
    assert AuditEvent.objects.count() == events
    assert patient_client.get(_disconnect_url(connection)).status_code == 404


def test_nobody_disconnects_another_patient_s_app(
    connected: tuple[Connection, str], registered_patient: RegisteredPatient
) -> None:
    connection, _ = connected
    RegisteredPatientFactory.create(practice=registered_patient.practice, nhs_number="9990000026")
    other = patient_signed_in(PatientFactory.create(nhs_number="9990000026", gp_ods_code=ODS_CODE))

    asked = other.get(_disconnect_url(connection))
    posted = other.post(_disconnect_url(connection))

    assert asked.status_code == 404
    assert posted.status_code == 302
    connection.refresh_from_db()
    assert connection.ended_at is None
    assert not AuditEvent.objects.filter(action="im1_connection_end").exists()


def test_an_app_whose_key_was_revoked_is_not_offered_to_disconnect(
    patient_client: Client, connected: tuple[Connection, str], linkage_key: LinkageKey
) -> None:
    connection, _ = connected
    staff = Actor(ActorType.STAFF, "reception-a12345")
    linkage_key_revoke(actor=staff, linkage_key=linkage_key, reason="Lost the letter")

    assert patient_client.get(_disconnect_url(connection)).status_code == 404


def test_a_p5_patient_is_stepped_up_and_disconnects_nothing(
    registered_patient: RegisteredPatient, connected: tuple[Connection, str]
) -> None:
    connection, _ = connected
    p5 = PatientFactory.create(p5=True, nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE)

    response = patient_signed_in(p5).post(_disconnect_url(connection))

    assert response["Location"].startswith("/auth/prove-who-you-are/?next=")
    connection.refresh_from_db()
    assert connection.ended_at is None


def test_disconnecting_needs_the_csrf_token(
    patient: Patient, connected: tuple[Connection, str]
) -> None:
    connection, _ = connected

    response = patient_signed_in(patient, enforce_csrf_checks=True).post(
        _disconnect_url(connection)
    )

    assert response.status_code == 403
    connection.refresh_from_db()
    assert connection.ended_at is None


@pytest.mark.django_db(transaction=True)
def test_when_the_audit_cannot_be_written_the_app_stays_connected(
    patient: Patient, connected: tuple[Connection, str], partner: Im1Partner
) -> None:
    connection, token = connected
    client = patient_signed_in(patient, raise_request_exception=False)

    with audit_writes_fail() as refused:
        response = client.post(_disconnect_url(connection))

    assert refused
    assert response.status_code == 503
    connection.refresh_from_db()
    assert connection.ended_at is None
    assert partner.patient(token).status_code == 200
