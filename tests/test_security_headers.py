"""Security headers on every kind of response (issue: production shape)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PAGES = [
    pytest.param("/", id="start-page"),
    pytest.param("/no-such-page/", id="not-found"),
    pytest.param("/health/live", id="health"),
    pytest.param("/admin/login/", id="admin-login"),
    pytest.param("/api/v1/openapi.json", id="api"),
    pytest.param("/api/v1/no-such-call", id="api-not-found"),
]
# The APIs' answers are never documents: their policy allows nothing at all (docs/adr/0028).
API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client: Client, path: str) -> None:
    response = client.get(path)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    policy = response["Content-Security-Policy"]
    if path.startswith("/api/"):
        assert policy == API_POLICY
        return
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_the_one_inline_script_carries_the_nonce_the_policy_names(client: Client) -> None:
    response = client.get("/")

    policy_nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    inline = [attributes for attributes in scripts if "src=" not in attributes]
    assert policy_nonce is not None
    assert inline == [f' nonce="{policy_nonce.group(1)}"']


def test_each_response_gets_a_new_nonce(client: Client) -> None:
    first = client.get("/")["Content-Security-Policy"]
    second = client.get("/")["Content-Security-Policy"]

    assert re.search(r"nonce-[^']+", first) != re.search(r"nonce-[^']+", second)


def test_cookies_are_http_only_and_same_site_lax(patient_client: Client) -> None:
    response = patient_client.get("/home/")
    csrf = Client().get("/").cookies["csrftoken"]
    session = patient_client.cookies["sessionid"]

    assert response.status_code == 200
    for cookie in (csrf, session):
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
