"""The patient's linkage pages: their own details only, the key hidden until asked for."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Patient
from accounts.tests.factories import PatientFactory
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory

pytestmark = pytest.mark.django_db

KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores
DETAILS = "/home/linkage-details/"


@pytest.fixture
def practice() -> Practice:
    return PracticeFactory.create(ods_code="A12345")


@pytest.fixture
def registered(practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=practice,
        nhs_number="9990000018",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )


def client_for(patient: Patient) -> Client:
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    return client


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
    return client_for(patient)


def test_page_shows_account_id_and_ods_code_and_hides_the_key(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    LinkageKeyFactory.create(patient=registered, account_id="5100000001")

    response = patient_client.get(DETAILS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "5100000001" in html
    assert "A12345" in html
    assert KEY not in html
    assert "Show linkage key" in html
    assert "Keep your linkage key private" in html
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.actor_type) == ("view", "SUCCESS", "patient")


def test_showing_the_key_is_a_post_and_is_audited(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    LinkageKeyFactory.create(patient=registered)

    response = patient_client.post(f"{DETAILS}show-key/")

    html = response.content.decode()
    assert KEY in html
    assert 'data-copy-target="linkage-key"' in html
    assert "Show linkage key" not in html
    assert AuditEvent.objects.get().action == "show_key"
    # A GET (Back, a reload) shows the details page, key hidden, and is no second showing.
    assert patient_client.get(f"{DETAILS}show-key/")["Location"] == DETAILS
    assert AuditEvent.objects.count() == 1


def test_patient_without_a_key_can_create_one_after_confirming(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    state = patient_client.get(DETAILS).content.decode()
    assert "You do not have a linkage key yet" in state
    assert 'href="/home/linkage-details/create/"' in state
    confirm = patient_client.get(f"{DETAILS}create/").content.decode()
    assert "Create my linkage key" in confirm
    assert not LinkageKey.objects.exists()

    response = patient_client.post(f"{DETAILS}create/confirm/")

    html = response.content.decode()
    key = LinkageKey.objects.get(patient=registered)
    assert "Your linkage key has been created" in html
    assert key.account_id in html
    assert [e.action for e in AuditEvent.objects.order_by("pk")] == ["view", "create"]


def test_creating_twice_shows_the_existing_key_page(
    patient_client: Client, registered: RegisteredPatient
) -> None:
    patient_client.post(f"{DETAILS}create/confirm/")

    response = patient_client.post(f"{DETAILS}create/confirm/")

    assert response.status_code == 302
    assert response["Location"] == DETAILS
    assert LinkageKey.objects.count() == 1


def test_create_needs_csrf(patient: Patient, registered: RegisteredPatient) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")

    assert client.post(f"{DETAILS}create/confirm/").status_code == 403
    assert not LinkageKey.objects.exists()


Arrange = Callable[[RegisteredPatient, Patient], None]


def _revoked(registered: RegisteredPatient, patient: Patient) -> None:
    LinkageKeyFactory.create(patient=registered, status="revoked")


def _other_practice(registered: RegisteredPatient, patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(gp_ods_code="X99999")


def _not_live(registered: RegisteredPatient, patient: Patient) -> None:
    Practice.objects.update(online_services_live=False)


def _not_registered(registered: RegisteredPatient, patient: Patient) -> None:
    RegisteredPatient.objects.filter(pk=registered.pk).update(nhs_number="9990000026")


def _ended(registered: RegisteredPatient, patient: Patient) -> None:
    RegisteredPatient.objects.filter(pk=registered.pk).update(registration_status="ended")


def _no_nhs_number(registered: RegisteredPatient, patient: Patient) -> None:
    Patient.objects.filter(pk=patient.pk).update(nhs_number="")


@pytest.mark.parametrize(
    ("arrange", "title"),
    [
        pytest.param(_revoked, "Your linkage key has been cancelled", id="revoked"),
        pytest.param(
            _other_practice, "Your GP practice does not use this service", id="not-on-system"
        ),
        pytest.param(_not_live, "Your GP practice does not offer this service yet", id="not-live"),
        pytest.param(_not_registered, "We cannot find your registration", id="not-registered"),
        pytest.param(_ended, "Your registration at this GP practice has ended", id="ended"),
        pytest.param(_no_nhs_number, "We cannot show your linkage details", id="no-nhs-number"),
    ],
)
def test_each_situation_gets_a_clear_page_with_a_way_back(
    patient: Patient, registered: RegisteredPatient, arrange: Arrange, title: str
) -> None:
    arrange(registered, patient)
    patient.refresh_from_db()

    html = client_for(patient).get(DETAILS).content.decode()

    assert f"<h1>{title}</h1>" in html
    assert 'href="/home/"' in html
    assert "Create a linkage key" not in html


def test_under_sixteen_cannot_create_a_key(patient: Patient, registered: RegisteredPatient) -> None:
    today = timezone.localdate()
    born = today.replace(year=today.year - 15)
    RegisteredPatient.objects.filter(pk=registered.pk).update(date_of_birth=born)
    Patient.objects.filter(pk=patient.pk).update(birthdate=born)
    patient.refresh_from_db()

    client = client_for(patient)
    viewed = client.get(DETAILS).content.decode()
    html = client.post(f"{DETAILS}create/confirm/").content.decode()

    assert "<h1>You need to be 16 or over</h1>" in viewed
    assert "Create a linkage key" not in viewed
    assert "<h1>You need to be 16 or over</h1>" in html
    assert not LinkageKey.objects.exists()


def test_a_patient_only_ever_sees_their_own_details(
    patient_client: Client, practice: Practice, registered: RegisteredPatient
) -> None:
    other = RegisteredPatientFactory.create(practice=practice, nhs_number="9990000026")
    LinkageKeyFactory.create(patient=other, account_id="5999999999")
    LinkageKeyFactory.create(patient=registered, account_id="5100000001")

    shown = patient_client.post(
        f"{DETAILS}show-key/?nhsNumber=9990000026", {"nhsNumber": "9990000026"}
    ).content.decode()
    viewed = patient_client.get(f"{DETAILS}?nhs_number=9990000026").content.decode()

    assert "5100000001" in shown
    assert "5999999999" not in shown
    assert "5999999999" not in viewed
    assert set(AuditEvent.objects.values_list("nhs_number", flat=True)) == {"9990000018"}


def test_p5_patient_is_stepped_up_before_seeing_linkage_details(
    registered: RegisteredPatient,
) -> None:
    p5 = PatientFactory.create(p5=True, nhs_number="9990000018", gp_ods_code="A12345")

    response = client_for(p5).get(DETAILS)

    assert response["Location"] == "/auth/prove-who-you-are/?next=%2Fhome%2Flinkage-details%2F"
    assert not AuditEvent.objects.exists()


def test_staff_accounts_have_no_linkage_page() -> None:
    from accounts.tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory.create(is_staff=True))

    assert client.get(DETAILS).status_code == 403
