"""manage.py linkage_key_revoke and linkage_key_reissue: operators revoke or reissue a
patient's key from the command line, through the audited services, as the operator."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from linkage.crypto import linkage_key_decrypt
from linkage.models import AuditEvent, LinkageKey, LinkageKeyStatus, RegisteredPatient
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.audit_faults import audit_writes_fail

pytestmark = pytest.mark.django_db


def _run(command: str, patient: RegisteredPatient, **options: Any) -> str:
    out = io.StringIO()
    arguments = {
        "ods_code": patient.practice.ods_code,
        "nhs_number": patient.nhs_number,
        "reason": "Patient rang: their phone was stolen",
        "operator": "alice",
        **options,
    }
    call_command(command, stdout=out, **arguments)
    return out.getvalue()


def _written_as_on_paper(nhs_number: str) -> str:
    return f"{nhs_number[:3]} {nhs_number[3:6]} {nhs_number[6:]}"


def test_revoke_revokes_the_active_key_audited_as_the_operator() -> None:
    key = LinkageKeyFactory.create()

    printed = _run(
        "linkage_key_revoke", key.patient, nhs_number=_written_as_on_paper(key.patient.nhs_number)
    )

    key.refresh_from_db()
    assert key.status == LinkageKeyStatus.REVOKED
    assert key.revoked_reason == "Patient rang: their phone was stolen"
    assert key.revoked_by == "system:manage.py linkage_key_revoke by alice"
    event = AuditEvent.objects.get()
    assert (event.actor_type, event.actor) == ("system", "manage.py linkage_key_revoke by alice")
    assert (event.action, event.outcome) == ("revoke", "SUCCESS")
    assert (event.ods_code, event.nhs_number) == (key.practice.ods_code, key.patient.nhs_number)
    assert (
        printed
        == f"Revoked the linkage key of Account ID {key.account_id} at {key.practice.ods_code}.\n"
    )
    assert linkage_key_decrypt(key.encrypted_key) not in printed


def test_revoke_of_a_patient_without_an_active_key_changes_nothing() -> None:
    key = LinkageKeyFactory.create(status=LinkageKeyStatus.REVOKED)

    with pytest.raises(CommandError, match="has no active linkage key: nothing was revoked"):
        _run("linkage_key_revoke", key.patient)

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("command", ["linkage_key_revoke", "linkage_key_reissue"])
def test_a_reason_is_required_and_a_blank_one_changes_nothing(command: str) -> None:
    key = LinkageKeyFactory.create()

    with pytest.raises(CommandError, match="Give a reason"):
        _run(command, key.patient, reason="   ")

    assert LinkageKey.objects.get().status == LinkageKeyStatus.ACTIVE
    assert LinkageKey.objects.count() == 1


@pytest.mark.parametrize("command", ["linkage_key_revoke", "linkage_key_reissue"])
def test_an_unknown_patient_or_a_bad_identifier_is_named_without_echoing_the_number(
    command: str,
) -> None:
    key = LinkageKeyFactory.create()
    other_number = RegisteredPatientFactory.build().nhs_number

    with pytest.raises(CommandError) as unknown:
        _run(command, key.patient, nhs_number=other_number)
    with pytest.raises(CommandError) as invalid:
        _run(command, key.patient, nhs_number="999 000 0019")
    with pytest.raises(CommandError) as bad_code:
        _run(command, key.patient, ods_code="A1")

    assert str(unknown.value) == (
        f"No patient with that NHS number is registered at {key.practice.ods_code}"
    )
    assert other_number not in str(unknown.value)
    assert str(invalid.value) == "NHS number must be 10 digits with a valid check digit"
    assert str(bad_code.value) == "ODS code must be 6 letters or digits"
    assert LinkageKey.objects.get().status == LinkageKeyStatus.ACTIVE


def test_reissue_keeps_the_account_id_and_prints_the_key_only_when_asked() -> None:
    key = LinkageKeyFactory.create()

    printed = _run("linkage_key_reissue", key.patient)
    shown = _run("linkage_key_reissue", key.patient, show_key=True)

    keys = list(LinkageKey.objects.order_by("pk"))
    assert [k.status for k in keys] == ["revoked", "revoked", "active"]
    assert {k.account_id for k in keys} == {key.account_id}
    assert all(linkage_key_decrypt(k.encrypted_key) not in printed for k in keys)
    assert shown.splitlines()[1] == f"Linkage key: {linkage_key_decrypt(keys[2].encrypted_key)}"
    assert (
        list(AuditEvent.objects.values_list("action", "outcome", "actor"))
        == [("reissue", "SUCCESS", "manage.py linkage_key_reissue by alice")] * 2
    )


def test_reissue_for_a_patient_who_cannot_have_online_services_is_refused_and_audited() -> None:
    key = LinkageKeyFactory.create(patient__deceased=True)

    with pytest.raises(CommandError, match="cannot have online services"):
        _run("linkage_key_reissue", key.patient)

    assert LinkageKey.objects.get().status == LinkageKeyStatus.ACTIVE
    assert AuditEvent.objects.get().outcome == "PATIENT_NOT_ELIGIBLE"


def test_the_operator_defaults_to_this_machine_s_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "deploy")
    key = LinkageKeyFactory.create()

    _run("linkage_key_revoke", key.patient, operator="")

    assert AuditEvent.objects.get().actor == "manage.py linkage_key_revoke by deploy"


# Transactional: the refused INSERT ends the transaction, as it would in production.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("command", ["linkage_key_revoke", "linkage_key_reissue"])
def test_nothing_changes_when_the_audit_event_cannot_be_written(command: str) -> None:
    key = LinkageKeyFactory.create()

    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        _run(command, key.patient)

    assert refused
    assert LinkageKey.objects.get().status == LinkageKeyStatus.ACTIVE
    assert LinkageKey.objects.count() == 1
