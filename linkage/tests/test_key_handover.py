"""A new key reaches the letter page once, through the staff member's session, never in clear
there (linkage/admin/key_handover.py)."""

from __future__ import annotations

import datetime
from importlib import import_module

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from linkage.admin.key_handover import (
    HANDOVER_SECONDS,
    SESSION_KEY,
    new_key_hand_over,
    new_key_take,
)
from linkage.keys import LinkageInformation

pytestmark = pytest.mark.django_db

KEY = "Xp4nW9dT3wJsBqR"
INFORMATION = LinkageInformation(account_id="5100000001", linkage_key=KEY, ods_code="A12345")
NOON = datetime.datetime(2027, 3, 5, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def session() -> SessionBase:
    store: SessionBase = import_module(settings.SESSION_ENGINE).SessionStore()
    return store


def test_the_key_is_taken_once(session: SessionBase) -> None:
    with time_machine.travel(NOON, tick=False):
        new_key_hand_over(session, patient_id=7, information=INFORMATION, reissued=True)
        first = new_key_take(session, patient_id=7)
        again = new_key_take(session, patient_id=7)

    assert first is not None
    assert (first.account_id, first.linkage_key, first.ods_code) == ("5100000001", KEY, "A12345")
    assert (first.issued_on, first.reissued) == (datetime.date(2027, 3, 5), True)
    assert again is None
    assert SESSION_KEY not in session


def test_the_session_holds_the_key_only_encrypted(session: SessionBase) -> None:
    new_key_hand_over(session, patient_id=7, information=INFORMATION, reissued=False)
    session.save()

    stored = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    assert KEY not in repr(dict(stored.items()))
    assert KEY not in session.encode(dict(session.items()))
    assert KEY not in repr(new_key_take(stored, patient_id=7))
    assert new_key_take(stored, patient_id=7) is None


def test_another_patient_s_letter_gets_nothing_and_leaves_this_one(session: SessionBase) -> None:
    new_key_hand_over(session, patient_id=7, information=INFORMATION, reissued=False)

    assert new_key_take(session, patient_id=8) is None
    taken = new_key_take(session, patient_id=7)
    assert taken is not None
    assert taken.linkage_key == KEY


def test_a_later_key_for_the_same_patient_replaces_one_not_yet_shown(
    session: SessionBase,
) -> None:
    new_key_hand_over(session, patient_id=7, information=INFORMATION, reissued=False)
    later = LinkageInformation(account_id="5100000001", linkage_key="Yq5pX2eU4xKtCrS")
    new_key_hand_over(session, patient_id=7, information=later, reissued=True)

    taken = new_key_take(session, patient_id=7)
    assert taken is not None
    assert taken.linkage_key == "Yq5pX2eU4xKtCrS"
    assert new_key_take(session, patient_id=7) is None


def test_a_handover_not_read_in_time_is_dropped_unread(session: SessionBase) -> None:
    with time_machine.travel(NOON, tick=False):
        new_key_hand_over(session, patient_id=7, information=INFORMATION, reissued=False)
        new_key_hand_over(session, patient_id=8, information=INFORMATION, reissued=False)
    just_in_time = NOON + datetime.timedelta(seconds=HANDOVER_SECONDS - 1)
    too_late = NOON + datetime.timedelta(seconds=HANDOVER_SECONDS)

    with time_machine.travel(just_in_time, tick=False):
        assert new_key_take(session, patient_id=7) is not None
    with time_machine.travel(too_late, tick=False):
        assert new_key_take(session, patient_id=8) is None
    assert SESSION_KEY not in session
