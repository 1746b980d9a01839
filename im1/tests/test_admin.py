"""IM1 connections in the practice admin: staff of the patient's practice see them on the
list and on the patient's page, end one with a reason (audited, and the partner refused from
then on), and unlock a patient's pairing; other practices see nothing, and staff without the
revoke permission change nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from accounts.tests.factories import UserFactory
from im1.models import Connection, PairingGuard
from im1.tests.conftest import Im1Partner
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import PracticeFactory
from tests.audit_faults import audit_writes_fail
from tests.support import key_permissions_granted, staff_signed_in

pytestmark = pytest.mark.django_db

Body = Callable[..., dict[str, str]]
LIST = "/admin/im1/connection/"


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def _staff(practice: Practice, username: str, *, key_actions: bool = True) -> Client:
    user = UserFactory.create(username=username, is_staff=True)
    PracticeStaff.objects.create(user=user, practice=practice)
    if key_actions:
        key_permissions_granted(user)
    else:
        user.user_permissions.add(*Permission.objects.filter(codename="view_linkagekey"))
    return staff_signed_in(user)


@pytest.fixture
def staff(practice: Practice) -> Client:
    return _staff(practice, "reception-a12345")


@pytest.fixture
def reader(practice: Practice) -> Client:
    """Staff of the practice who may not revoke keys."""
    return _staff(practice, "reader-a12345", key_actions=False)


@pytest.fixture
def other_staff() -> Client:
    return _staff(PracticeFactory.create(ods_code="B23456"), "reception-b23456")


@pytest.fixture
def connection(partner: Im1Partner, pairing_body: Body) -> Connection:
    partner.connect(pairing_body())
    return Connection.objects.get(partner__client_id=partner.client_id)


def _change(connection: Connection) -> str:
    return f"{LIST}{connection.pk}/change/"


def _end(connection: Connection) -> str:
    return f"{LIST}{connection.pk}/end/"


def _patient_page(patient: RegisteredPatient) -> str:
    return f"/admin/linkage/registeredpatient/{patient.pk}/change/"


def _unlock(patient: RegisteredPatient) -> str:
    return f"{LIST}unlock-pairing/{patient.pk}/"


def test_staff_see_their_practice_s_connections_and_other_practices_see_none(
    staff: Client, other_staff: Client, connection: Connection
) -> None:
    listed = _text(staff.get(LIST).content.decode())
    assert "Example IM1 app" in listed
    assert "Connected" in listed
    assert "Example IM1 app" not in _text(other_staff.get(LIST).content.decode())
    assert other_staff.get(_change(connection)).status_code == 403
    assert other_staff.get(_end(connection)).status_code == 403


def test_the_patient_s_page_lists_their_connected_apps(
    staff: Client, connection: Connection, registered_patient: RegisteredPatient
) -> None:
    html = staff.get(_patient_page(registered_patient)).content.decode()

    assert "Connected apps (IM1)" in html
    assert f'href="{_change(connection)}"' in html
    assert "Example IM1 app" in html
    assert "Not yet" in html
    assert "App pairing is locked" not in html


def test_the_connection_s_page_offers_to_end_it_only_to_staff_who_may(
    staff: Client, reader: Client, connection: Connection
) -> None:
    assert _end(connection) in staff.get(_change(connection)).content.decode()
    assert reader.get(_change(connection)).status_code == 200
    assert _end(connection) not in reader.get(_change(connection)).content.decode()
    assert reader.get(_end(connection)).status_code == 403
    assert reader.post(_end(connection), {"reason": "Not theirs"}).status_code == 403
    connection.refresh_from_db()
    assert connection.ended_at is None


def test_ending_asks_why_and_ends_nothing_without_a_reason(
    staff: Client, connection: Connection
) -> None:
    asked = _text(staff.get(_end(connection)).content.decode())
    refused = _text(staff.post(_end(connection), {"reason": "  "}).content.decode())

    assert "can no longer see Ava O'Brien-Smith's GP record" in asked
    assert "Enter why the connection is being ended" in refused
    connection.refresh_from_db()
    assert connection.ended_at is None


def test_staff_end_a_connection_with_a_reason_audited_and_the_partner_is_refused(
    staff: Client, connection: Connection, partner: Im1Partner, pairing_body: Body
) -> None:
    token = partner.connect(pairing_body())  # a second connection, to read with
    reading = Connection.objects.exclude(pk=connection.pk).get()
    before = AuditEvent.objects.count()

    response = staff.post(_end(reading), {"reason": "The patient does not recognise it"})

    assert response.status_code == 302
    assert response["Location"] == _change(reading)
    reading.refresh_from_db()
    assert reading.ended_reason == "The patient does not recognise it"
    assert "reception-a12345" in reading.ended_by
    event = AuditEvent.objects.latest("pk")
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.outcome, event.actor_type, event.actor) == (
        "im1_connection_end",
        "SUCCESS",
        "staff",
        "reception-a12345",
    )
    assert event.request_id
    refused = partner.patient(token)
    assert (refused.status_code, refused.json()["errorCode"]) == (403, "CONNECTION_NOT_VALID")
    page = _text(staff.get(_change(reading)).content.decode())
    assert "Example IM1 app disconnected" in page
    assert "Status: Ended" in page
    connection.refresh_from_db()
    assert connection.ended_at is None  # the other connection is untouched


def test_an_ended_connection_has_nothing_to_end(staff: Client, connection: Connection) -> None:
    staff.post(_end(connection), {"reason": "Not theirs"})
    events = AuditEvent.objects.count()

    again = staff.post(_end(connection), {"reason": "Again"})

    assert "has ended already" in _text(again.content.decode())
    assert AuditEvent.objects.count() == events
    assert _end(connection) not in staff.get(_change(connection)).content.decode()


def test_a_connection_whose_key_was_revoked_shows_as_ended(
    staff: Client, connection: Connection, linkage_key: LinkageKey
) -> None:
    LinkageKey.objects.filter(pk=linkage_key.pk).update(status="revoked", revoked_at=timezone.now())

    page = staff.get(_change(connection)).content.decode()
    assert re.search(r"Status:</label>\s*<div class=\"readonly\">Ended</div>", page)
    assert _end(connection) not in page
    assert "has ended already" in _text(staff.get(_end(connection)).content.decode())


@pytest.mark.django_db(transaction=True)
def test_when_the_audit_cannot_be_written_the_connection_stays(
    practice: Practice, connection: Connection
) -> None:
    user = UserFactory.create(username="reception-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=practice)
    client = staff_signed_in(key_permissions_granted(user))
    client.raise_request_exception = False

    with audit_writes_fail() as refused:
        response = client.post(_end(connection), {"reason": "Not theirs"})

    assert refused
    assert response.status_code >= 500
    connection.refresh_from_db()
    assert connection.ended_at is None


@pytest.fixture
def locked(linkage_key: LinkageKey) -> PairingGuard:
    return PairingGuard.objects.create(
        ods_code=linkage_key.practice.ods_code,
        account_id=linkage_key.account_id,
        consecutive_failures=5,
        last_failed_at=timezone.now(),
        locked_at=timezone.now(),
    )


def test_staff_see_a_locked_pairing_and_unlock_it_audited(
    staff: Client, locked: PairingGuard, registered_patient: RegisteredPatient
) -> None:
    page = staff.get(_patient_page(registered_patient)).content.decode()
    assert "App pairing is locked" in page
    assert f'href="{_unlock(registered_patient)}"' in page
    assert "Speak to the patient" in _text(staff.get(_unlock(registered_patient)).content.decode())
    before = AuditEvent.objects.count()

    response = staff.post(_unlock(registered_patient))

    assert response["Location"] == _patient_page(registered_patient)
    locked.refresh_from_db()
    assert (locked.locked_at, locked.consecutive_failures) == (None, 0)
    assert "reception-a12345" in locked.unlocked_by
    event = AuditEvent.objects.latest("pk")
    assert AuditEvent.objects.count() == before + 1
    assert (event.action, event.actor) == ("im1_unlock", "reception-a12345")
    after = _text(staff.get(_patient_page(registered_patient)).content.decode())
    assert "App pairing unlocked" in after
    assert "App pairing is locked" not in after


def test_unlocking_is_for_staff_of_the_practice_who_may_revoke_keys(
    reader: Client,
    other_staff: Client,
    locked: PairingGuard,
    registered_patient: RegisteredPatient,
) -> None:
    page = reader.get(_patient_page(registered_patient)).content.decode()
    assert "App pairing is locked" in page
    assert _unlock(registered_patient) not in page

    assert reader.post(_unlock(registered_patient)).status_code == 403
    assert other_staff.post(_unlock(registered_patient)).status_code == 403
    locked.refresh_from_db()
    assert locked.locked_at is not None


def test_unlocking_a_pairing_that_is_not_locked_changes_nothing(
    staff: Client, linkage_key: LinkageKey, registered_patient: RegisteredPatient
) -> None:
    assert "nothing to unlock" in _text(staff.get(_unlock(registered_patient)).content.decode())
    staff.post(_unlock(registered_patient))
    page = _text(staff.get(_patient_page(registered_patient)).content.decode())
    assert "App pairing was not locked" in page
