"""PostgreSQL and Redis failing under the portal: nothing half-written, a 503 in the contract's
JSON from the API, a plain page on the site, and the cache-backed checks failing closed
(docs/adr/0007)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import Client, override_settings

from accounts.tests.factories import PatientFactory
from linkage.audit import Actor, ActorType
from linkage.models import AuditEvent, LinkageKey, RegisteredPatient
from linkage.services import linkage_key_reissue, linkage_key_revoke
from linkage.tests.conftest import ApiCaller, create_body
from linkage.tests.factories import LinkageKeyFactory
from tests.audit_faults import audit_writes_fail
from tests.database_down import run_with_the_database_down

STAFF = Actor(ActorType.STAFF, "reception-a12345")


def _api_create(caller: ApiCaller, patient: RegisteredPatient) -> None:
    token = caller.token()
    with audit_writes_fail() as refused:
        response = caller.create(create_body(), token=token)
    assert refused
    assert response.status_code == 503
    assert response.json()["errorCode"] == "SERVICE_UNAVAILABLE"


def _patient_create(caller: ApiCaller, patient: RegisteredPatient) -> None:
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(
        PatientFactory.create(
            nhs_number=patient.nhs_number,
            family_name=patient.surname,
            birthdate=patient.date_of_birth,
            gp_ods_code=patient.practice.ods_code,
        ).user,
        backend="accounts.backends.NhsLoginBackend",
    )
    with audit_writes_fail() as refused:
        response = signed_in.post("/home/linkage-details/create/confirm/")
    assert refused
    assert response.status_code in {500, 503}
    assert "Kp3nV8cT2wJsBqR" not in response.content.decode()


def _staff_reissue(caller: ApiCaller, patient: RegisteredPatient) -> None:
    LinkageKeyFactory.create(patient=patient)
    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        linkage_key_reissue(actor=STAFF, patient=patient, reason="Lost phone")
    assert refused


def _staff_revoke(caller: ApiCaller, patient: RegisteredPatient) -> None:
    key = LinkageKeyFactory.create(patient=patient)
    with audit_writes_fail() as refused, pytest.raises(OperationalError):
        linkage_key_revoke(actor=STAFF, linkage_key=key, reason="Lost phone")
    assert refused


Interrupted = Callable[[ApiCaller, RegisteredPatient], None]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("interrupt", "keys_after"),
    [
        pytest.param(_api_create, [], id="api-create"),
        pytest.param(_patient_create, [], id="patient-create"),
        pytest.param(_staff_reissue, [("active", "Kp3nV8cT2wJsBqR")], id="staff-reissue"),
        pytest.param(_staff_revoke, [("active", "Kp3nV8cT2wJsBqR")], id="staff-revoke"),
    ],
)
def test_a_write_whose_audit_cannot_be_written_is_undone(
    nhs_login_api: ApiCaller,
    registered_patient: RegisteredPatient,
    interrupt: Interrupted,
    keys_after: list[tuple[str, str]],
) -> None:
    """Nothing half-written: a key is never created, reissued or revoked without its audit
    event, and a create that failed leaves nothing that would turn its retry into a 409."""
    from linkage.crypto import linkage_key_decrypt

    interrupt(nhs_login_api, registered_patient)

    keys = [
        (key.status, linkage_key_decrypt(key.encrypted_key)) for key in LinkageKey.objects.all()
    ]
    assert keys == keys_after
    assert not AuditEvent.objects.filter(outcome="SUCCESS").exists()


@pytest.mark.django_db(transaction=True)
def test_a_create_retried_after_an_interrupted_one_succeeds(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    _api_create(nhs_login_api, registered_patient)

    retried = nhs_login_api.create(create_body())

    assert retried.status_code == 201
    assert LinkageKey.objects.get().account_id == retried.json()["accountId"]
    assert AuditEvent.objects.filter(action="create", outcome="SUCCESS").count() == 1


# --- PostgreSQL unreachable, in a process of its own ----------------------------------------

API_WITH_DATABASE_DOWN = """
import django, json
django.setup()
from django.core.cache import cache
from django.test import Client
from linkage.api_auth import token_cache_key

# A bearer token issued before the outage (tokens live in the cache, not the database).
cache.set(token_cache_key("token-from-before"), {"client_id": "c", "scopes": ["linkage:read",
          "linkage:create"]}, 300)
client = Client(raise_request_exception=False)
results = {}
body = json.dumps({"nhsNumber": "9990000018", "odsCode": "A12345", "surname": "Thompson",
                   "dateOfBirth": "1985-03-05"})
for path in ("/api/v1/linkage/retrieve", "/api/v1/linkage"):
    response = client.post(path, body, content_type="application/json",
                           headers={"Authorization": "Bearer token-from-before"})
    results[path] = [response.status_code, response["Content-Type"], response.json()]
response = client.post("/api/oauth2/token", {"grant_type": "client_credentials",
    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    "client_assertion": "eyJhbGciOiJSUzUxMiJ9.eyJpc3MiOiJjIn0.c2ln"})
results["/api/oauth2/token"] = [response.status_code, response["Content-Type"], response.json()]
client.cookies["sessionid"] = "a-session-that-needs-the-database"
response = client.get("/home/linkage-details/")
results["/home/linkage-details/"] = [response.status_code, response["Content-Type"],
                                     response.content.decode()[:20000]]
print(json.dumps(results))
"""


def test_with_the_database_down_the_api_answers_503_json_and_the_site_a_plain_page(
    tmp_path: Path,
) -> None:
    results, _ = run_with_the_database_down(API_WITH_DATABASE_DOWN, tmp_path)

    for path in ("/api/v1/linkage/retrieve", "/api/v1/linkage"):
        status, content_type, body = results[path]
        assert (status, content_type) == (503, "application/json")
        assert body["errorCode"] == "SERVICE_UNAVAILABLE"
    status, content_type, body = results["/api/oauth2/token"]
    assert (status, body["error"]) == (503, "temporarily_unavailable")
    status, content_type, html = results["/home/linkage-details/"]
    assert status == 503
    assert "Sorry, the service is unavailable" in html
    assert "Traceback" not in json.dumps(results)


# --- Redis unreachable: fail closed -----------------------------------------------------------

REDIS_UNREACHABLE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.mark.django_db
def test_with_redis_down_sign_in_is_refused_with_a_plain_page_not_started_unlimited(
    client: Client,
) -> None:
    """The sign-in rate limit lives in Redis: without it, no sign-in starts (fail closed)."""
    with override_settings(
        CACHES=REDIS_UNREACHABLE, SESSION_ENGINE="django.contrib.sessions.backends.db"
    ):
        response = client.post("/auth/nhs-login/start/")

    assert response.status_code == 503
    assert "NHS login is not working at the moment" in response.content.decode()
    assert "Location" not in response


@pytest.mark.django_db
def test_with_redis_down_a_replayed_assertion_cannot_slip_through(
    nhs_login_api: ApiCaller,
) -> None:
    """Seen assertion ids live in Redis: without it, no token is issued at all."""
    with override_settings(CACHES=REDIS_UNREACHABLE):
        response = nhs_login_api.token_response()

    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "access_token" not in response.json()
