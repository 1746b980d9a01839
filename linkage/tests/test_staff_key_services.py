"""A staff member issuing, reissuing and revoking through the services the API and the
patient's pages use (linkage/services.py): a first key from the register's own details under
every rule of a create, each call one audit event naming the staff member and the request,
and nothing written when that event cannot be."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from django.utils import timezone

from linkage.audit import Actor, ActorType
from linkage.errors import (
    LinkageError,
    LinkageKeyExistsError,
    PatientNotEligibleError,
    PracticeNotLiveError,
    UnderMinimumAgeError,
)
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import linkage_key_create, linkage_key_revoke
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail

pytestmark = pytest.mark.django_db

STAFF = Actor(ActorType.STAFF, "reception-a12345", "req-staff-1")


def _issue(patient: RegisteredPatient) -> Any:
    """What the admin's "Issue a linkage key" calls: the register's own details."""
    return linkage_key_create(
        actor=STAFF,
        nhs_number=patient.nhs_number,
        ods_code=patient.practice.ods_code,
        surname=patient.surname,
        date_of_birth=patient.date_of_birth,
    )


@pytest.fixture
def patient(this_practice: Practice) -> RegisteredPatient:
    return RegisteredPatientFactory.create(
        practice=this_practice,
        nhs_number="9990000018",
        given_name="Ava",
        surname="Thompson",
        date_of_birth=datetime.date(1985, 3, 5),
    )


def _events() -> list[tuple[str, str, str, str, str, str]]:
    return list(
        AuditEvent.objects.values_list(
            "actor_type", "actor", "action", "outcome", "nhs_number", "request_id"
        )
    )


def test_staff_issue_a_first_key_from_the_register_s_details(patient: RegisteredPatient) -> None:
    information = _issue(patient)

    key = LinkageKey.objects.get(patient=patient)
    assert (key.status, key.account_id, key.created_by) == (
        "active",
        information.account_id,
        "staff:reception-a12345",
    )
    assert information.ods_code == "A12345"
    assert _events() == [
        ("staff", "reception-a12345", "create", "SUCCESS", "9990000018", "req-staff-1")
    ]


def _ended(patient: RegisteredPatient) -> None:
    patient.registration_status = "ended"
    patient.save()


def _deceased(patient: RegisteredPatient) -> None:
    patient.deceased = True
    patient.save()


def _fifteen(patient: RegisteredPatient) -> None:
    today = timezone.localdate()
    patient.date_of_birth = today.replace(year=today.year - 15)
    patient.save()


def _not_live(patient: RegisteredPatient) -> None:
    Practice.objects.filter(pk=patient.practice_id).update(online_services_live=False)


def _has_a_key(patient: RegisteredPatient) -> None:
    LinkageKeyFactory.create(patient=patient)


@pytest.mark.parametrize(
    ("make", "refusal"),
    [
        pytest.param(_ended, PatientNotEligibleError, id="registration-ended"),
        pytest.param(_deceased, PatientNotEligibleError, id="deceased"),
        pytest.param(_fifteen, UnderMinimumAgeError, id="under-minimum-age"),
        pytest.param(_not_live, PracticeNotLiveError, id="online-services-off"),
        pytest.param(_has_a_key, LinkageKeyExistsError, id="active-key"),
    ],
)
def test_staff_cannot_issue_a_key_a_create_would_refuse(
    patient: RegisteredPatient,
    make: Callable[[RegisteredPatient], None],
    refusal: type[LinkageError],
) -> None:
    make(patient)
    keys_before = LinkageKey.objects.count()

    with pytest.raises(refusal):
        _issue(patient)

    assert LinkageKey.objects.count() == keys_before
    assert _events() == [
        ("staff", "reception-a12345", "create", refusal.error_code, "9990000018", "req-staff-1")
    ]


def test_staff_issue_after_a_revocation_keeps_the_account_id(patient: RegisteredPatient) -> None:
    revoked = LinkageKeyFactory.create(patient=patient, account_id="5100000001")
    linkage_key_revoke(actor=STAFF, linkage_key=revoked, reason="Lost phone")

    assert _issue(patient).account_id == "5100000001"


@pytest.mark.django_db(transaction=True)
def test_no_key_is_issued_when_the_staff_member_s_audit_event_cannot_be_written(
    patient: RegisteredPatient,
) -> None:
    """Reissue and revoke meet the same fault in tests/security/test_outages.py."""
    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        _issue(patient)

    assert refused
    assert not LinkageKey.objects.exists()
