"""Practice staff provisioning a patient's NHS login from the admin, over real HTTP against the
simulator's Provision Account interface (docs/provisioning.md): every answer of the
specification, the request waiting 7 days, the patients who cannot be provisioned, bad input,
who may do it, the bearer token's reuse, and NHS login down."""

from __future__ import annotations

import datetime
import html
import logging
import time
from typing import Any

import pytest
import time_machine
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.tests.factories import UserFactory
from core import outbound
from linkage.models import AuditEvent, Practice, PracticeStaff, RegisteredPatient
from linkage.tests.factories import RegisteredPatientFactory
from nhs_login_simulator.models import ProvisionedAccount, UsedClientAssertion
from nhs_login_simulator.provisioning import provisioning_answer_choose
from provisioning import client as client_module
from provisioning.models import ProvisioningRequest
from provisioning.outcomes import ERROR_CODES, NOT_ANSWERED, STAFF_WORDING
from tests.support import PROVISIONING_CLIENT_ID, THIS_PRACTICE, NhsLoginLive, staff_signed_in

pytestmark = pytest.mark.django_db(transaction=True)

KAI = "9990000107"  # on the register, in the simulator's PDS stand-in, no NHS login yet
CHLOE = "9990000034"  # the simulator's P5 user
AVA = "9990000018"  # the simulator's P9 user
KAI_EMAIL = "kai.jones@example.org"
KAI_MOBILE = "07700 900107"


def _patient(nhs_number: str) -> RegisteredPatient:
    return RegisteredPatient.objects.get(practice__ods_code=THIS_PRACTICE, nhs_number=nhs_number)


def _form_url(patient: RegisteredPatient) -> str:
    return f"/admin/provisioning/provisioningrequest/patient/{patient.pk}/"


def _send(
    staff: Client,
    nhs_number: str = KAI,
    *,
    email: str = KAI_EMAIL,
    mobile: str = KAI_MOBILE,
    confirmed: bool = True,
) -> Any:
    form = {"email_address": email, "mobile_number": mobile}
    if confirmed:
        form["details_confirmed"] = "on"
    return staff.post(_form_url(_patient(nhs_number)), form)


def _text(response: Any) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def _events() -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(action="nhs_login_provision")
        .order_by("pk")
        .values_list("outcome", "actor")
    )


