"""A patient cancelling their own linkage key (linkage/patient_cancel.py): linkage_key_revoke
with the patient as its actor, one audit event for every call, and a new key after it."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.utils import timezone

from linkage.audit import Actor, ActorType
from linkage.crypto import linkage_key_decrypt
from linkage.errors import (
    LinkageKeyNotFoundError,
    LinkageKeyRevokedError,
    PatientNotFoundError,
    PracticeNotLiveError,
)
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.patient_cancel import CANCELLED_BY_THE_PATIENT, linkage_key_cancel
from linkage.selectors import linkage_key_cancelled_by_patient_on
from linkage.services import linkage_key_create, linkage_key_revoke
from linkage.tests.conftest import DATE_OF_BIRTH, NHS_NUMBER, ODS_CODE, SURNAME
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail

pytestmark = pytest.mark.django_db

PATIENT = Actor(ActorType.PATIENT, "nhs-login-sub-1", "req-cancel-1")
STAFF = Actor(ActorType.STAFF, "reception@a12345", "req-staff-1")
KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores


def _cancel(actor: Actor = PATIENT, nhs_number: str = NHS_NUMBER) -> None:
    linkage_key_cancel(actor=actor, nhs_number=nhs_number, ods_code=ODS_CODE)


def _audit() -> list[tuple[str, str, str, str, str, str]]:
    return list(
        AuditEvent.objects.order_by("pk").values_list(
            "actor_type", "actor", "action", "outcome", "nhs_number", "request_id"
        )
    )


def test_a_patient_cancels_their_own_key_kept_with_who_when_why_and_one_audit_event(
    registered_patient: RegisteredPatient,
) -> None:
    key = LinkageKeyFactory.create(patient=registered_patient, account_id="5100000001")

    _cancel()

    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_by == "patient:nhs-login-sub-1"
    assert key.revoked_reason == CANCELLED_BY_THE_PATIENT == "Cancelled by the patient"
    assert key.revoked_at is not None
    assert _audit() == [
        ("patient", "nhs-login-sub-1", "revoke", "SUCCESS", NHS_NUMBER, "req-cancel-1")
    ]


def test_cancelling_twice_is_refused_as_revoked_and_each_call_is_audited_once(
    registered_patient: RegisteredPatient,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    _cancel()

    with pytest.raises(LinkageKeyRevokedError) as refused:
        _cancel()

    assert refused.value.audited
    assert [row[3] for row in _audit()] == ["SUCCESS", "LINKAGE_KEY_REVOKED"]


def test_a_patient_who_never_had_a_key_is_refused_not_found_and_audited(
    registered_patient: RegisteredPatient,
) -> None:
    with pytest.raises(LinkageKeyNotFoundError) as refused:
        _cancel()

    assert refused.value.audited
    assert _audit() == [
        (
            "patient",
            "nhs-login-sub-1",
            "revoke",
            "LINKAGE_KEY_NOT_FOUND",
            NHS_NUMBER,
            "req-cancel-1",
        )
    ]


def test_the_register_s_refusals_cancel_nothing_and_are_audited(
    registered_patient: RegisteredPatient, practice: Practice
) -> None:
    key = LinkageKeyFactory.create(patient=registered_patient)
    Practice.objects.filter(pk=practice.pk).update(online_services_live=False)

    with pytest.raises(PracticeNotLiveError):
        _cancel()
    Practice.objects.filter(pk=practice.pk).update(online_services_live=True)
    with pytest.raises(PatientNotFoundError):
        _cancel(nhs_number="9990000026")

    key.refresh_from_db()
    assert key.status == "active"
    assert [row[3] for row in _audit()] == ["PRACTICE_NOT_LIVE", "PATIENT_NOT_FOUND"]


def test_a_patient_cancels_only_their_own_key(
    registered_patient: RegisteredPatient, practice: Practice
) -> None:
    theirs = LinkageKeyFactory.create(patient=registered_patient)
    someone_else = RegisteredPatientFactory.create(practice=practice, nhs_number="9990000026")
    other = LinkageKeyFactory.create(patient=someone_else)

    _cancel()

    theirs.refresh_from_db()
    other.refresh_from_db()
    assert (theirs.status, other.status) == ("revoked", "active")


def test_only_a_patient_cancels_a_key_this_way(registered_patient: RegisteredPatient) -> None:
    key = LinkageKeyFactory.create(patient=registered_patient)

    with pytest.raises(ValueError, match="staff revoke in the admin"):
        _cancel(actor=STAFF)

    key.refresh_from_db()
    assert key.status == "active"
    assert not AuditEvent.objects.exists()


# Outside a test transaction: the refusal's own audit row, tried after the rollback, fails as
# well, as it would with the database gone, and would leave a test transaction unusable.
@pytest.mark.django_db(transaction=True)
def test_an_audit_event_that_cannot_be_written_leaves_the_key_active(
    registered_patient: RegisteredPatient,
) -> None:
    key = LinkageKeyFactory.create(patient=registered_patient)

    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        _cancel()

    assert refused
    key.refresh_from_db()
    assert key.status == "active"
    assert not key.revoked_by
    assert not AuditEvent.objects.exists()


def test_after_cancelling_the_patient_gets_a_new_key_with_the_same_account_id(
    registered_patient: RegisteredPatient,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient, account_id="5100000001")
    _cancel()

    information = linkage_key_create(
        actor=PATIENT,
        nhs_number=NHS_NUMBER,
        ods_code=ODS_CODE,
        surname=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
    )

    active = LinkageKey.objects.get(patient=registered_patient, status="active")
    assert information.account_id == active.account_id == "5100000001"
    assert information.linkage_key == linkage_key_decrypt(active.encrypted_key) != KEY
    assert linkage_key_cancelled_by_patient_on(nhs_number=NHS_NUMBER, ods_code=ODS_CODE) is None


def test_a_key_is_known_as_cancelled_by_the_patient_only_when_they_cancelled_it(
    registered_patient: RegisteredPatient,
) -> None:
    def cancelled_on() -> object:
        return linkage_key_cancelled_by_patient_on(nhs_number=NHS_NUMBER, ods_code=ODS_CODE)

    assert cancelled_on() is None
    key = LinkageKeyFactory.create(patient=registered_patient)
    assert cancelled_on() is None
    linkage_key_revoke(actor=STAFF, linkage_key=key, reason="Reported lost at the desk")
    assert cancelled_on() is None
    LinkageKeyFactory.create(patient=registered_patient)

    _cancel()

    cancelled = LinkageKey.objects.get(patient=registered_patient, revoked_by__startswith="patient")
    assert cancelled.revoked_at is not None
    assert cancelled_on() == timezone.localdate(cancelled.revoked_at)
