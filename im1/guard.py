"""Stopping guesses at linkage keys through pairing (docs/adr/0025, "Guessing").

A linkage key is about 87 bits, but a pairing endpoint that answers without limit is still an
oracle for it, and for which Account IDs exist. So failed pairings are limited three ways a
minute, in the cache, as every other limit is (core/rate_limit.py): per account (an Account ID
at a practice, named whether or not it exists), per partner and per client address; and an
account that fails ``IM1_PAIRING_LOCK_AFTER_FAILURES`` times in a row is locked in the
database until staff, or the patient's next P9 sign-in, unlock it. The limits are checked
without counting before each attempt and counted only when one fails, so successful pairings
are never slowed by them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from core.rate_limit import (
    RateLimitUnavailableError,
    rate_limit_count,
    rate_limit_reached_retry_after,
)
from im1.errors import PairingLockedError
from im1.models import PairingGuard
from linkage.audit import Actor
from linkage.errors import RateLimitedError, ServiceUnavailableError
from linkage.models import LinkageKey, Practice, RegisteredPatient

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairingAttempt:
    """Who is trying to pair with which account: the partner's client id, its client address
    (core/client_address.py) and the account named, normalised."""

    partner: str
    address: str
    ods_code: str
    account_id: str

    def windows(self) -> tuple[tuple[str, int, str], ...]:
        """Each failure counter's key, its limit a minute, and who the refusal names."""
        return (
            (
                f"im1-pairing-failures:account:{self.ods_code}:{self.account_id}",
                settings.IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE,
                "this account",
            ),
            (
                f"im1-pairing-failures:partner:{self.partner}",
                settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE,
                "this client",
            ),
            (
                f"im1-pairing-failures:address:{self.address}",
                settings.IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE,
                "this address",
            ),
        )


def pairing_limits_check(attempt: PairingAttempt) -> None:
    """RATE_LIMITED, with the seconds to wait, once any of the attempt's windows holds its
    limit of failures; SERVICE_UNAVAILABLE if the cache cannot say (fail closed)."""
    for key, limit, whose in attempt.windows():
        try:
            retry_after = rate_limit_reached_retry_after(key, limit=limit)
        except RateLimitUnavailableError as error:
            raise ServiceUnavailableError from error
        if retry_after is not None:
            raise RateLimitedError(
                f"Too many failed pairings for {whose}: try again later", retry_after=retry_after
            )


def pairing_lock_check(attempt: PairingAttempt) -> None:
    """PAIRING_LOCKED while the account is locked, before its key is looked at."""
    if PairingGuard.objects.filter(
        ods_code=attempt.ods_code, account_id=attempt.account_id, locked_at__isnull=False
    ).exists():
        raise PairingLockedError


def pairing_failure_record(attempt: PairingAttempt, *, locked: bool) -> None:
    """Count a failed attempt in each window and, unless the account was locked already, one
    more failure in a row for it, locking it at the limit. Written after the attempt's own
    transaction was rolled back, so that the refusal cannot undo its own count."""
    for key, _limit, _whose in attempt.windows():
        try:
            rate_limit_count(key)
        except RateLimitUnavailableError:
            # The next attempt's check fails closed; the lock below still counts.
            logger.error("A failed IM1 pairing was not counted: the cache is unavailable")
    if locked:
        return
    guard, _created = PairingGuard.objects.get_or_create(
        ods_code=attempt.ods_code, account_id=attempt.account_id
    )
    now = timezone.now()
    PairingGuard.objects.filter(pk=guard.pk).update(
        consecutive_failures=F("consecutive_failures") + 1, last_failed_at=now
    )
    locked_now = PairingGuard.objects.filter(
        pk=guard.pk,
        locked_at__isnull=True,
        consecutive_failures__gte=settings.IM1_PAIRING_LOCK_AFTER_FAILURES,
    ).update(locked_at=now)
    if locked_now:
        logger.warning("IM1 pairing locked for an account after repeated failures")


def pairing_success_record(attempt: PairingAttempt) -> None:
    """A pairing that matched: the account's failures in a row start again from none."""
    PairingGuard.objects.filter(
        ods_code=attempt.ods_code, account_id=attempt.account_id, consecutive_failures__gt=0
    ).update(consecutive_failures=0)


def pairing_locks_lift(*, actor: Actor, ods_code: str, account_ids: Iterable[str]) -> int:
    """Unlock these accounts at the practice, their failures forgotten; how many were
    locked."""
    guards = PairingGuard.objects.filter(ods_code=ods_code, account_id__in=list(account_ids))
    lifted = guards.filter(locked_at__isnull=False).update(
        locked_at=None,
        consecutive_failures=0,
        unlocked_at=timezone.now(),
        unlocked_by=str(actor)[:255],
    )
    guards.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
    return lifted


def pairing_locked(*, ods_code: str, account_ids: Collection[str] | QuerySet[Any, str]) -> bool:
    """Whether any of these accounts at the practice is locked. ``account_ids`` may be a
    queryset of them, asked in the same query. A P9 sign-in asks the same of a patient's
    accounts in a statement of its own (``registration_pairing_locked``)."""
    return PairingGuard.objects.filter(
        ods_code=ods_code, account_id__in=account_ids, locked_at__isnull=False
    ).exists()


# Asked at every P9 sign-in, and nearly always answered "no": written out, as the ORM spent
# several times the statement's own cost building its subquery (docs/adr/0031). Whether any
# Account ID of the register's patient with this NHS number at this practice is locked.
_REGISTRATION_PAIRING_LOCKED = f"""
SELECT EXISTS (
  SELECT 1 FROM {PairingGuard._meta.db_table} guard
   WHERE guard.ods_code = %s AND guard.locked_at IS NOT NULL
     AND guard.account_id IN (
       SELECT stored_key.account_id FROM {LinkageKey._meta.db_table} stored_key
         JOIN {RegisteredPatient._meta.db_table} patient ON patient.id = stored_key.patient_id
         JOIN {Practice._meta.db_table} practice ON practice.id = patient.practice_id
        WHERE patient.nhs_number = %s AND practice.ods_code = %s))
"""  # noqa: S608 (the tables are the models' own, fixed at import)


def registration_pairing_locked(*, nhs_number: str, ods_code: str) -> bool:
    """``pairing_locked`` for every Account ID of the register's patient with this NHS number
    at this practice, in one statement: what a patient's P9 sign-in asks (im1/signals.py)."""
    with connection.cursor() as cursor:
        cursor.execute(_REGISTRATION_PAIRING_LOCKED, [ods_code, nhs_number, ods_code])
        (locked,) = cursor.fetchone()
    return bool(locked)
