"""Every admin list costs the same few queries however many rows it shows: the related rows
each line names (a patient's practice, a key's patient, a member of staff's user, an event's
names, a user's authenticator app) come with the list's own query, never one query a row
(an "N+1"). Each list is counted with a few rows, then must stay within that count with many
more."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoAssertNumQueries

from accounts.tests.factories import PatientFactory, UserFactory
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import Practice, PracticeStaff
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory

pytestmark = pytest.mark.django_db

FEW, MANY = 2, 25


def _patients(practice: Practice, count: int) -> None:
    RegisteredPatientFactory.create_batch(count, practice=practice)


def _keys(practice: Practice, count: int) -> None:
    for _ in range(count):
        LinkageKeyFactory.create(patient=RegisteredPatientFactory.create(practice=practice))


def _events(practice: Practice, count: int) -> None:
    """Events by every kind of actor, each with a name to find, about registered patients."""
    for _ in range(count):
        patient = RegisteredPatientFactory.create(practice=practice)
        staff = UserFactory.create(first_name="Sam", last_name="Taylor", is_staff=True)
        signed_in = PatientFactory.create()
        for actor in (
            Actor(ActorType.STAFF, staff.username),
            Actor(ActorType.PATIENT, signed_in.nhs_login_sub),
            Actor(ActorType.API_CLIENT, "some-client"),
        ):
            audit_event_record(
                actor=actor,
                action=AuditAction.VIEW,
                outcome="SUCCESS",
                ods_code=practice.ods_code,
                nhs_number=patient.nhs_number,
            )


def _memberships(practice: Practice, count: int) -> None:
    for _ in range(count):
        PracticeStaff.objects.create(user=UserFactory.create(is_staff=True), practice=practice)


def _users(practice: Practice, count: int) -> None:
    for _ in range(count):
        TOTPDevice.objects.create(user=UserFactory.create(is_staff=True), confirmed=True)


LISTS: dict[str, tuple[str, Callable[[Practice, int], None]]] = {
    "registered-patients": ("/admin/linkage/registeredpatient/", _patients),
    "linkage-keys": ("/admin/linkage/linkagekey/", _keys),
    "audit-events": ("/admin/linkage/auditevent/", _events),
    "practice-staff": ("/admin/linkage/practicestaff/", _memberships),
    "users": ("/admin/accounts/user/", _users),
}


def _queries_of(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("name", LISTS)
def test_an_admin_list_makes_no_query_per_row(
    name: str,
    superuser_client: Client,
    this_practice: Practice,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    url, add_rows = LISTS[name]
    add_rows(this_practice, FEW)
    few_rows = _queries_of(superuser_client, url)
    add_rows(this_practice, MANY - FEW)

    with django_assert_max_num_queries(few_rows):
        response = superuser_client.get(url)

    assert response.status_code == 200


def test_practice_staff_lists_make_no_query_per_row_either(
    staff_client: Client,
    this_practice: Practice,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    """Staff see the same lists through their practice's scope."""
    for name in ("registered-patients", "linkage-keys", "audit-events"):
        url, add_rows = LISTS[name]
        add_rows(this_practice, FEW)
        few_rows = _queries_of(staff_client, url)
        add_rows(this_practice, MANY - FEW)

        with django_assert_max_num_queries(few_rows):
            staff_client.get(url)
