"""Per-address limits on the linkage API and its token endpoint, and refusals of callers that
never authenticated audited in aggregate rather than one permanent row each.

Each test's caller comes through a trusted proxy at 127.0.0.1 with an address of its own in
X-Forwarded-For (core/client_address.py), so counters from other tests never meet its own."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator

import pytest
import requests
import time_machine
from django.test import override_settings
from pytest_django.fixtures import Settings as SettingsWrapper

from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate
from linkage.models import AuditEvent, RegisteredPatient
from linkage.tests.conftest import ApiCaller, assertion_for, retrieve_body
from linkage.tests.test_openapi import RETRIEVE, LiveApi, live_api  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _fresh_address() -> str:
    """An address no other test or earlier run counted (198.18.0.0/15, RFC 2544)."""
    return f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


@pytest.fixture
def at_the_start_of_a_minute() -> Iterator[None]:
    """The clock moved on to the next whole minute, still running: a test that counts a
    minute's refusals has the whole minute, instead of a window that may end half-way."""
    now = time.time()
    with time_machine.travel(now - now % 60 + 60, tick=True):
        yield


@pytest.fixture(autouse=True)
def _behind_a_trusted_proxy(settings: SettingsWrapper) -> None:
    settings.TRUSTED_PROXIES = ["127.0.0.1"]


def _anonymous_retrieve(api: ApiCaller, address: str, authorization: str = "") -> object:
    headers = {"X-Forwarded-For": address}
    if authorization:
        headers["Authorization"] = authorization
    return api.http.post(
        "/api/v1/linkage/retrieve",
        json.dumps(retrieve_body()),
        content_type="application/json",
        headers=headers,
    )


def _token_request(api: ApiCaller, address: str, assertion: str | None = None) -> object:
    return api.http.post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion or assertion_for(api.client.client_id, api.private_key),
        },
        headers={"X-Forwarded-For": address},
    )


# --- Refusals of callers that never authenticated ------------------------------------------


def test_three_hundred_anonymous_calls_write_three_audit_rows_not_three_hundred(
    nhs_login_api: ApiCaller, at_the_start_of_a_minute: None
) -> None:
    address = _fresh_address()

    statuses = {
        _anonymous_retrieve(nhs_login_api, address, "Bearer forged").status_code  # type: ignore[attr-defined]
        for _ in range(300)
    }

    assert statuses == {401}
    rows = AuditEvent.objects.order_by("pk")
    assert [row.actor for row in rows] == [
        f"unauthenticated {address} (1 this minute)",
        f"unauthenticated {address} (10 this minute)",
        f"unauthenticated {address} (100 this minute)",
    ]
    assert {(row.action, row.outcome, row.actor_type) for row in rows} == {
        ("retrieve", "UNAUTHORIZED", "api_client")
    }


def test_each_address_is_counted_apart(nhs_login_api: ApiCaller) -> None:
    first, second = _fresh_address(), _fresh_address()

    for address in (first, second, first, second):
        _anonymous_retrieve(nhs_login_api, address)

    assert sorted(AuditEvent.objects.values_list("actor", flat=True)) == sorted(
        [f"unauthenticated {first} (1 this minute)", f"unauthenticated {second} (1 this minute)"]
    )


def test_authenticated_calls_keep_one_audit_row_each(
    api_client_for: object, registered_patient: RegisteredPatient
) -> None:
    """A client that authenticated is accountable: every call it makes, refused or not, is a
    row of its own under its client id."""
    reader: ApiCaller = api_client_for("linkage:read")  # type: ignore[operator]
    address = _fresh_address()
    token = reader.token()

    for _ in range(12):
        reader.create({}, token=token, **{"X-Forwarded-For": address})  # FORBIDDEN: no scope
    reader.retrieve({"nhsNumber": 1}, token=token, **{"X-Forwarded-For": address})

    rows = AuditEvent.objects.all()
    assert rows.count() == 13
    assert {row.actor for row in rows} == {reader.client.client_id}
    assert sorted({row.outcome for row in rows}) == ["FORBIDDEN", "INVALID_REQUEST"]


def test_refused_token_requests_are_audited_in_aggregate_and_granted_ones_not_at_all(
    nhs_login_api: ApiCaller, settings: SettingsWrapper, at_the_start_of_a_minute: None
) -> None:
    """A stolen client id tried with the wrong key, again and again, shows in the audit trail
    without filling it; a token granted is not an access to linkage information."""
    settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 1000
    address = _fresh_address()
    wrong_key = private_key_generate()

    statuses = {
        _token_request(  # type: ignore[attr-defined]
            nhs_login_api, address, assertion_for(nhs_login_api.client.client_id, wrong_key)
        ).status_code
        for _ in range(100)
    }
    granted = _token_request(nhs_login_api, _fresh_address())

    assert statuses == {401}
    assert granted.status_code == 200  # type: ignore[attr-defined]
    rows = AuditEvent.objects.order_by("pk")
    assert [row.actor for row in rows] == [
        f"unauthenticated {address} (1 this minute)",
        f"unauthenticated {address} (10 this minute)",
        f"unauthenticated {address} (100 this minute)",
    ]
    assert {(row.action, row.outcome) for row in rows} == {("token_request", "invalid_client")}


