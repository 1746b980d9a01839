"""The APIs' own middleware chain (core/api_middleware.py, docs/adr/0028): every header an API
answer carried on the pages' chain, the contract's error bodies, the admin's host, and the
pages' chain still serving pages and a browser's navigation to an API address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client
from django.urls import get_resolver
from pytest_django.fixtures import Settings as SettingsWrapper

from linkage.models import RegisteredPatient
from linkage.tests.conftest import ApiCaller, create_body, retrieve_body
from tests.support import url_routes

pytestmark = pytest.mark.django_db

API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
NEVER_STORED = "max-age=0, no-cache, no-store, must-revalidate, private"


def _has_the_security_headers(response: Any) -> None:
    """What every answer carries, from the API's chain as from the pages'."""
    assert response["X-Request-ID"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Permissions-Policy"].startswith("accelerometer=(), autoplay=(), camera=()")
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["Content-Length"] == str(len(response.content))


def _api_call(response: Any) -> None:
    """An answer of the API's chain: the headers, the strict policy, and no session."""
    _has_the_security_headers(response)
    assert response["Content-Security-Policy"] == API_POLICY
    assert not hasattr(response.wsgi_request, "session")


def test_a_retrieve_answer_carries_every_header(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    nhs_login_api.create(create_body())
    response = nhs_login_api.retrieve(retrieve_body(), **{"X-Request-ID": "call-1"})

    assert response.status_code == 200
    _api_call(response)
    assert response["X-Request-ID"] == "call-1"
    assert not hasattr(response.wsgi_request, "user")
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == NEVER_STORED
    assert response["Expires"]


def test_a_create_answer_carries_every_header(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    response = nhs_login_api.create(create_body())

    assert response.status_code == 201
    _api_call(response)
    assert response["Cache-Control"] == NEVER_STORED


def test_a_refusal_carries_every_header_and_the_contracts_body(nhs_login_api: ApiCaller) -> None:
    response = nhs_login_api.retrieve(retrieve_body(), token="not-a-token")

    assert response.status_code == 401
    assert response.json()["errorCode"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"] == 'Bearer realm="linkage", error="invalid_token"'
    _api_call(response)
    assert response["Cache-Control"] == NEVER_STORED


def test_a_token_answer_carries_every_header(nhs_login_api: ApiCaller) -> None:
    response = nhs_login_api.token_response()

    assert response.status_code == 200
    _api_call(response)
    assert response["Cache-Control"] == "no-store"
    assert response["Pragma"] == "no-cache"


@pytest.mark.parametrize(
    "path", ["/api/v1/openapi.json", "/api/im1/v1/openapi.json"], ids=["linkage", "im1"]
)
def test_the_api_documents_carry_every_header(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 200
    _api_call(response)


def test_an_im1_call_takes_the_api_chain(api_client_for: Callable[..., ApiCaller]) -> None:
    partner = api_client_for("im1:pair")
    response = partner.http.get(
        "/api/im1/v1/patient", headers={"Authorization": f"Bearer {partner.token()}"}
    )

    assert response.status_code == 400
    assert response.json()["errorCode"] == "INVALID_REQUEST"
    _api_call(response)
    assert response["Cache-Control"] == NEVER_STORED


def test_a_wrong_method_is_a_bare_405_with_allow(client: Client) -> None:
    response = client.get("/api/v1/linkage/retrieve")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    _api_call(response)


def test_an_unknown_api_address_is_a_404_from_the_api_chain(client: Client) -> None:
    response = client.get("/api/v1/no-such-call")

    assert response.status_code == 404
    _api_call(response)


def test_the_database_unavailable_is_the_contracts_503(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr("linkage.api.api_call_authenticate", unreachable)
    client.raise_request_exception = False
    response = client.post(
        "/api/v1/linkage/retrieve", "{}", content_type="application/json", HTTP_AUTHORIZATION="x"
    )

    assert response.status_code == 503
    assert response.json()["errorCode"] == "SERVICE_UNAVAILABLE"
    _api_call(response)


def test_an_error_outside_any_view_is_the_contracts_503_too(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OperationalError the view does not catch (here the view itself failing) reaches the
    500 handler, which answers an /api/ address with the contract's 503."""

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    gone = type("Gone", (), {"read_bytes": unreachable})
    monkeypatch.setattr("linkage.api.OPENAPI_DOCUMENT", gone)
    client.raise_request_exception = False
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 503
    assert response.json()["errorCode"] == "SERVICE_UNAVAILABLE"
    _api_call(response)


def test_a_host_not_allowed_is_refused(client: Client) -> None:
    response = client.get("/api/v1/openapi.json", headers={"host": "evil.example"})

    assert response.status_code == 400


def test_plain_http_is_sent_to_https_where_the_site_says_so(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    response = client.post("/api/v1/linkage/retrieve", "{}", content_type="application/json")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_https_answers_carry_strict_transport_security(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.SECURE_HSTS_SECONDS = 63072000
    response = client.get("/api/v1/openapi.json", secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=63072000")


def test_the_admin_host_has_no_api(client: Client, settings: SettingsWrapper) -> None:
    settings.ADMIN_HOST = "admin.portal.test"
    settings.ALLOWED_HOSTS = ["admin.portal.test", "portal.test"]

    on_admin = client.get("/api/v1/openapi.json", headers={"host": "admin.portal.test"})
    on_portal = client.get("/api/v1/openapi.json", headers={"host": "portal.test"})

    assert on_admin.status_code == 404
    assert on_portal.status_code == 200
    _api_call(on_portal)


def test_a_browser_opening_an_api_address_gets_the_pages_chain(client: Client) -> None:
    """A person who opens an API address meets a page that says what to do (core/form_posts.py),
    served as any page is."""
    response = client.get("/api/v1/linkage/retrieve", headers={"accept": "text/html"})

    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert hasattr(response.wsgi_request, "session")


@pytest.mark.parametrize("path", ["/", "/health/live", "/no-such-page/"])
def test_pages_keep_the_pages_chain(client: Client, path: str) -> None:
    response = client.get(path)

    _has_the_security_headers(response)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert hasattr(response.wsgi_request, "session")
    assert hasattr(response.wsgi_request, "user")


def test_every_api_view_authenticates_its_own_calls() -> None:
    """No view under the API's prefixes relies on a signed-in user or on CSRF protection:
    the API's chain reads neither a session nor a user. A view that did would fail closed
    there (LoginRequiredMiddleware with no user), never be served to anyone."""

    api_prefixes = tuple(prefix.lstrip("/") for prefix in settings.API_PATH_PREFIXES)
    api_views = [
        (route, view)
        for route, view in url_routes(get_resolver().url_patterns)
        if route.startswith(api_prefixes)
    ]

    assert len(api_views) >= 7
    for route, view in api_views:
        assert getattr(view, "login_required", True) is False, route


def test_a_view_there_that_needs_a_signed_in_user_is_not_served(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.API_PATH_PREFIXES = ["/private/"]
    settings.ROOT_URLCONF = "core.tests.urls"
    client.raise_request_exception = False

    response = client.get("/private/")

    assert response.status_code == 500
    assert b"private" not in response.content
