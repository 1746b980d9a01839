"""A patient's real P9 sign-in through NHS login (the simulator, over HTTP) unlocks pairing
with their account, which failed IM1 pairings had locked (docs/im1-api.md, "Guessing")."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Patient
from demo.practice import DEMO_ODS_CODE
from im1.models import PairingGuard
from linkage.models import AuditEvent
from tests.portal_browser import PortalBrowser
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_ACCOUNT_ID = "5100000001"  # the demo practice's key for the simulator's P9 user


@pytest.fixture
def demo_account_locked(nhs_login_live: NhsLoginLive) -> PairingGuard:
    return PairingGuard.objects.create(
        ods_code=DEMO_ODS_CODE,
        account_id=DEMO_ACCOUNT_ID,
        consecutive_failures=5,
        locked_at=timezone.now(),
    )


def test_the_patient_s_p9_sign_in_unlocks_the_pairing_of_their_account(
    nhs_login_live: NhsLoginLive, demo_account_locked: PairingGuard
) -> None:
    home = PortalBrowser(nhs_login_live.base_url).sign_in(user="p9-demo-practice")

    assert home.url.endswith("/home/"), home.text
    demo_account_locked.refresh_from_db()
    assert demo_account_locked.locked_at is None
    assert demo_account_locked.consecutive_failures == 0
    patient = Patient.objects.get()
    assert demo_account_locked.unlocked_by == f"patient:{patient.nhs_login_sub}"
    event = AuditEvent.objects.get(action="im1_unlock")
    assert (event.actor, event.outcome, event.nhs_number) == (
        patient.nhs_login_sub,
        "SUCCESS",
        patient.nhs_number,
    )
    assert event.request_id
