"""The admin on a host of its own (ADMIN_HOST, core/admin_host.py): /admin/ only there, and
nothing patient-facing there; without it, the admin on every host as `make run` has it."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

pytestmark = pytest.mark.django_db

ADMIN_HOST = "admin.portal.test"
PATIENT_HOST = "portal.test"


@pytest.fixture
def admin_on_its_own_host(settings: SettingsWrapper) -> None:
    settings.ADMIN_HOST = ADMIN_HOST
    settings.ALLOWED_HOSTS = [ADMIN_HOST, PATIENT_HOST]


def test_without_an_admin_host_the_admin_is_on_every_host(client: Client) -> None:
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/").status_code == 200


def test_the_admin_is_served_on_its_host(client: Client, admin_on_its_own_host: None) -> None:
    page = client.get("/admin/login/", headers={"host": ADMIN_HOST})
    with_a_port = client.get("/admin/login/", headers={"host": f"{ADMIN_HOST}:8443"})

    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    assert with_a_port.status_code == 200
    assert client.get("/admin/", headers={"host": ADMIN_HOST})["Location"] == (
        "/admin/login/?next=/admin/"
    )


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/two-factor/", "/admin/x/"])
def test_the_patient_host_has_no_admin(
    client: Client, admin_on_its_own_host: None, path: str
) -> None:
    response = client.get(path, headers={"host": PATIENT_HOST})

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()  # the portal's own 404 page


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/home/",
        "/home/linkage-details/",
        "/auth/nhs-login/callback/",
        "/auth/nhs-app/",
        "/api/v1/openapi.json",
        "/nhs-login-simulator/.well-known/openid-configuration",
    ],
)
def test_the_admin_host_serves_nothing_patient_facing(
    client: Client, admin_on_its_own_host: None, path: str
) -> None:
    response = client.get(path, headers={"host": ADMIN_HOST})

    assert response.status_code == 404


def test_the_patient_host_keeps_the_portal(client: Client, admin_on_its_own_host: None) -> None:
    assert client.get("/", headers={"host": PATIENT_HOST}).status_code == 200
    assert client.get("/api/v1/openapi.json", headers={"host": PATIENT_HOST}).status_code == 200


@pytest.mark.parametrize("host", [ADMIN_HOST, PATIENT_HOST])
def test_both_hosts_answer_health_checks(
    client: Client, admin_on_its_own_host: None, host: str
) -> None:
    assert client.get("/health/live", headers={"host": host}).status_code == 200


def test_a_form_without_its_csrf_token_on_the_admin_host_is_a_plain_403(
    admin_on_its_own_host: None,
) -> None:
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(
        "/admin/login/", {"username": "x", "password": "y"}, headers={"host": ADMIN_HOST}
    )

    assert response.status_code == 403
    assert "CSRF" in response.content.decode()


def test_view_site_links_to_the_patient_portal_from_the_admin_host(
    admin_on_its_own_host: None, settings: SettingsWrapper, superuser_client: Client
) -> None:
    settings.PORTAL_BASE_URL = f"https://{PATIENT_HOST}"

    index = superuser_client.get("/admin/", headers={"host": ADMIN_HOST})

    assert index.status_code == 200
    assert f'href="https://{PATIENT_HOST}/"' in index.content.decode()
