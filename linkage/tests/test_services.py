"""The linkage services that staff and patients reach without the API: revoke, reissue,
load. The input rules every caller shares are tested in test_validation.py."""

from __future__ import annotations

import pytest

from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType
from linkage.crypto import linkage_key_decrypt
from linkage.errors import (
    InvalidRequestError,
    LinkageKeyExistsError,
    LinkageKeyRevokedError,
    PatientNotEligibleError,
)
from linkage.keys import LinkageInformation, linkage_key_generate
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import (
    linkage_key_create,
    linkage_key_load,
    linkage_key_reissue,
    linkage_key_retrieve,
    linkage_key_revoke,
)
from linkage.tests.conftest import DATE_OF_BIRTH, NHS_NUMBER, ODS_CODE, SURNAME
from linkage.tests.factories import RegisteredPatientFactory

pytestmark = pytest.mark.django_db

STAFF = Actor(ActorType.STAFF, "reception@a12345", "req-1")
NHS_LOGIN = Actor(ActorType.API_CLIENT, "nhs-login", "req-2")
EVERY_PRACTICE = PracticeBinding(all_practices=True)


def _create(patient: RegisteredPatient) -> str:
    return linkage_key_create(
        actor=NHS_LOGIN,
        nhs_number=patient.nhs_number,
        ods_code=ODS_CODE,
        surname=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        practices=EVERY_PRACTICE,
    ).linkage_key


def _retrieve() -> LinkageInformation:
    return linkage_key_retrieve(
        actor=NHS_LOGIN,
        nhs_number=NHS_NUMBER,
        ods_code=ODS_CODE,
        surname=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        practices=EVERY_PRACTICE,
    )


def test_revoked_key_is_kept_with_who_when_why_and_never_served(
    registered_patient: RegisteredPatient,
) -> None:
    _create(registered_patient)
    key = LinkageKey.objects.get()

    linkage_key_revoke(actor=STAFF, linkage_key=key, reason="Patient lost their phone")

    key.refresh_from_db()
    assert key.status == "revoked"
    assert key.revoked_by == "staff:reception@a12345"
    assert key.revoked_reason == "Patient lost their phone"
    assert key.revoked_at is not None
    with pytest.raises(LinkageKeyRevokedError):
        _retrieve()


def test_revoke_needs_a_reason_and_changes_nothing_without_one(
    registered_patient: RegisteredPatient,
) -> None:
    _create(registered_patient)
    key = LinkageKey.objects.get()

    with pytest.raises(InvalidRequestError):
        linkage_key_revoke(actor=STAFF, linkage_key=key, reason="  ")

    key.refresh_from_db()
    assert key.status == "active"
    assert AuditEvent.objects.first().outcome == "INVALID_REQUEST"  # type: ignore[union-attr]


def test_revoking_twice_is_refused(registered_patient: RegisteredPatient) -> None:
    _create(registered_patient)
    key = LinkageKey.objects.get()
    linkage_key_revoke(actor=STAFF, linkage_key=key, reason="lost")

    with pytest.raises(LinkageKeyRevokedError):
        linkage_key_revoke(actor=STAFF, linkage_key=key, reason="lost again")


def test_revoked_then_reissued_serves_a_new_key_with_the_same_account_id(
    registered_patient: RegisteredPatient,
) -> None:
    first_key = _create(registered_patient)
    first = LinkageKey.objects.get()
    linkage_key_revoke(actor=STAFF, linkage_key=first, reason="shared by mistake")

    reissued = linkage_key_reissue(actor=STAFF, patient=registered_patient, reason="new key")

    retrieved = _retrieve()
    assert retrieved.linkage_key == reissued.linkage_key != first_key
    assert retrieved.account_id == first.account_id
    assert LinkageKey.objects.filter(status="active").count() == 1
    assert LinkageKey.objects.count() == 2


def test_created_after_a_revocation_keeps_the_account_id_and_is_served(
    registered_patient: RegisteredPatient,
) -> None:
    first_key = _create(registered_patient)
    first = LinkageKey.objects.get()
    linkage_key_revoke(actor=STAFF, linkage_key=first, reason="shared by mistake")

    second_key = _create(registered_patient)

    retrieved = _retrieve()
    assert retrieved.linkage_key == second_key != first_key
    assert retrieved.account_id == first.account_id


def test_different_patients_get_different_account_ids(practice: Practice) -> None:
    patients = RegisteredPatientFactory.create_batch(3, practice=practice, surname=SURNAME)
    account_ids = {
        linkage_key_create(
            actor=NHS_LOGIN,
            nhs_number=patient.nhs_number,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=patient.date_of_birth,
            practices=EVERY_PRACTICE,
        ).account_id
        for patient in patients
    }

    assert len(account_ids) == 3