def test_staff_provision_a_new_patient_and_are_told_what_happens_next(
    provisioning_staff: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = _send(provisioning_staff)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/linkage/registeredpatient/{_patient(KAI).pk}/change/"
    page = provisioning_staff.get(response["Location"])
    assert STAFF_WORDING["create"].summary in _text(page)
    request = ProvisioningRequest.objects.get()
    assert (request.outcome, request.requested_by) == ("create", "reception-a12345")
    assert _events() == [("PROVISIONED_CREATE", "reception-a12345")]
    # What NHS login received: the register's details, the practice's code, the mobile in E.164.
    account = ProvisionedAccount.objects.get()
    assert (account.nhs_number, account.date_of_birth, account.ods_code) == (
        KAI,
        "1988-04-02",
        THIS_PRACTICE,
    )
    assert (account.email, account.phone_number) == (KAI_EMAIL, "+447700900107")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert KAI_EMAIL not in logged
    assert "900107" not in logged


def test_a_p5_patient_is_uplifted(provisioning_staff: Client) -> None:
    response = _send(provisioning_staff, CHLOE, email="chloe.evans@example.org")
    assert response.status_code == 302
    assert STAFF_WORDING["uplift"].summary in _text(provisioning_staff.get(response["Location"]))
    assert ProvisioningRequest.objects.get().outcome == "uplift"
    assert _events() == [("PROVISIONED_UPLIFT", "reception-a12345")]


def test_a_patient_with_a_p9_account_gets_11005_in_our_words(provisioning_staff: Client) -> None:
    response = _send(provisioning_staff, AVA, email="ava.thompson@example.org")
    assert response.status_code == 200
    assert STAFF_WORDING["11005"].summary in _text(response)
    assert STAFF_WORDING["11005"].next_step in _text(response)
    assert "User already has P9 account" not in response.content.decode()
    assert ProvisioningRequest.objects.get().outcome == "11005"


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_code_is_shown_to_staff_in_our_words_and_recorded(
    provisioning_staff: Client, code: str
) -> None:
    provisioning_answer_choose(code)
    response = _send(provisioning_staff)
    assert response.status_code == 200
    text = _text(response)
    assert STAFF_WORDING[code].summary in text
    assert STAFF_WORDING[code].next_step in text
    # The entered details are kept, to correct and send again.
    assert f'value="{KAI_EMAIL}"' in response.content.decode()
    assert ProvisioningRequest.objects.get().outcome == code
    assert _events() == [(f"NHS_LOGIN_{code}", "reception-a12345")]
    # Not waiting for the patient: it can be sent again at once.
    provisioning_answer_choose("")
    assert _send(provisioning_staff).status_code == 302


def test_a_request_waiting_shows_its_date_and_is_not_sent_again_within_7_days(
    provisioning_staff: Client,
) -> None:
    assert _send(provisioning_staff).status_code == 302
    page = provisioning_staff.get(_form_url(_patient(KAI)))
    today = datetime.date.today()
    assert f"on {today.day} {today:%B %Y}" in _text(page)
    assert 'name="email_address"' not in page.content.decode()

    again = _send(provisioning_staff)

    assert again.status_code == 200
    assert "can be sent again from" in _text(again)
    assert ProvisionedAccount.objects.count() == 1
    assert ProvisioningRequest.objects.count() == 1
    assert _events()[-1] == ("PROVISIONING_PENDING", "reception-a12345")


def test_a_second_request_while_the_first_is_being_sent_is_refused_and_not_sent(
    provisioning_staff: Client,
) -> None:
    from django.core.cache import cache

    from provisioning.services import sending_lock_key

    # What the first request holds while NHS login answers it (provisioning/services.py).
    assert cache.add(sending_lock_key(_patient(KAI)), 1, 60)

    response = _send(provisioning_staff)

    assert response.status_code == 200
    assert "Someone else is sending a request for this patient" in _text(response)
    assert not ProvisionedAccount.objects.exists()
    assert _events() == [("PROVISIONING_IN_PROGRESS", "reception-a12345")]
    cache.delete(sending_lock_key(_patient(KAI)))
    assert _send(provisioning_staff).status_code == 302


def test_after_7_days_the_request_can_be_sent_again(provisioning_staff: Client) -> None:
    assert _send(provisioning_staff).status_code == 302
    ProvisioningRequest.objects.update(
        requested_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=8)
    )
    ProvisionedAccount.objects.update(
        created_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=8)
    )
    assert _send(provisioning_staff).status_code == 302
    assert ProvisioningRequest.objects.count() == 2


@pytest.mark.parametrize(
    ("nhs_number", "reason"),
    [
        pytest.param("9990000050", "has died", id="deceased"),
        pytest.param("9990000069", "registration at the practice has ended", id="ended"),
    ],
)
def test_patients_who_cannot_be_provisioned_are_told_why_and_nothing_is_sent(
    provisioning_staff: Client, nhs_number: str, reason: str
) -> None:
    page = provisioning_staff.get(_form_url(_patient(nhs_number)))
    assert reason in _text(page)
    assert 'name="email_address"' not in page.content.decode()
    response = _send(provisioning_staff, nhs_number)
    assert reason in _text(response)
    assert not ProvisionedAccount.objects.exists()
    assert not ProvisioningRequest.objects.exists()
    assert _events() == [("NOT_ELIGIBLE", "reception-a12345")]