# --- The per-address limits ----------------------------------------------------------------


def test_an_address_over_its_api_limit_is_refused_before_its_token_is_looked_up(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient, settings: SettingsWrapper
) -> None:
    settings.LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 3
    address = _fresh_address()
    token = nhs_login_api.token()

    answers = [
        nhs_login_api.retrieve(retrieve_body(), token=token, **{"X-Forwarded-For": address})
        for _ in range(3)
    ]
    refused = [_anonymous_retrieve(nhs_login_api, address, f"Bearer {token}") for _ in range(2)]
    elsewhere = nhs_login_api.retrieve(
        retrieve_body(), token=token, **{"X-Forwarded-For": _fresh_address()}
    )

    # Served: the patient has no key yet, so the service answers LINKAGE_KEY_NOT_FOUND.
    assert [answer.status_code for answer in answers] == [404] * 3
    assert [r.status_code for r in refused] == [429, 429]  # type: ignore[attr-defined]
    assert refused[0].json()["errorCode"] == "RATE_LIMITED"  # type: ignore[attr-defined]
    assert 1 <= int(refused[0]["Retry-After"]) <= 60  # type: ignore[index]
    assert elsewhere.status_code == 404
    # The three served calls and the one elsewhere are the client's; the two refused are one
    # aggregate row, as no token was looked at.
    actors = list(AuditEvent.objects.order_by("pk").values_list("actor", flat=True))
    client_id = nhs_login_api.client.client_id
    assert actors == [client_id] * 3 + [f"unauthenticated {address} (1 this minute)", client_id]
    assert AuditEvent.objects.filter(actor__startswith="unauthenticated").get().outcome == (
        "RATE_LIMITED"
    )


def test_an_address_over_its_token_limit_is_refused_before_the_assertion_is_used(
    nhs_login_api: ApiCaller, settings: SettingsWrapper
) -> None:
    settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 2
    address = _fresh_address()
    for _ in range(2):
        assert _token_request(nhs_login_api, address).status_code == 200  # type: ignore[attr-defined]
    assertion = assertion_for(nhs_login_api.client.client_id, nhs_login_api.private_key)

    refused = _token_request(nhs_login_api, address, assertion)
    # Its jti was never written, so the same assertion is still good from another address.
    elsewhere = _token_request(nhs_login_api, _fresh_address(), assertion)

    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.json()["error"] == "temporarily_unavailable"  # type: ignore[attr-defined]
    assert 1 <= int(refused["Retry-After"]) <= 60  # type: ignore[index]
    assert refused["Cache-Control"] == "no-store"  # type: ignore[index]
    assert elsewhere.status_code == 200  # type: ignore[attr-defined]


def test_the_limit_is_on_the_trusted_client_address_not_a_forged_one(
    nhs_login_api: ApiCaller, settings: SettingsWrapper
) -> None:
    settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 2
    address = _fresh_address()

    answers = [
        _token_request(nhs_login_api, f"{_fresh_address()}, {address}").status_code  # type: ignore[attr-defined]
        for _ in range(4)
    ]

    assert answers == [200, 200, 429, 429]


REDIS_UNREACHABLE = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


def test_with_redis_down_the_address_limit_fails_closed(nhs_login_api: ApiCaller) -> None:
    with override_settings(CACHES=REDIS_UNREACHABLE):
        api = _anonymous_retrieve(nhs_login_api, _fresh_address())
        token = _token_request(nhs_login_api, _fresh_address())

    assert api.status_code == 503  # type: ignore[attr-defined]
    assert token.status_code == 503  # type: ignore[attr-defined]
    assert not AuditEvent.objects.exists()


# --- Over real HTTP, as the OpenAPI document declares ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_live_429s_are_answered_as_the_document_declares(
    live_api: LiveApi,  # noqa: F811
    settings: SettingsWrapper,
) -> None:
    settings.LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 1
    settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 1
    address = _fresh_address()

    def post(path: str, **kwargs: object) -> requests.Response:
        return requests.post(
            f"{live_api.base_url}{path}",
            headers={"X-Forwarded-For": address, **kwargs.pop("headers", {})},  # type: ignore[dict-item]
            timeout=10,
            **kwargs,  # type: ignore[arg-type]
        )

    form = {"grant_type": "client_credentials", "client_assertion_type": JWT_BEARER}
    tokens = [
        post("/api/oauth2/token", data={**form, "client_assertion": live_api.assertion(client)})
        for client in (live_api.full_client_id, live_api.full_client_id)
    ]
    calls = [
        post(RETRIEVE, data=b"{}", headers={"Content-Type": "application/json"}) for _ in range(2)
    ]

    assert [r.status_code for r in tokens] == [200, 429]
    live_api.check_as_declared("/api/oauth2/token", "post", tokens[1])
    assert [r.status_code for r in calls] == [401, 429]
    live_api.check_as_declared(RETRIEVE, "post", calls[1])
    assert calls[1].json()["errorCode"] == "RATE_LIMITED"