def test_an_account_id_already_used_at_the_practice_is_never_given_again(
    practice: Practice, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ten random digits can repeat: the insert itself refuses one the practice has used, by
    any key of any status, and another is drawn (linkage/keys.py)."""
    first, second = RegisteredPatientFactory.create_batch(2, practice=practice, surname=SURNAME)

    def create(patient: RegisteredPatient) -> LinkageInformation:
        return linkage_key_create(
            actor=NHS_LOGIN,
            nhs_number=patient.nhs_number,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=patient.date_of_birth,
            practices=EVERY_PRACTICE,
        )

    taken = create(first).account_id
    LinkageKey.objects.filter(account_id=taken).update(status="revoked")
    drawn = iter([taken, taken, "1234567890"])
    monkeypatch.setattr("linkage.keys._account_id_candidate", lambda: next(drawn))

    information = create(second)

    assert information.account_id == "1234567890"
    assert LinkageKey.objects.filter(account_id=taken).count() == 1


def test_reissue_revokes_the_active_key_in_the_same_step(
    registered_patient: RegisteredPatient,
) -> None:
    old_key = _create(registered_patient)

    new = linkage_key_reissue(actor=STAFF, patient=registered_patient, reason="suspected leak")

    assert new.linkage_key != old_key
    revoked = LinkageKey.objects.get(status="revoked")
    assert revoked.revoked_reason == "suspected leak"
    assert linkage_key_decrypt(revoked.encrypted_key) == old_key


def test_reissue_is_refused_for_a_patient_no_longer_registered(
    registered_patient: RegisteredPatient,
) -> None:
    _create(registered_patient)
    RegisteredPatient.objects.filter(pk=registered_patient.pk).update(registration_status="ended")
    registered_patient.refresh_from_db()

    with pytest.raises(PatientNotEligibleError):
        linkage_key_reissue(actor=STAFF, patient=registered_patient, reason="new key")

    assert LinkageKey.objects.get().status == "active"


def test_every_service_call_writes_exactly_one_audit_event(
    registered_patient: RegisteredPatient,
) -> None:
    _create(registered_patient)
    _retrieve()
    with pytest.raises(LinkageKeyExistsError):
        _create(registered_patient)
    linkage_key_reissue(actor=STAFF, patient=registered_patient, reason="r")

    events = list(AuditEvent.objects.order_by("occurred_at", "pk"))
    assert [(e.action, e.outcome) for e in events] == [
        ("create", "SUCCESS"),
        ("retrieve", "SUCCESS"),
        ("create", "LINKAGE_KEY_EXISTS"),
        ("reissue", "SUCCESS"),
    ]
    assert {e.nhs_number for e in events} == {NHS_NUMBER}
    assert {e.ods_code for e in events} == {ODS_CODE}


def test_audit_events_cannot_be_changed_or_deleted(registered_patient: RegisteredPatient) -> None:
    _create(registered_patient)
    event = AuditEvent.objects.get()

    event.outcome = "FORGED"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(outcome="FORGED")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().outcome == "SUCCESS"


def test_loaded_keys_may_be_long_with_punctuation(registered_patient: RegisteredPatient) -> None:
    imported = "Imported-key: with punctuation & spaces, 64 chars max!!"

    linkage_key_load(
        actor=STAFF, patient=registered_patient, account_id="0012345678", linkage_key=imported
    )

    retrieved = _retrieve()
    assert retrieved.linkage_key == imported
    assert retrieved.account_id == "0012345678"  # leading zeros kept


@pytest.mark.parametrize(
    ("account_id", "linkage_key"),
    [
        pytest.param("5100000001", "x" * 65, id="key-too-long"),
        pytest.param("5100000001", "", id="key-empty"),
        pytest.param("5100000001", "tab\there", id="key-not-printable"),
        pytest.param("51-000", "abc", id="account-id-not-digits"),
    ],
)
def test_load_refuses_malformed_values(
    registered_patient: RegisteredPatient, account_id: str, linkage_key: str
) -> None:
    with pytest.raises(InvalidRequestError):
        linkage_key_load(
            actor=STAFF, patient=registered_patient, account_id=account_id, linkage_key=linkage_key
        )
    assert not LinkageKey.objects.exists()


def test_information_never_shows_the_key_in_its_repr(registered_patient: RegisteredPatient) -> None:
    linkage_key = _create(registered_patient)
    information = _retrieve()

    assert linkage_key not in repr(information)


def test_generated_keys_use_the_unambiguous_alphabet() -> None:
    keys = {linkage_key_generate() for _ in range(200)}

    assert len(keys) == 200
    assert all(len(key) == 15 for key in keys)
    assert not set("".join(keys)) & set("0O1Il")