def test_a_patient_with_no_nhs_number_on_the_register_cannot_be_provisioned(
    provisioning_staff: Client,
) -> None:
    patient = RegisteredPatientFactory.create(
        practice=Practice.objects.get(ods_code=THIS_PRACTICE), nhs_number=""
    )
    page = provisioning_staff.get(_form_url(patient))
    assert "The register has no NHS number for this patient" in _text(page)
    provisioning_staff.post(
        _form_url(patient),
        {"email_address": KAI_EMAIL, "mobile_number": KAI_MOBILE, "details_confirmed": "on"},
    )
    assert not ProvisionedAccount.objects.exists()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        pytest.param(
            {"email": "not-an-email"}, "Enter an email address in the correct format", id="email"
        ),
        pytest.param({"email": ""}, "Enter the patient's email address", id="no-email"),
        pytest.param({"mobile": "01632 960001"}, "Enter a UK mobile number", id="landline"),
        pytest.param({"mobile": "+33 6 12 34 56 78"}, "Enter a UK mobile number", id="not-uk"),
        pytest.param({"mobile": "07700 9001"}, "Enter a UK mobile number", id="short"),
        pytest.param({"confirmed": False}, "Confirm you have checked", id="not-confirmed"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_sent(
    provisioning_staff: Client, form: dict[str, Any], error: str
) -> None:
    response = _send(provisioning_staff, **form)
    assert response.status_code == 200
    assert error in _text(response)
    assert not UsedClientAssertion.objects.filter(client__client_id=PROVISIONING_CLIENT_ID).exists()
    assert not ProvisionedAccount.objects.exists()
    assert _events() == []


@pytest.mark.parametrize(
    "mobile",
    ["07700900107", "+447700900107", "+44 (0)7700 900107".replace("(0)", ""), "0044 7700 900107"],
)
def test_a_uk_mobile_written_any_usual_way_is_sent_in_e164(
    provisioning_staff: Client, mobile: str
) -> None:
    assert _send(provisioning_staff, mobile=mobile).status_code == 302
    assert ProvisionedAccount.objects.get().phone_number == "+447700900107"


def test_staff_without_the_permission_see_no_button_and_are_refused(
    provisioning_live: NhsLoginLive,
) -> None:
    user = UserFactory.create(username="reader-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=Practice.objects.get(ods_code=THIS_PRACTICE))
    staff = staff_signed_in(user)
    patient = _patient(KAI)
    page = staff.get(f"/admin/linkage/registeredpatient/{patient.pk}/change/")
    assert page.status_code == 200
    assert "Provision NHS login" not in page.content.decode()
    assert staff.get(_form_url(patient)).status_code == 403
    assert _send(staff).status_code == 403
    assert not ProvisionedAccount.objects.exists()


def test_staff_of_another_practice_are_refused_as_for_a_patient_who_does_not_exist(
    provisioning_live: NhsLoginLive,
) -> None:
    from linkage.practice_staff import practice_staff_provisioning_grant

    other = Practice.objects.create(ods_code="B23456", name="Other Surgery")
    user = UserFactory.create(username="reception-b23456", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=other)
    practice_staff_provisioning_grant(user)
    staff = staff_signed_in(user)
    assert staff.get(_form_url(_patient(KAI))).status_code == 403
    assert _send(staff).status_code == 403
    assert staff.get("/admin/provisioning/provisioningrequest/patient/999999/").status_code == 403
    assert not ProvisionedAccount.objects.exists()


def test_the_patient_page_has_the_button_for_staff_who_may(provisioning_staff: Client) -> None:
    page = provisioning_staff.get(f"/admin/linkage/registeredpatient/{_patient(KAI).pk}/change/")
    assert "Provision NHS login" in page.content.decode()
    assert _form_url(_patient(KAI)) in page.content.decode()


@pytest.fixture
def token_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The token requests the portal makes (each still goes to the simulator)."""
    made: list[str] = []
    real = outbound.http_request

    def counted(method: str, url: str, **kwargs: Any) -> Any:
        if url.endswith("/token"):
            made.append(kwargs["data"]["client_assertion"])
        return real(method, url, **kwargs)

    monkeypatch.setattr(client_module, "http_request", counted)
    return made


def test_the_bearer_token_is_reused_while_it_lives_and_renewed_after(
    provisioning_staff: Client, token_requests: list[str]
) -> None:
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC), tick=True) as traveller:
        assert _send(provisioning_staff).status_code == 302
        assert _send(provisioning_staff, CHLOE, email="chloe.evans@example.org").status_code == 302
        assert len(token_requests) == 1
        traveller.shift(datetime.timedelta(seconds=301))
        assert _send(provisioning_staff, AVA, email="ava.thompson@example.org").status_code == 200
        assert len(token_requests) == 2
        # A new assertion each time: its own jti (the Provision Account interface, 4.1.2).
        assert token_requests[0] != token_requests[1]
    assert ProvisioningRequest.objects.count() == 3


@pytest.mark.parametrize(
    "answer", ["server_error", "connection_dropped", "not_json", "token_server_error"]
)
def test_nhs_login_down_gives_staff_a_clear_message_and_records_nothing_as_done(
    provisioning_staff: Client, settings: SettingsWrapper, answer: str
) -> None:
    settings.NHS_LOGIN_PROVISIONING_TIMEOUT_SECONDS = 1.0
    provisioning_answer_choose(answer)
    response = _send(provisioning_staff)
    assert response.status_code == 200
    assert STAFF_WORDING[NOT_ANSWERED].summary in _text(response)
    assert not ProvisioningRequest.objects.exists()
    assert _events() == [(NOT_ANSWERED, "reception-a12345")]
    # Nothing is waiting: once NHS login is back, the request goes.
    provisioning_answer_choose("")
    assert _send(provisioning_staff).status_code == 302


def test_an_answer_too_slow_is_no_answer_though_nhs_login_may_still_act_on_it(
    provisioning_staff: Client, settings: SettingsWrapper
) -> None:
    # The token call and the provisioning call share the deadline: room enough for the token
    # on a loaded machine, and the slow answer well after it.
    settings.NHS_LOGIN_PROVISIONING_TIMEOUT_SECONDS = 2.5
    settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS = 4.0
    provisioning_answer_choose("slow")
    response = _send(provisioning_staff)
    assert STAFF_WORDING[NOT_ANSWERED].summary in _text(response)
    assert not ProvisioningRequest.objects.exists()
    assert _events() == [(NOT_ANSWERED, "reception-a12345")]
    # The simulator answers in the end, as a slow NHS login would, and the patient is emailed.
    waited = time.monotonic() + 10
    while not ProvisionedAccount.objects.exists() and time.monotonic() < waited:
        time.sleep(0.1)
    assert ProvisionedAccount.objects.exists()
    # Sent again, NHS login says a request is waiting, and staff are told so.
    provisioning_answer_choose("")
    again = _send(provisioning_staff)
    assert STAFF_WORDING["11003"].summary in _text(again)


def test_nhs_login_unreachable_gives_the_same_message(
    provisioning_staff: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_PROVISIONING_TOKEN_URL = "http://127.0.0.1:9/token"
    response = _send(provisioning_staff)
    assert STAFF_WORDING[NOT_ANSWERED].summary in _text(response)
    assert not ProvisioningRequest.objects.exists()


def test_an_answer_whose_audit_event_cannot_be_written_is_not_kept(
    provisioning_live: NhsLoginLive,
) -> None:
    """The request and its audit event are written together, or neither is."""
    from django.db import OperationalError

    from linkage.audit import Actor, ActorType
    from provisioning.services import nhs_login_provision
    from tests.audit_faults import audit_writes_fail

    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        nhs_login_provision(
            actor=Actor(ActorType.STAFF, "reception-a12345"),
            patient=_patient(KAI),
            email_address=KAI_EMAIL,
            phone_number="+447700900107",
        )
    assert refused
    assert not ProvisioningRequest.objects.exists()
