"""No address answers a person with a blank page because it takes only a form's post
(core/form_posts.py): a patient's form address sends a GET to the page its form is on, and any
other 405 a browser meets is a page that says what to do. Every address of the product is found
from its URLconf, so a form address added later is checked without anyone listing it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from core.form_posts import form_page_of

pytestmark = pytest.mark.django_db

# What Chromium sends when a person opens an address.
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# A value for each path converter: the address resolves, whatever its object.
_CONVERTER = re.compile(r"<(?:(?:int|str|path|slug|uuid):)?\w+>")
# Regular-expression routes cannot be filled in; these are the admin's app index and its
# catch-all, neither of which takes only a post.
REGEX_ROUTES = {"app_index", "catch_all_view"}


def _routes(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route, pattern


def product_paths() -> list[str]:
    """Every address of the product (the simulator stands in for NHS login: not ours)."""
    exempt = tuple(prefix.lstrip("/") for prefix in settings.PORTAL_MIDDLEWARE_EXEMPT_PREFIXES)
    paths, regex = [], set()
    for route, pattern in _routes(get_resolver().url_patterns):
        if route.startswith(exempt):
            continue
        if "^" in route or "(?P" in route:
            regex.add(pattern.callback.__name__)
            continue
        paths.append("/" + _CONVERTER.sub("1", route))
    assert regex == REGEX_ROUTES, "a new regular-expression route: say here how to fill it in"
    return paths


def _people(patient_client: Client, superuser_client: Client) -> dict[str, Client]:
    return {"signed out": Client(), "patient": patient_client, "staff": superuser_client}


def _is_a_page_saying_what_to_do(response: object) -> bool:
    content = response.content.decode()  # type: ignore[attr-defined]
    return (
        response["Content-Type"].startswith("text/html")  # type: ignore[index]
        and "<h1>This page cannot be opened</h1>" in content
        and "<a href=" in content
    )


def _post_only_paths(people: dict[str, Client]) -> dict[str, set[str]]:
    """Each address that takes only a post, found by asking: it answers a GET with 405, or
    sends it to its form's page (``require_post_from``); with who found it so."""
    found: dict[str, set[str]] = {}
    for path in product_paths():
        if form_page_of(resolve(path).func):
            found.setdefault(path, set())
        for who, client in people.items():
            if client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT).status_code == 405:
                found.setdefault(path, set()).add(who)
    return found


def test_every_address_that_takes_only_a_post_answers_a_persons_get_with_a_page(
    patient_client: Client, superuser_client: Client
) -> None:
    people = _people(patient_client, superuser_client)
    post_only = _post_only_paths(people)

    # What there is today, so that a broken search cannot pass by finding nothing.
    assert {
        "/auth/nhs-login/start/",
        "/auth/sign-out/confirm/",
        "/auth/session/stay-signed-in/",
        "/home/linkage-details/show-key/",
        "/home/linkage-details/create/confirm/",
        "/api/oauth2/token",
        "/api/v1/linkage",
        "/api/v1/linkage/retrieve",
        "/admin/logout/",
    } <= set(post_only)
    for path in post_only:
        for who, client in people.items():
            response = client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
            if response.status_code == 405:
                assert _is_a_page_saying_what_to_do(response), (path, who)
                assert response["Allow"].startswith("POST"), (path, who)
            else:
                assert response.status_code == 302, (path, who, response.status_code)
                # Wherever it leads, a page (staff are refused patients' pages with one).
                landed = client.get(response["Location"], HTTP_ACCEPT=BROWSER_ACCEPT)
                assert landed.status_code in (200, 302, 403), (path, who, response["Location"])
                assert landed.status_code == 302 or b"<title>" in landed.content, (path, who)


def test_a_patients_form_address_sends_a_get_to_the_page_its_form_is_on(
    patient_client: Client, superuser_client: Client
) -> None:
    """Patients never meet the "cannot be opened" page: only the admin and the API's addresses,
    which a patient has no reason to open, answer a browser's GET with it."""
    post_only = _post_only_paths(_people(patient_client, superuser_client))

    for path in post_only:
        if path.startswith(("/admin/", "/api/")):
            continue
        form_page = form_page_of(resolve(path).func)
        assert form_page, f"{path} takes only a post: give it require_post_from(its form's page)"
        response = patient_client.get(path, HTTP_ACCEPT=BROWSER_ACCEPT)
        assert response.status_code == 302
        assert response["Location"] == reverse(form_page)
        assert patient_client.get(response["Location"]).status_code in (200, 302)


@pytest.mark.parametrize(
    ("path", "form_page"),
    [
        pytest.param("/home/linkage-details/show-key/", "/home/linkage-details/", id="show-key"),
        pytest.param(
            "/home/linkage-details/create/confirm/", "/home/linkage-details/create/", id="create"
        ),
        pytest.param("/auth/session/stay-signed-in/", "/home/", id="stay-signed-in"),
        pytest.param("/auth/sign-out/confirm/", "/auth/sign-out/", id="sign-out"),
        pytest.param("/auth/nhs-login/start/", "/", id="nhs-login-button"),
    ],
)
def test_each_patient_form_address_goes_back_to_its_own_page(
    patient_client: Client, path: str, form_page: str
) -> None:
    response = patient_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == form_page
    # Still signed in: a GET of the sign-out address signs no one out.
    assert patient_client.get("/home/").status_code == 200


def test_a_form_address_refuses_other_methods_with_a_page(patient_client: Client) -> None:
    response = patient_client.put("/home/linkage-details/show-key/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert _is_a_page_saying_what_to_do(response)


def test_the_admins_sign_out_opened_in_a_browser_is_an_admin_page(
    superuser_client: Client,
) -> None:
    response = superuser_client.get("/admin/logout/", HTTP_ACCEPT=BROWSER_ACCEPT)

    assert response.status_code == 405
    assert _is_a_page_saying_what_to_do(response)
    assert 'href="/admin/"' in response.content.decode()
    assert superuser_client.get("/admin/").status_code == 200  # still signed in


@pytest.mark.parametrize("path", ["/api/oauth2/token", "/api/v1/linkage"])
def test_machines_still_get_the_bare_405_the_api_has_always_answered(
    client: Client, path: str
) -> None:
    """An API client asks for JSON, or for anything: not for a page."""
    for accept in ("application/json", "*/*"):
        response = client.get(path, HTTP_ACCEPT=accept)

        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert response.content == b""


def test_on_the_admins_own_host_its_sign_out_opened_in_a_browser_is_an_admin_page(
    superuser_client: Client, settings: SettingsWrapper
) -> None:
    """The admin's host serves none of the portal's pages (core/admin_host.py): the page is the
    admin's, with nothing that links to them."""
    settings.ADMIN_HOST = "admin.portal.test"
    settings.ALLOWED_HOSTS = ["admin.portal.test", "portal.test"]

    response = superuser_client.get(
        "/admin/logout/", headers={"host": "admin.portal.test", "accept": BROWSER_ACCEPT}
    )

    assert response.status_code == 405
    assert _is_a_page_saying_what_to_do(response)
