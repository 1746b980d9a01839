"""Revoking and reissuing a key while it is being retrieved, on PostgreSQL with real threads:
a retrieve that starts after a revoke has returned never serves the revoked key, and a reissue
is one step (no retrieve sees the patient without a key in between). The other races are
proved elsewhere: 200 concurrent creates in linkage/tests/test_api.py, concurrent calls of the
sign-in service in accounts/tests/test_services.py; here, the same patient signing in from
several browsers at once over HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import requests
from django.db import connection

from accounts.models import Patient, User
from linkage.api_clients.state import PracticeBinding
from linkage.audit import Actor, ActorType
from linkage.errors import LinkageError
from linkage.models import LinkageKey, RegisteredPatient
from linkage.services import linkage_key_reissue, linkage_key_retrieve, linkage_key_revoke
from linkage.tests.conftest import DATE_OF_BIRTH, NHS_NUMBER, ODS_CODE, SURNAME
from linkage.tests.factories import LinkageKeyFactory
from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: real concurrency"
    ),
]

OLD_KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores
NHS_LOGIN = Actor(ActorType.API_CLIENT, "nhs-login")
EVERY_PRACTICE = PracticeBinding(all_practices=True)
STAFF = Actor(ActorType.STAFF, "reception-a12345")
RETRIEVERS = 8

# (when the retrieve started, the key it served or the errorCode it got)
Outcome = tuple[float, str]


def _retrieve_while(change: Callable[[], None]) -> tuple[list[Outcome], float]:
    """Retrieve in several threads, make the change from this one, keep retrieving a moment;
    every retrieve's start and outcome, and when the change had returned (committed)."""
    outcomes: list[Outcome] = []
    stop = threading.Event()
    started = threading.Barrier(RETRIEVERS + 1)

    def retrieve_until_stopped() -> None:
        try:
            started.wait()
            while not stop.is_set():
                began = time.monotonic()
                try:
                    information = linkage_key_retrieve(
                        actor=NHS_LOGIN,
                        nhs_number=NHS_NUMBER,
                        ods_code=ODS_CODE,
                        surname=SURNAME,
                        date_of_birth=DATE_OF_BIRTH,
                        practices=EVERY_PRACTICE,
                    )
                    outcomes.append((began, information.linkage_key))
                except LinkageError as error:
                    outcomes.append((began, error.error_code))
        finally:
            connection.close()

    threads = [threading.Thread(target=retrieve_until_stopped) for _ in range(RETRIEVERS)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.05)
    change()
    changed_at = time.monotonic()
    time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    return outcomes, changed_at


def test_no_retrieve_started_after_a_revoke_serves_the_revoked_key(
    registered_patient: RegisteredPatient,
) -> None:
    key = LinkageKeyFactory.create(patient=registered_patient)

    outcomes, revoked_at = _retrieve_while(
        lambda: linkage_key_revoke(actor=STAFF, linkage_key=key, reason="Lost phone")
    )

    before = {served for began, served in outcomes if began < revoked_at}
    after = {served for began, served in outcomes if began > revoked_at}
    assert OLD_KEY in before  # the retrieves really did overlap the revoke
    assert after == {"LINKAGE_KEY_REVOKED"}
    assert {served for _, served in outcomes} <= {OLD_KEY, "LINKAGE_KEY_REVOKED"}


def test_a_reissue_swaps_keys_in_one_step_while_being_retrieved(
    registered_patient: RegisteredPatient,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)
    reissued: list[str] = []

    outcomes, reissued_at = _retrieve_while(
        lambda: reissued.append(
            linkage_key_reissue(
                actor=STAFF, patient=registered_patient, reason="Patient asked"
            ).linkage_key
        )
    )

    new_key = reissued[0]
    assert new_key != OLD_KEY
    served = {key for _, key in outcomes}
    assert served <= {OLD_KEY, new_key}  # never "revoked" or "not found" in between
    assert {key for began, key in outcomes if began > reissued_at} == {new_key}
    assert LinkageKey.objects.filter(status="active").count() == 1


def test_the_same_patient_signing_in_from_several_browsers_at_once_gets_one_account(
    nhs_login_live: NhsLoginLive,
) -> None:
    browsers = [PortalBrowser(nhs_login_live.base_url) for _ in range(6)]
    # Each browser as far as NHS login's answer; the callbacks then all land at once.
    callbacks = []
    for browser in browsers:
        sign_in_page = browser.get(browser.press_nhs_login_button().headers["Location"])
        callbacks.append(browser.answer_simulator(sign_in_page, user="p9-demo-practice"))
    pages: list[int] = []
    barrier = threading.Barrier(len(browsers))

    def land(browser: PortalBrowser, callback: requests.Response) -> None:
        barrier.wait()
        pages.append(browser.follow(callback).status_code)

    threads = [
        threading.Thread(target=land, args=pair) for pair in zip(browsers, callbacks, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert pages == [200] * len(browsers)
    assert Patient.objects.count() == 1
    assert User.objects.count() == 1
    assert all(browser.get("/home/").status_code == 200 for browser in browsers)
