"""An idempotent create is one rule in the create service (linkage/services.py): the key and the
record of its request commit together in one transaction, a retry gets the first answer, and a
different body under the same Idempotency-Key is refused; each call is audited once."""

from __future__ import annotations

import pytest
from django.db import OperationalError

from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType
from linkage.errors import InvalidRequestError, LinkageKeyExistsError
from linkage.idempotency import IdempotentRequest
from linkage.keys import LinkageInformation
from linkage.models import AuditEvent, IdempotentCreate, LinkageKey, RegisteredPatient
from linkage.services import linkage_key_create
from linkage.tests.conftest import DATE_OF_BIRTH, NHS_NUMBER, ODS_CODE, SURNAME
from tests.audit_faults import audit_writes_fail

pytestmark = pytest.mark.django_db

NHS_LOGIN = Actor(ActorType.API_CLIENT, "nhs-login", "req-idempotent")


def _create(idempotent: IdempotentRequest, *, surname: str = SURNAME) -> LinkageInformation:
    return linkage_key_create(
        actor=NHS_LOGIN,
        nhs_number=NHS_NUMBER,
        ods_code=ODS_CODE,
        surname=surname,
        date_of_birth=DATE_OF_BIRTH,
        practices=PracticeBinding(all_practices=True),
        idempotent=idempotent,
    )


def test_a_retry_gets_the_first_answer_and_each_call_is_audited_once(
    registered_patient: RegisteredPatient,
) -> None:
    request = IdempotentRequest("nhs-login", "retry-1", "hash-of-the-body")

    first = _create(request)
    again = _create(request)

    assert (again.account_id, again.linkage_key) == (first.account_id, first.linkage_key)
    assert LinkageKey.objects.count() == 1
    assert IdempotentCreate.objects.get().linkage_key == LinkageKey.objects.get()
    assert list(AuditEvent.objects.values_list("action", "outcome")) == [
        ("create", "SUCCESS"),
        ("create", "SUCCESS"),
    ]


def test_another_body_under_the_same_key_is_refused_and_audited_once(
    registered_patient: RegisteredPatient,
) -> None:
    _create(IdempotentRequest("nhs-login", "retry-2", "hash-of-the-body"))

    with pytest.raises(InvalidRequestError, match="different request"):
        _create(IdempotentRequest("nhs-login", "retry-2", "hash-of-another-body"))

    assert LinkageKey.objects.count() == 1
    assert sorted(AuditEvent.objects.values_list("outcome", flat=True)) == [
        "INVALID_REQUEST",
        "SUCCESS",
    ]


def test_another_client_s_identical_key_is_not_a_retry(
    registered_patient: RegisteredPatient,
) -> None:
    _create(IdempotentRequest("nhs-login", "retry-3", "hash-of-the-body"))

    with pytest.raises(LinkageKeyExistsError):
        _create(IdempotentRequest("another-client", "retry-3", "hash-of-the-body"))


@pytest.mark.django_db(transaction=True)
def test_the_record_of_the_request_is_never_kept_without_its_key(
    registered_patient: RegisteredPatient,
) -> None:
    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        _create(IdempotentRequest("nhs-login", "retry-4", "hash-of-the-body"))

    assert refused
    assert not LinkageKey.objects.exists()
    assert not IdempotentCreate.objects.exists()
