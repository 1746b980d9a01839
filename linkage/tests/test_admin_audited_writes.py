"""Every write the admin makes goes through an audited service: switching a practice's online
services on or off, and disabling an API client, each write one audit event per object
changed, naming the staff member and the request, in the change's own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client

from linkage.api_clients.registration import api_client_disable
from linkage.api_clients.state import (
    ApiClientState,
    PracticeBinding,
    api_client_state_get,
    api_client_state_set,
)
from linkage.audit import Actor, ActorType
from linkage.models import ApiClient, AuditEvent, Practice
from linkage.practices import practice_online_services_switch
from linkage.tests.conftest import ApiCaller, retrieve_body
from linkage.tests.factories import PracticeFactory
from tests.audit_faults import audit_writes_fail
from tests.support import THIS_PRACTICE

pytestmark = pytest.mark.django_db

STAFF = Actor(ActorType.STAFF, "operator", "req-1")


def _events() -> list[tuple[str, str, str, str, str, str]]:
    return list(
        AuditEvent.objects.order_by("ods_code", "client_id").values_list(
            "actor_type", "actor", "action", "ods_code", "client_id", "request_id"
        )
    )


def _api_client(client_id: str, *, enabled: bool = True) -> ApiClient:
    return ApiClient.objects.create(
        client_id=client_id,
        name=client_id,
        jwks_url="https://example.org/jwks.json",
        scopes=["linkage:read"],
        all_practices=True,
        enabled=enabled,
    )


def _action(http: Client, changelist: str, action: str, selected: list[int], **extra: Any) -> Any:
    return http.post(changelist, {"action": action, "_selected_action": selected, **extra})


def test_switching_online_services_off_records_each_practice_switched(
    superuser_client: Client,
) -> None:
    live = [PracticeFactory.create(ods_code=code) for code in ("A11111", "A22222")]
    already_off = PracticeFactory.create(ods_code="A33333", online_services_live=False)

    response = _action(
        superuser_client,
        "/admin/linkage/practice/",
        "switch_online_services_off",
        [*(practice.pk for practice in live), already_off.pk],
    )

    request_id = response["X-Request-ID"]
    assert _events() == [
        ("staff", "operator", "online_services_off", "A11111", "", request_id),
        ("staff", "operator", "online_services_off", "A22222", "", request_id),
    ]
    assert not Practice.objects.filter(online_services_live=True).exists()


def test_staff_switching_on_record_only_their_own_practice(
    staff_client: Client, this_practice: Practice, other_practice: Practice
) -> None:
    Practice.objects.update(online_services_live=False)

    response = _action(
        staff_client,
        "/admin/linkage/practice/",
        "switch_online_services_on",
        [this_practice.pk, other_practice.pk],
    )

    assert _events() == [
        (
            "staff",
            "reception-a12345",
            "online_services_on",
            THIS_PRACTICE,
            "",
            response["X-Request-ID"],
        )
    ]
    other_practice.refresh_from_db()
    assert other_practice.online_services_live is False


def test_switching_on_the_practice_s_own_page_is_recorded_as_the_action_is(
    staff_client: Client, this_practice: Practice
) -> None:
    url = f"/admin/linkage/practice/{this_practice.pk}/change/"

    unchanged = staff_client.post(url, {"online_services_live": "on"})
    assert unchanged.status_code == 302
    assert not AuditEvent.objects.exists()
    switched = staff_client.post(url, {})

    this_practice.refresh_from_db()
    assert this_practice.online_services_live is False
    assert _events() == [
        (
            "staff",
            "reception-a12345",
            "online_services_off",
            THIS_PRACTICE,
            "",
            switched["X-Request-ID"],
        )
    ]


def test_a_superuser_renaming_and_switching_off_keeps_both_and_records_the_switch(
    superuser_client: Client, this_practice: Practice
) -> None:
    superuser_client.post(
        f"/admin/linkage/practice/{this_practice.pk}/change/", {"name": "Renamed Surgery"}
    )

    this_practice.refresh_from_db()
    assert (this_practice.name, this_practice.online_services_live) == ("Renamed Surgery", False)
    assert list(AuditEvent.objects.values_list("action", "ods_code")) == [
        ("online_services_off", THIS_PRACTICE)
    ]


def test_disabling_api_clients_records_each_client_disabled(superuser_client: Client) -> None:
    enabled = [_api_client("practice-app"), _api_client("nhs-login")]
    already_disabled = _api_client("retired-app", enabled=False)

    response = _action(
        superuser_client,
        "/admin/linkage/apiclient/",
        "disable_clients",
        [*(client.pk for client in enabled), already_disabled.pk],
    )

    request_id = response["X-Request-ID"]
    assert _events() == [
        ("staff", "operator", "api_client_disable", "", "nhs-login", request_id),
        ("staff", "operator", "api_client_disable", "", "practice-app", request_id),
    ]
    assert not ApiClient.objects.filter(enabled=True).exists()


def test_superusers_see_which_client_was_disabled_in_the_list_and_the_export(
    superuser_client: Client, this_practice: Practice
) -> None:
    client = _api_client("practice-app")
    _action(superuser_client, "/admin/linkage/apiclient/", "disable_clients", [client.pk])

    listed = superuser_client.get("/admin/linkage/auditevent/").content.decode()
    exported = b"".join(
        superuser_client.get("/admin/linkage/auditevent/export/").streaming_content  # type: ignore[attr-defined]
    ).decode()

    assert '<td class="field-client_id">practice-app</td>' in listed
    header, *rows = exported.strip().splitlines()
    assert header.endswith(",request_id,client_id")
    assert any(",api_client_disable," in row and row.endswith(",practice-app") for row in rows)


def test_a_client_disabled_in_admin_is_refused_on_its_very_next_call(
    superuser_client: Client, api_client_for: Callable[..., ApiCaller], this_practice: Practice
) -> None:
    caller = api_client_for("linkage:read")
    token = caller.token()
    assert caller.retrieve(retrieve_body(odsCode=THIS_PRACTICE), token=token).status_code == 404

    _action(superuser_client, "/admin/linkage/apiclient/", "disable_clients", [caller.client.pk])

    assert caller.retrieve(retrieve_body(odsCode=THIS_PRACTICE), token=token).status_code == 401


def test_disabling_forgets_the_cached_state_once_the_change_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A call between the update and the commit reads the row still enabled and caches it; the
    state is forgotten again after the commit, so that call's copy does not live a minute."""
    client = _api_client("practice-app")

    with django_capture_on_commit_callbacks(execute=True):
        api_client_disable(actor=STAFF, clients=ApiClient.objects.filter(pk=client.pk))
        api_client_state_set(
            client.client_id,
            ApiClientState(scopes=("linkage:read",), practices=PracticeBinding(all_practices=True)),
        )

    assert api_client_state_get(client.client_id) is None


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            lambda: practice_online_services_switch(
                actor=STAFF, practices=Practice.objects.all(), live=False
            ),
            id="practice-switch",
        ),
        pytest.param(
            lambda: api_client_disable(actor=STAFF, clients=ApiClient.objects.all()),
            id="api-client-disable",
        ),
    ],
)
def test_nothing_changes_when_its_audit_event_cannot_be_written(
    this_practice: Practice, write: Callable[[], int]
) -> None:
    _api_client("practice-app")

    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        write()

    assert refused  # the audit INSERT was tried, and refused

    assert Practice.objects.get().online_services_live is True
    assert ApiClient.objects.get().enabled is True


def test_staff_of_another_practice_cannot_switch_ours(
    other_practice_staff_client: Client, this_practice: Practice
) -> None:
    _action(
        other_practice_staff_client,
        "/admin/linkage/practice/",
        "switch_online_services_off",
        [this_practice.pk],
    )

    this_practice.refresh_from_db()
    assert this_practice.online_services_live is True
    assert not AuditEvent.objects.exists()
