"""Guessing a linkage key through pairing is stopped: failures limited a minute per account,
partner and address, and an account locked in the database after failures in a row, until
staff or the patient's P9 sign-in unlock it (docs/adr/0025)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.tests.factories import PatientFactory, UserFactory
from core.rate_limit import RateLimitUnavailableError
from im1.models import Connection, PairingGuard
from im1.services import im1_pairing_unlock
from im1.signals import pairing_unlocked_at_p9_sign_in
from im1.tests.conftest import Im1Partner, fresh_address, random_account_id
from linkage.audit import Actor, ActorType
from linkage.models import AuditEvent, LinkageKey, RegisteredPatient
from linkage.tests.conftest import NHS_NUMBER, ODS_CODE

pytestmark = pytest.mark.django_db

Body = Callable[..., dict[str, str]]
STAFF = Actor(ActorType.STAFF, "reception-a12345", "request-1")
WRONG_KEY = "Hq4vT7mWz9KpR3t"
# The start of a minute (2030-03-17), for tests that count a minute's failures.
MINUTE = 1_900_000_020


def _error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["errorCode"]


@pytest.fixture
def no_minute_limits(settings: SettingsWrapper) -> None:
    """Only the lock in the way: the per-minute limits out of it."""
    settings.IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE = 1000
    settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = 1000


def _fail(partner: Im1Partner, body: dict[str, str], times: int) -> list[tuple[int, str]]:
    return [_error(partner.pair(body)) for _ in range(times)]


def _locked(linkage_key: LinkageKey) -> bool:
    return PairingGuard.objects.filter(
        ods_code=ODS_CODE, account_id=linkage_key.account_id, locked_at__isnull=False
    ).exists()


# --- The lock --------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_minute_limits")
def test_five_failures_in_a_row_lock_the_account_even_against_the_right_key(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    failures = _fail(partner, pairing_body(linkageKey=WRONG_KEY), 5)

    right = partner.pair(pairing_body())
    wrong = partner.pair(pairing_body(linkageKey=WRONG_KEY))

    assert failures == [(403, "PAIRING_FAILED")] * 5
    assert right.status_code == wrong.status_code == 423
    assert right.json() == wrong.json()
    assert right.json()["errorCode"] == "PAIRING_LOCKED"
    assert _locked(linkage_key)
    outcomes = list(AuditEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["PAIRING_FAILED"] * 5 + ["PAIRING_LOCKED"] * 2


@pytest.mark.usefixtures("no_minute_limits")
def test_other_partners_are_locked_out_of_the_account_too(
    partner: Im1Partner, other_partner: Im1Partner, pairing_body: Body
) -> None:
    _fail(partner, pairing_body(linkageKey=WRONG_KEY), 5)

    assert _error(other_partner.pair(pairing_body())) == (423, "PAIRING_LOCKED")


@pytest.mark.usefixtures("no_minute_limits")
def test_every_detail_wrong_counts_towards_the_lock(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    for wrong in (
        {"linkageKey": WRONG_KEY},
        {"surname": "Smith"},
        {"dateOfBirth": "1990-01-01"},
        {"linkageKey": WRONG_KEY.lower()},
        {"surname": "Jones"},
    ):
        partner.pair(pairing_body(**wrong))

    assert _locked(linkage_key)


@pytest.mark.usefixtures("no_minute_limits")
def test_a_success_starts_the_count_again(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    _fail(partner, pairing_body(linkageKey=WRONG_KEY), 4)
    paired = partner.pair(pairing_body())
    again = _fail(partner, pairing_body(linkageKey=WRONG_KEY), 4)

    assert paired.status_code == 201
    assert again == [(403, "PAIRING_FAILED")] * 4
    assert not _locked(linkage_key)
    assert partner.pair(pairing_body()).status_code == 201


@pytest.mark.usefixtures("no_minute_limits")
def test_an_account_that_does_not_exist_locks_just_the_same(
    partner: Im1Partner, pairing_body: Body
) -> None:
    body = pairing_body(accountId=random_account_id())

    answers = _fail(partner, body, 6)

    assert answers == [(403, "PAIRING_FAILED")] * 5 + [(423, "PAIRING_LOCKED")]


@pytest.mark.usefixtures("no_minute_limits")
def test_the_lock_is_kept_in_the_database_and_outlasts_the_cache_s_windows(
    partner: Im1Partner, pairing_body: Body
) -> None:
    _fail(partner, pairing_body(linkageKey=WRONG_KEY), 5)

    with time_machine.travel(time.time() + 24 * 60 * 60):  # a day on: every window has moved
        answer = partner.pair(pairing_body())

    assert _error(answer) == (423, "PAIRING_LOCKED")


@pytest.mark.usefixtures("no_minute_limits")
def test_the_lock_count_is_settable(
    partner: Im1Partner, pairing_body: Body, settings: SettingsWrapper
) -> None:
    settings.IM1_PAIRING_LOCK_AFTER_FAILURES = 2

    answers = _fail(partner, pairing_body(linkageKey=WRONG_KEY), 3)

    assert answers == [(403, "PAIRING_FAILED")] * 2 + [(423, "PAIRING_LOCKED")]


# --- Unlocking -------------------------------------------------------------------------------


@pytest.fixture
def locked(
    no_minute_limits: None, partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> LinkageKey:
    _fail(partner, pairing_body(linkageKey=WRONG_KEY), 5)
    assert _locked(linkage_key)
    return linkage_key


def test_staff_unlock_the_patient_s_pairing(
    locked: LinkageKey, partner: Im1Partner, pairing_body: Body
) -> None:
    before = AuditEvent.objects.count()

    lifted = im1_pairing_unlock(actor=STAFF, patient=locked.patient)

    assert lifted == 1
    assert not _locked(locked)
    assert PairingGuard.objects.get().unlocked_by == "staff:reception-a12345"
    event = AuditEvent.objects.order_by("pk").last()
    assert event is not None
    assert AuditEvent.objects.count() == before + 1
    assert (event.actor_type, event.actor, event.action, event.outcome) == (
        "staff",
        "reception-a12345",
        "im1_unlock",
        "SUCCESS",
    )
    assert (event.ods_code, event.nhs_number, event.request_id) == (
        ODS_CODE,
        NHS_NUMBER,
        "request-1",
    )
    assert partner.pair(pairing_body()).status_code == 201


def test_after_an_unlock_the_account_has_five_tries_again(
    locked: LinkageKey, partner: Im1Partner, pairing_body: Body
) -> None:
    im1_pairing_unlock(actor=STAFF, patient=locked.patient)

    answers = _fail(partner, pairing_body(linkageKey=WRONG_KEY), 6)

    assert answers == [(403, "PAIRING_FAILED")] * 5 + [(423, "PAIRING_LOCKED")]


def test_unlocking_a_patient_with_nothing_locked_is_audited_and_lifts_nothing(
    linkage_key: LinkageKey,
) -> None:
    assert im1_pairing_unlock(actor=STAFF, patient=linkage_key.patient) == 0
    assert AuditEvent.objects.filter(action="im1_unlock", outcome="SUCCESS").count() == 1


def test_unlocking_one_patient_leaves_another_s_account_locked(
    locked: LinkageKey, partner: Im1Partner, pairing_body: Body
) -> None:
    stranger = pairing_body(accountId=random_account_id())
    _fail(partner, stranger, 5)
    other_patient = RegisteredPatient.objects.create(
        practice=locked.practice,
        nhs_number="9990000034",
        surname="Evans",
        date_of_birth=locked.patient.date_of_birth,
    )

    im1_pairing_unlock(actor=STAFF, patient=other_patient)

    assert _locked(locked)
    assert _error(partner.pair(stranger)) == (423, "PAIRING_LOCKED")


def _sign_in(patient: Any) -> Client:
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")
    return client


def test_the_patient_s_p9_sign_in_unlocks_their_pairing(
    locked: LinkageKey, partner: Im1Partner, pairing_body: Body
) -> None:
    profile = PatientFactory.create(nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE)

    _sign_in(profile)

    assert not _locked(locked)
    event = AuditEvent.objects.order_by("pk").last()
    assert event is not None
    assert (event.actor_type, event.actor, event.action, event.nhs_number) == (
        "patient",
        profile.nhs_login_sub,
        "im1_unlock",
        NHS_NUMBER,
    )
    assert partner.pair(pairing_body()).status_code == 201


def test_a_p9_sign_in_with_nothing_locked_asks_the_database_once(
    linkage_key: LinkageKey, django_assert_num_queries: Any
) -> None:
    """Every P9 sign-in asks: one query, whatever the patient's keys, when nothing is locked."""
    profile = PatientFactory.create(nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE)
    PairingGuard.objects.create(
        ods_code=ODS_CODE, account_id=linkage_key.account_id, consecutive_failures=2
    )
    user = profile.user

    with django_assert_num_queries(1):
        pairing_unlocked_at_p9_sign_in(sender=type(user), request=None, user=user)


