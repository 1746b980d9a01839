"""`make bench`'s own views: the bare view, the floors (linkage/benchmark_floor.py) and the
bare page. They exist only when BENCHMARK_BASELINE_ENABLED is on; each does what its
docstring says, so that a figure measured beside it means what the README says it means."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import clear_url_caches

from linkage.audit import AuditAction
from linkage.models import AuditEvent, LinkageKey, LinkageKeyStatus, RegisteredPatient
from linkage.tests.conftest import ApiCaller, create_body, retrieve_body

pytestmark = pytest.mark.django_db

BENCH_ADDRESSES = (
    "/api/bench/baseline",
    "/api/bench/retrieve-floor",
    "/api/bench/create-floor",
    "/bench/page-baseline",
)


@pytest.fixture
def benchmark_urls(settings: Any) -> Iterator[None]:
    """The portal's URLs as `make bench` runs it: the baseline switched on."""
    import citizen_portal.portal_urls as portal_urls

    settings.BENCHMARK_BASELINE_ENABLED = True
    importlib.reload(portal_urls)
    settings.ROOT_URLCONF = "citizen_portal.portal_urls"
    clear_url_caches()
    yield
    settings.BENCHMARK_BASELINE_ENABLED = False
    importlib.reload(portal_urls)
    clear_url_caches()


@pytest.mark.usefixtures("benchmark_urls")
def test_the_bare_view_goes_through_the_api_s_middleware(client: Client) -> None:
    """`make bench` compares each API call with it: on the same chain (docs/adr/0028)."""
    response = client.get("/api/bench/baseline")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Content-Security-Policy"] == settings.API_CONTENT_SECURITY_POLICY
    assert client.get("/bench/baseline").status_code == 404


@pytest.mark.parametrize("address", BENCH_ADDRESSES)
def test_every_benchmark_view_is_off_unless_switched_on(client: Client, address: str) -> None:
    assert client.get(address).status_code == 404
    assert client.post(address, "{}", content_type="application/json").status_code == 404


@pytest.mark.usefixtures("benchmark_urls")
def test_the_retrieve_floor_answers_what_a_retrieve_does_and_audits_the_call(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    created = nhs_login_api.create(create_body()).json()
    events_before = AuditEvent.objects.count()

    floor = nhs_login_api.post("/api/bench/retrieve-floor", retrieve_body())

    assert floor.status_code == 200
    assert floor.json() == created == nhs_login_api.retrieve(retrieve_body()).json()
    # One event for the floor's call, one for the retrieve's: the floor pays the same insert.
    events = list(AuditEvent.objects.order_by("pk")[events_before:])
    assert [(event.action, event.outcome) for event in events] == [
        (AuditAction.RETRIEVE, "SUCCESS"),
        (AuditAction.RETRIEVE, "SUCCESS"),
    ]
    assert events[0].actor == nhs_login_api.client.client_id
    assert events[0].nhs_number == registered_patient.nhs_number


@pytest.mark.usefixtures("benchmark_urls")
def test_the_create_floor_inserts_a_key_and_its_event_then_leaves_nothing(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    events_before = AuditEvent.objects.count()

    floor = nhs_login_api.post("/api/bench/create-floor", create_body())
    again = nhs_login_api.post("/api/bench/create-floor", create_body())

    assert floor.status_code == again.status_code == 201
    body = floor.json()
    assert set(body) == {"accountId", "linkageKey", "odsCode"}
    assert body["accountId"].isdigit()
    assert body["linkageKey"]
    assert body["linkageKey"] != again.json()["linkageKey"]  # a key made afresh each time
    # Rolled back: no key, no event, and the patient's own first create is untouched.
    assert not LinkageKey.objects.filter(patient=registered_patient).exists()
    assert AuditEvent.objects.count() == events_before
    created = nhs_login_api.create(create_body())
    assert created.status_code == 201
    assert LinkageKey.objects.get(patient=registered_patient).status == LinkageKeyStatus.ACTIVE


@pytest.mark.usefixtures("benchmark_urls")
@pytest.mark.parametrize("address", ["/api/bench/retrieve-floor", "/api/bench/create-floor"])
def test_a_floor_refuses_as_the_api_does(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, address: str
) -> None:
    """The same checks come first: without a valid token, or for a patient not on the
    register, the API's own answer and nothing written."""
    events_before = AuditEvent.objects.count()

    no_token = nhs_login_api.post(address, retrieve_body(), token="not-a-token")
    unknown = nhs_login_api.post(address, retrieve_body(nhsNumber="9990000026"))

    assert (no_token.status_code, no_token.json()["errorCode"]) == (401, "UNAUTHORIZED")
    assert (unknown.status_code, unknown.json()["errorCode"]) == (404, "PATIENT_NOT_FOUND")
    assert AuditEvent.objects.count() == events_before
    assert not LinkageKey.objects.exists()


@pytest.mark.usefixtures("benchmark_urls")
def test_the_bare_page_answers_a_signed_in_patient_on_the_pages_chain(
    patient_client: Client, client: Client
) -> None:
    response = patient_client.get("/bench/page-baseline")

    assert response.status_code == 200
    assert response.content == b"ok"
    # The pages' policy, with its nonce, not the API's fixed one.
    assert response["Content-Security-Policy"] != settings.API_CONTENT_SECURITY_POLICY
    assert "no-store" in response["Cache-Control"]
    # Not signed in: sent to sign in, as from any signed-in page.
    assert client.get("/bench/page-baseline").status_code == 302
