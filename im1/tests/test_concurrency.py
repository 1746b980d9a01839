"""Pairings at the same moment, on PostgreSQL with real threads: each success gets its own
connection and token, and concurrent failures are each counted towards the lock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection as database

from im1.models import Connection, PairingGuard
from im1.services import Pairing, connection_token_hash, im1_pairing_create
from im1.tests.conftest import LINKAGE_KEY, Im1Partner
from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType
from linkage.errors import LinkageError
from linkage.models import AuditEvent, LinkageKey
from linkage.tests.conftest import DATE_OF_BIRTH, ODS_CODE, SURNAME
from tests.security.secrets_in_logs import secret_register

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        database.vendor != "postgresql", reason="needs PostgreSQL: real concurrency"
    ),
]

EVERY_PRACTICE = PracticeBinding(all_practices=True)


def _at_once(count: int, attempt: Callable[[], Any]) -> list[Any]:
    """``attempt`` in ``count`` threads released together; each one's answer or error."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = attempt()
        except LinkageError as error:
            results[index] = error
        finally:
            database.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _pairing(partner: Im1Partner, key: LinkageKey, linkage_key: str) -> Callable[[], Pairing]:
    actor = Actor(ActorType.API_CLIENT, partner.client_id)

    def pair() -> Pairing:
        pairing = im1_pairing_create(
            actor=actor,
            practices=EVERY_PRACTICE,
            address="192.0.2.1",
            account_id=key.account_id,
            linkage_key=linkage_key,
            ods_code=ODS_CODE,
            surname=SURNAME,
            date_of_birth=DATE_OF_BIRTH,
        )
        secret_register(pairing.connection_token)
        return pairing

    return pair


def test_two_pairings_at_once_both_succeed_with_tokens_of_their_own(
    partner: Im1Partner, linkage_key: LinkageKey
) -> None:
    results = _at_once(2, _pairing(partner, linkage_key, LINKAGE_KEY))

    assert all(isinstance(result, Pairing) for result in results), results
    tokens = {result.connection_token for result in results}
    assert len(tokens) == 2
    assert set(Connection.objects.values_list("token_hash", flat=True)) == {
        connection_token_hash(token) for token in tokens
    }
    assert list(AuditEvent.objects.values_list("outcome", flat=True)) == ["SUCCESS"] * 2


def test_failures_at_once_are_each_counted_and_lock_the_account_once(
    partner: Im1Partner, linkage_key: LinkageKey, settings: Any
) -> None:
    settings.IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE = 1000
    settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = 1000

    results = _at_once(8, _pairing(partner, linkage_key, "Hq4vT7mWz9KpR3t"))

    assert {result.error_code for result in results} <= {"PAIRING_FAILED", "PAIRING_LOCKED"}
    guard = PairingGuard.objects.get()
    failed = sum(result.error_code == "PAIRING_FAILED" for result in results)
    assert guard.consecutive_failures == failed
    assert failed >= 5
    assert guard.locked_at is not None