def test_an_account_locked_at_another_practice_is_not_unlocked_by_this_one(
    locked: LinkageKey,
) -> None:
    """The lock asked of is at the practice NHS login named, for that practice's patient."""
    PairingGuard.objects.filter(account_id=locked.account_id).update(ods_code="B23456")
    before = AuditEvent.objects.count()

    _sign_in(PatientFactory.create(nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE))

    assert PairingGuard.objects.get(account_id=locked.account_id).locked_at is not None
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "who",
    [
        # The profile keeps no NHS number below P9; the level is checked even if it had one.
        pytest.param(
            {"p5": True, "nhs_number": NHS_NUMBER, "gp_ods_code": ODS_CODE},
            id="p5-patient-with-their-nhs-number",
        ),
        pytest.param({"nhs_number": "9990000034", "gp_ods_code": ODS_CODE}, id="another-patient"),
        pytest.param({"nhs_number": NHS_NUMBER, "gp_ods_code": "B23456"}, id="another-practice"),
        pytest.param({"nhs_number": "", "gp_ods_code": ""}, id="no-nhs-number"),
    ],
)
def test_a_sign_in_that_does_not_prove_the_patient_unlocks_nothing(
    locked: LinkageKey, who: dict[str, Any]
) -> None:
    before = AuditEvent.objects.count()

    _sign_in(PatientFactory.create(**who))

    assert _locked(locked)
    assert AuditEvent.objects.count() == before


