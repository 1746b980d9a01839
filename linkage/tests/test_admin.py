"""Django admin for practice staff: scoped to their practices, every key action audited, the
audit itself read-only."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.rsa_keys import private_key_generate, public_key_pem
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.crypto import linkage_key_decrypt
from linkage.models import (
    ApiClient,
    AuditEvent,
    LinkageKey,
    Practice,
    PracticeStaff,
    RegisteredPatient,
)
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.support import OTHER_PRACTICE, THIS_PRACTICE, staff_signed_in

pytestmark = pytest.mark.django_db

KEY = "Kp3nV8cT2wJsBqR"
HEADER = "nhs_number,surname,given_name,date_of_birth,registration_status"


@dataclass
class PracticeData:
    practice: Practice
    patient: RegisteredPatient
    key: LinkageKey
    event: AuditEvent


def _data(practice: Practice, nhs_number: str, account_id: str, surname: str) -> PracticeData:
    patient = RegisteredPatientFactory.create(
        practice=practice,
        nhs_number=nhs_number,
        surname=surname,
        date_of_birth=datetime.date(1985, 3, 5),
    )
    key = LinkageKeyFactory.create(patient=patient, account_id=account_id)
    event = audit_event_record(
        actor=Actor(ActorType.API_CLIENT, "nhs-login"),
        action=AuditAction.RETRIEVE,
        outcome="SUCCESS",
        ods_code=practice.ods_code,
        nhs_number=nhs_number,
    )
    return PracticeData(practice, patient, key, event)


@pytest.fixture
def ours(this_practice: Practice) -> PracticeData:
    return _data(this_practice, "9990000018", "5100000001", "Thompson")


@pytest.fixture
def theirs(other_practice: Practice) -> PracticeData:
    return _data(other_practice, "9990000026", "5200000002", "Okafor")


def _admin_urls(data: PracticeData) -> dict[str, str]:
    return {
        "practice": f"/admin/linkage/practice/{data.practice.pk}/change/",
        "patient": f"/admin/linkage/registeredpatient/{data.patient.pk}/change/",
        "key": f"/admin/linkage/linkagekey/{data.key.pk}/change/",
        "show-key": f"/admin/linkage/linkagekey/{data.key.pk}/show-key/",
        "event": f"/admin/linkage/auditevent/{data.event.pk}/change/",
    }


@pytest.mark.parametrize("page", ["practice", "patient", "key", "show-key", "event"])
def test_staff_of_another_practice_cannot_open_anything_of_ours(
    other_practice_staff_client: Client, ours: PracticeData, theirs: PracticeData, page: str
) -> None:
    response = other_practice_staff_client.get(_admin_urls(ours)[page], follow=True)

    html = response.content.decode()
    assert "9990000018" not in html
    assert "999 000 0018" not in html
    assert "5100000001" not in html
    assert KEY not in html
    # Their own practice's page of the same kind opens.
    assert other_practice_staff_client.get(_admin_urls(theirs)[page]).status_code == 200


def test_staff_of_another_practice_cannot_show_our_key(
    other_practice_staff_client: Client, ours: PracticeData, theirs: PracticeData
) -> None:
    response = other_practice_staff_client.post(_admin_urls(ours)["show-key"])

    assert response.status_code == 403
    assert KEY not in response.content.decode()
    assert not AuditEvent.objects.filter(action="show_key").exists()


@pytest.mark.parametrize(
    ("changelist", "needle"),
    [
        pytest.param(
            "/admin/linkage/registeredpatient/?q=999+000+0018", "Thompson", id="search-patients"
        ),
        pytest.param(
            "/admin/linkage/registeredpatient/?q=Thompson", "999 000 0018", id="search-surname"
        ),
        pytest.param("/admin/linkage/linkagekey/?q=9990000018", "5100000001", id="search-keys"),
        pytest.param("/admin/linkage/linkagekey/", "5100000001", id="list-keys"),
        pytest.param("/admin/linkage/auditevent/", "999 000 0018", id="list-audit"),
        pytest.param("/admin/linkage/practice/", THIS_PRACTICE, id="list-practices"),
    ],
)
def test_lists_and_searches_show_only_the_staff_members_practices(
    staff_client: Client,
    other_practice_staff_client: Client,
    ours: PracticeData,
    theirs: PracticeData,
    changelist: str,
    needle: str,
) -> None:
    assert needle in staff_client.get(changelist).content.decode()
    assert needle not in other_practice_staff_client.get(changelist).content.decode()


def test_audit_export_contains_only_the_staff_members_practices(
    other_practice_staff_client: Client, ours: PracticeData, theirs: PracticeData
) -> None:
    response = other_practice_staff_client.get("/admin/linkage/auditevent/export/")

    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/csv"
    assert "9990000026" in body
    assert "9990000018" not in body
    assert AuditEvent.objects.filter(action="audit_export", actor="reception-b23456").exists()


def test_audit_export_follows_the_filters_on_screen(
    staff_client: Client, ours: PracticeData
) -> None:
    audit_event_record(
        actor=Actor(ActorType.PATIENT, "sub"),
        action=AuditAction.VIEW,
        outcome="SUCCESS",
        ods_code=THIS_PRACTICE,
        nhs_number="9990000018",
    )

    body = b"".join(
        staff_client.get("/admin/linkage/auditevent/export/?action__exact=view").streaming_content  # type: ignore[attr-defined]
    ).decode()

    lines = body.strip().splitlines()
    assert lines[0].startswith("occurred_at,actor_type")
    assert len(lines) == 2
    assert ",view," in lines[1]


def test_staff_of_another_practice_cannot_revoke_our_keys(
    other_practice_staff_client: Client, ours: PracticeData, theirs: PracticeData
) -> None:
    other_practice_staff_client.post(
        "/admin/linkage/linkagekey/",
        {
            "action": "revoke_keys",
            "_selected_action": [ours.key.pk],
            "confirm": "yes",
            "reason": "malicious",
        },
    )

    ours.key.refresh_from_db()
    assert ours.key.status == "active"
    assert not AuditEvent.objects.filter(action="revoke").exists()


def test_staff_revoke_asks_for_a_reason_then_revokes_and_audits(
    staff_client: Client, ours: PracticeData
) -> None:
    selection = {"action": "revoke_keys", "_selected_action": [ours.key.pk]}
    confirm = staff_client.post("/admin/linkage/linkagekey/", selection)
    assert "Revoke linkage keys" in confirm.content.decode()
    without_reason = staff_client.post(
        "/admin/linkage/linkagekey/", {**selection, "confirm": "yes", "reason": ""}
    )
    assert "Enter why the key is being revoked" in without_reason.content.decode()
    ours.key.refresh_from_db()
    assert ours.key.status == "active"

    staff_client.post(
        "/admin/linkage/linkagekey/", {**selection, "confirm": "yes", "reason": "Lost phone"}
    )

    ours.key.refresh_from_db()
    assert ours.key.status == "revoked"
    assert ours.key.revoked_reason == "Lost phone"
    assert ours.key.revoked_by == "staff:reception-a12345"
    event = AuditEvent.objects.get(action="revoke")
    assert (event.actor, event.outcome, event.ods_code) == (
        "reception-a12345",
        "SUCCESS",
        THIS_PRACTICE,
    )


def test_staff_reissue_gives_a_new_key_with_the_same_account_id(
    staff_client: Client, ours: PracticeData
) -> None:
    staff_client.post(
        "/admin/linkage/linkagekey/",
        {
            "action": "reissue_keys",
            "_selected_action": [ours.key.pk],
            "confirm": "yes",
            "reason": "Patient asked for a new key",
        },
    )

    active = LinkageKey.objects.get(patient=ours.patient, status="active")
    assert active.pk != ours.key.pk
    assert active.account_id == "5100000001"
    assert linkage_key_decrypt(active.encrypted_key) != KEY
    assert AuditEvent.objects.get(action="reissue").outcome == "SUCCESS"


def test_show_key_asks_first_and_records_the_look(staff_client: Client, ours: PracticeData) -> None:
    url = _admin_urls(ours)["show-key"]

    asked = staff_client.get(url)
    assert KEY not in asked.content.decode()
    assert not AuditEvent.objects.filter(action="show_key").exists()

    shown = staff_client.post(url)

    assert KEY in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    assert AuditEvent.objects.get(action="show_key").actor == "reception-a12345"


def test_keys_are_masked_in_lists_and_forms(staff_client: Client, ours: PracticeData) -> None:
    assert KEY not in staff_client.get("/admin/linkage/linkagekey/").content.decode()
    assert KEY not in staff_client.get(_admin_urls(ours)["key"]).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/linkage/auditevent/add/",
        "/admin/linkage/auditevent/{pk}/delete/",
    ],
)
def test_nobody_adds_or_deletes_audit_events(
    superuser_client: Client, ours: PracticeData, url: str
) -> None:
    response = superuser_client.get(url.format(pk=ours.event.pk))

    assert response.status_code == 403
    assert AuditEvent.objects.count() == 1


def test_audit_change_page_is_read_only_even_for_a_superuser(
    superuser_client: Client, ours: PracticeData
) -> None:
    url = _admin_urls(ours)["event"]

    page = superuser_client.get(url).content.decode()
    superuser_client.post(url, {"outcome": "FORGED"})

    assert 'name="outcome"' not in page
    ours.event.refresh_from_db()
    assert ours.event.outcome == "SUCCESS"


def test_register_import_through_admin_uses_the_same_rules(
    staff_client: Client, this_practice: Practice
) -> None:
    good = f"{HEADER}\n999 000 0042,Murphy,Finn,2001-06-01,registered\n"
    bad = f"{HEADER}\n9990000043,Murphy,Finn,2001-06-01,registered\n"

    refused = staff_client.post(
        "/admin/linkage/registeredpatient/import/",
        {"practice": this_practice.pk, "file": SimpleUploadedFile("r.csv", bad.encode())},
    )
    assert "line 2: nhs_number" in refused.content.decode()
    assert not RegisteredPatient.objects.exists()

    staff_client.post(
        "/admin/linkage/registeredpatient/import/",
        {"practice": this_practice.pk, "file": SimpleUploadedFile("r.csv", good.encode())},
    )
    assert RegisteredPatient.objects.get().nhs_number == "9990000042"


def test_register_import_cannot_target_another_practice(
    other_practice_staff_client: Client, this_practice: Practice, other_practice: Practice
) -> None:
    csv_text = f"{HEADER}\n9990000042,Murphy,Finn,2001-06-01,registered\n"

    response = other_practice_staff_client.post(
        "/admin/linkage/registeredpatient/import/",
        {"practice": this_practice.pk, "file": SimpleUploadedFile("r.csv", csv_text.encode())},
    )

    assert "Select a valid choice" in response.content.decode()
    assert not RegisteredPatient.objects.exists()


def test_staff_switch_online_services_for_their_practice_only(
    staff_client: Client, this_practice: Practice, other_practice: Practice
) -> None:
    staff_client.post(
        "/admin/linkage/practice/",
        {
            "action": "switch_online_services_off",
            "_selected_action": [this_practice.pk, other_practice.pk],
        },
    )

    this_practice.refresh_from_db()
    other_practice.refresh_from_db()
    assert this_practice.online_services_live is False
    assert other_practice.online_services_live is True


def test_only_superusers_add_practices_and_manage_api_clients(
    staff_client: Client, superuser_client: Client
) -> None:
    assert staff_client.get("/admin/linkage/practice/add/").status_code == 403
    assert staff_client.get("/admin/linkage/apiclient/").status_code == 403
    assert superuser_client.get("/admin/linkage/apiclient/").status_code == 200


def test_superuser_registers_an_api_client_with_a_public_key_and_disables_it(
    superuser_client: Client,
) -> None:
    pem = public_key_pem(private_key_generate().public_key())

    superuser_client.post(
        "/admin/linkage/apiclient/add/",
        {
            "name": "NHS login",
            "client_id": "nhs-login-int",
            "public_key_pem": pem,
            "jwks_url": "",
            "scopes": ["linkage:read", "linkage:create"],
            "all_practices": "on",
            "enabled": "on",
        },
    )
    client = ApiClient.objects.get()
    superuser_client.post(
        "/admin/linkage/apiclient/",
        {"action": "disable_clients", "_selected_action": [client.pk]},
    )

    client.refresh_from_db()
    assert client.scopes == ["linkage:create", "linkage:read"]  # as api_client_register stores them
    assert client.enabled is False


def test_api_client_form_refuses_a_key_that_is_not_rsa_2048(superuser_client: Client) -> None:
    response = superuser_client.post(
        "/admin/linkage/apiclient/add/",
        {
            "name": "Bad",
            "client_id": "bad",
            "public_key_pem": "not a key",
            "jwks_url": "",
            "scopes": ["linkage:read"],
            "enabled": "on",
        },
    )

    assert "not an unencrypted PEM key" in response.content.decode()
    assert not ApiClient.objects.exists()


def test_patients_cannot_use_the_admin(patient_client: Client) -> None:
    response = patient_client.get("/admin/linkage/linkagekey/")

    assert response.status_code == 302
    assert response["Location"] == "/home/"  # their own page (accounts/tests/test_admin_site.py)


def test_staff_without_a_practice_see_nothing(db: None) -> None:
    from accounts.tests.factories import UserFactory

    client = staff_signed_in(UserFactory.create(is_staff=True))

    assert client.get("/admin/linkage/linkagekey/").status_code == 403
    assert client.get("/admin/linkage/auditevent/").status_code == 403


def test_the_admin_sign_in_page_opens_for_someone_not_signed_in(client: Client) -> None:
    """It asks every ModelAdmin for permissions before anyone has signed in."""
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def test_only_superusers_grant_practice_membership(
    staff_client: Client, superuser_client: Client, this_practice: Practice
) -> None:
    from accounts.tests.factories import UserFactory

    newcomer = UserFactory.create(username="new-receptionist", is_staff=True)

    refused = staff_client.post(
        "/admin/linkage/practicestaff/add/", {"user": newcomer.pk, "practice": this_practice.pk}
    )
    superuser_client.post(
        "/admin/linkage/practicestaff/add/", {"user": newcomer.pk, "practice": this_practice.pk}
    )

    assert refused.status_code == 403
    assert list(
        PracticeStaff.objects.filter(user=newcomer).values_list("practice__ods_code", flat=True)
    ) == [THIS_PRACTICE]


def _api_client_form(pem: str, **binding: Any) -> dict[str, Any]:
    return {
        "name": "Practice app",
        "client_id": "practice-app",
        "public_key_pem": pem,
        "jwks_url": "",
        "scopes": ["linkage:read"],
        "enabled": "on",
        **binding,
    }


def test_superuser_binds_an_api_client_to_practices_and_sees_the_binding(
    superuser_client: Client, this_practice: Practice, other_practice: Practice
) -> None:
    pem = public_key_pem(private_key_generate().public_key())

    superuser_client.post(
        "/admin/linkage/apiclient/add/", _api_client_form(pem, practices=[this_practice.pk])
    )
    client = ApiClient.objects.get()
    listed_bound = superuser_client.get("/admin/linkage/apiclient/").content.decode()
    superuser_client.post(
        f"/admin/linkage/apiclient/{client.pk}/change/",
        _api_client_form(pem, practices=[this_practice.pk, other_practice.pk]),
    )
    rebound = sorted(client.practices.values_list("ods_code", flat=True))
    superuser_client.post(
        f"/admin/linkage/apiclient/{client.pk}/change/", _api_client_form(pem, all_practices="on")
    )
    listed_all = superuser_client.get("/admin/linkage/apiclient/").content.decode()

    assert f'<td class="field-practices_served">{THIS_PRACTICE}</td>' in listed_bound
    assert rebound == [THIS_PRACTICE, OTHER_PRACTICE]
    client.refresh_from_db()
    assert client.all_practices is True
    assert not client.practices.exists()
    assert '<td class="field-practices_served">All practices</td>' in listed_all


@pytest.mark.parametrize(
    "binding",
    [pytest.param({}, id="neither"), pytest.param({"all_practices": "on"}, id="both")],
)
def test_api_client_form_refuses_a_client_without_a_clear_binding(
    superuser_client: Client, this_practice: Practice, binding: dict[str, Any]
) -> None:
    if binding:
        binding = {**binding, "practices": [this_practice.pk]}
    pem = public_key_pem(private_key_generate().public_key())

    response = superuser_client.post(
        "/admin/linkage/apiclient/add/", _api_client_form(pem, **binding)
    )

    assert "Bind the client either to its practices or to all practices" in (
        response.content.decode()
    )
    assert not ApiClient.objects.exists()


def test_practice_staff_cannot_see_or_change_api_client_bindings(staff_client: Client) -> None:
    assert staff_client.get("/admin/linkage/apiclient/").status_code == 403
    assert staff_client.get("/admin/linkage/apiclient/add/").status_code == 403