def test_a_staff_sign_in_unlocks_nothing(locked: LinkageKey) -> None:
    Client().force_login(UserFactory.create(is_staff=True))

    assert _locked(locked)


def test_a_p9_sign_in_with_nothing_locked_writes_no_audit_event(
    linkage_key: LinkageKey,
) -> None:
    _sign_in(PatientFactory.create(nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE))

    assert not AuditEvent.objects.exists()


@pytest.fixture
def lock_check_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(**kwargs: object) -> bool:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("im1.signals.registration_pairing_locked", unreachable)


@pytest.mark.usefixtures("lock_check_fails")
def test_a_failing_unlock_never_stops_the_sign_in(
    locked: LinkageKey, caplog: pytest.LogCaptureFixture
) -> None:
    profile = PatientFactory.create(nhs_number=NHS_NUMBER, gp_ods_code=ODS_CODE)

    with caplog.at_level(logging.ERROR, logger="im1.signals"):
        client = _sign_in(profile)

    assert client.session["_auth_user_id"] == str(profile.user.pk)
    assert "IM1 pairing not unlocked at sign-in: OperationalError" in caplog.text


# --- The limits a minute ---------------------------------------------------------------------


def test_an_account_s_failures_are_limited_a_minute_then_even_the_right_key_waits(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    with time_machine.travel(MINUTE + 20, tick=False):
        failures = _fail(partner, pairing_body(linkageKey=WRONG_KEY), 3)
        limited = partner.pair(pairing_body())
        other_account = partner.pair(pairing_body(accountId=random_account_id()))
    with time_machine.travel(MINUTE + 60, tick=False):
        next_minute = partner.pair(pairing_body())

    assert failures == [(403, "PAIRING_FAILED")] * 3
    assert _error(limited) == (429, "RATE_LIMITED")
    assert limited["Retry-After"] == "40"
    assert (
        limited.json()["errorMessage"]
        == "Too many failed pairings for this account: try again later"
    )
    assert _error(other_account) == (403, "PAIRING_FAILED")
    assert next_minute.status_code == 201
    assert not _locked(linkage_key)


def test_a_partner_s_failures_are_limited_a_minute_whichever_accounts_it_tries(
    partner: Im1Partner,
    other_partner: Im1Partner,
    pairing_body: Body,
    settings: SettingsWrapper,
) -> None:
    settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = 2
    with time_machine.travel(MINUTE + 120, tick=False):
        failures = [
            _error(partner.pair(pairing_body(accountId=random_account_id()))) for _ in range(2)
        ]
        limited = partner.pair(pairing_body())
        other = other_partner.pair(pairing_body())

    assert failures == [(403, "PAIRING_FAILED")] * 2
    assert _error(limited) == (429, "RATE_LIMITED")
    assert (
        limited.json()["errorMessage"]
        == "Too many failed pairings for this client: try again later"
    )
    assert int(limited["Retry-After"]) == 60
    assert other.status_code == 201


def test_an_address_s_failures_are_limited_a_minute_whichever_partner_sends_them(
    partner: Im1Partner,
    other_partner: Im1Partner,
    pairing_body: Body,
    settings: SettingsWrapper,
) -> None:
    settings.IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE = 2
    address, elsewhere = fresh_address(), fresh_address()
    with time_machine.travel(MINUTE + 180, tick=False):
        for caller in (partner, other_partner):
            caller.pair(pairing_body(accountId=random_account_id()), remote_addr=address)
        limited = other_partner.pair(pairing_body(), remote_addr=address)
        from_elsewhere = other_partner.pair(pairing_body(), remote_addr=elsewhere)

    assert _error(limited) == (429, "RATE_LIMITED")
    assert (
        limited.json()["errorMessage"]
        == "Too many failed pairings for this address: try again later"
    )
    assert from_elsewhere.status_code == 201


def test_successful_pairings_are_not_counted_against_any_limit(
    partner: Im1Partner, pairing_body: Body, settings: SettingsWrapper
) -> None:
    settings.IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE = 1
    settings.IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = 1
    settings.IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE = 1
    address = fresh_address()

    answers = [partner.pair(pairing_body(), remote_addr=address).status_code for _ in range(5)]

    assert answers == [201] * 5


def test_a_rate_limited_attempt_is_audited_and_counts_as_no_failure(
    partner: Im1Partner, pairing_body: Body, linkage_key: LinkageKey
) -> None:
    with time_machine.travel(MINUTE + 240, tick=False):
        _fail(partner, pairing_body(linkageKey=WRONG_KEY), 3)
        for _ in range(5):
            partner.pair(pairing_body(linkageKey=WRONG_KEY))

    assert PairingGuard.objects.get().consecutive_failures == 3
    outcomes = list(AuditEvent.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["PAIRING_FAILED"] * 3 + ["RATE_LIMITED"] * 5


def test_with_the_cache_down_pairing_fails_closed(
    partner: Im1Partner, pairing_body: Body, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: object, **kwargs: object) -> int:
        raise RateLimitUnavailableError("cache down")

    monkeypatch.setattr("im1.guard.rate_limit_reached_retry_after", unreachable)
    response = partner.pair(pairing_body())

    assert _error(response) == (503, "SERVICE_UNAVAILABLE")
    assert not Connection.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome) == ("im1_pair", "SERVICE_UNAVAILABLE")


def test_the_sign_in_s_lock_check_finds_only_the_patient_s_own_locked_accounts(
    linkage_key: LinkageKey,
) -> None:
    """registration_pairing_locked (im1/guard.py), written out: the same answer as
    pairing_locked for the patient's Account IDs, whatever else is locked."""
    from django.utils import timezone

    from im1.guard import pairing_locked, registration_pairing_locked

    def both() -> tuple[bool, bool]:
        account_ids = LinkageKey.objects.filter(
            patient__nhs_number=NHS_NUMBER, patient__practice__ods_code=ODS_CODE
        ).values_list("account_id", flat=True)
        return (
            registration_pairing_locked(nhs_number=NHS_NUMBER, ods_code=ODS_CODE),
            pairing_locked(ods_code=ODS_CODE, account_ids=account_ids),
        )

    # The same Account ID locked at another practice, another account locked here, and the
    # patient's own guard with failures but no lock: none of them is this patient's lock.
    PairingGuard.objects.create(
        ods_code="B82000", account_id=linkage_key.account_id, locked_at=timezone.now()
    )
    PairingGuard.objects.create(
        ods_code=ODS_CODE, account_id=random_account_id(), locked_at=timezone.now()
    )
    own = PairingGuard.objects.create(
        ods_code=ODS_CODE, account_id=linkage_key.account_id, consecutive_failures=3
    )
    assert both() == (False, False)
    assert registration_pairing_locked(nhs_number="9990000026", ods_code=ODS_CODE) is False

    own.locked_at = timezone.now()
    own.save()
    assert both() == (True, True)
