"""The start page and the error pages, rendered in the NHS.UK design system."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_start_page_shows_the_nhs_login_button_in_a_form_that_posts(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    form = re.search(r'<form action="([^"]+)" method="post"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    assert form.group(1) == reverse("accounts:nhs_login_start")
    assert 'name="csrfmiddlewaretoken"' in form.group(2)
    assert '<button class="nhslogin-button" type="submit">Continue to NHS login</button>' in (
        form.group(2)
    )


def test_start_page_has_the_nhs_header_skip_link_and_footer(client: Client) -> None:
    html = client.get("/").content.decode()

    assert re.search(r'<header\s+class="nhsuk-header"', html)
    assert re.search(r'class="nhsuk-header__service-name"[^>]*>\s*Citizen portal', html)
    assert re.search(r'class="nhsuk-skip-link"[^>]*href="#maincontent"', html)
    assert 'id="maincontent"' in html
    assert 'class="nhsuk-footer"' in html
    assert "<title>Get your GP online services details – Citizen portal – NHS</title>" in html


def test_start_page_loads_the_design_system_assets(client: Client) -> None:
    html = client.get("/").content.decode()

    for asset in (
        "vendor/nhsuk-frontend/nhsuk-frontend.min.css",
        "css/portal.css",
        "js/portal.mjs",
    ):
        assert f'"/static/{asset}"' in html
        assert client.get(f"/static/{asset}").status_code == 200


def test_start_page_only_answers_get(client: Client) -> None:
    assert client.post("/").status_code == 405


def test_unknown_address_shows_the_page_not_found_page(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.content.decode()
    assert re.search(r'<header\s+class="nhsuk-header"', response.content.decode())


@override_settings(ALLOWED_HOSTS=["portal.example.org"])
def test_request_for_an_unknown_host_shows_the_bad_request_page(client: Client) -> None:
    response = client.get("/", headers={"host": "attacker.example"})

    assert response.status_code == 400
    assert "Sorry, there is a problem with your request" in response.content.decode()


def test_form_without_csrf_token_shows_the_form_could_not_be_sent_page() -> None:
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("accounts:nhs_login_start"))

    assert response.status_code == 403
    assert "Sorry, we could not send your form" in response.content.decode()


@override_settings(ROOT_URLCONF="core.tests.urls")
def test_permission_denied_shows_the_cannot_see_this_page_page(client: Client) -> None:
    response = client.get("/forbidden/")

    assert response.status_code == 403
    assert "<h1>You cannot see this page</h1>" in response.content.decode()


@override_settings(ROOT_URLCONF="core.tests.urls")
def test_unhandled_error_shows_the_problem_with_the_service_page() -> None:
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Sorry, there is a problem with the service</h1>" in html
    assert "Traceback" not in html
    assert "a bug" not in html


def test_a_signed_out_404_offers_the_start_page(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert '<a href="/">Go to the start page</a>' in response.content.decode()


def test_a_signed_out_visitor_goes_back_from_a_footer_page_to_the_start_page(
    client: Client,
) -> None:
    html = client.get("/cookies/").content.decode()

    assert re.findall(r'<a\s+class="nhsuk-back-link"\s+href="([^"]+)"\s*>\s*Back\s*</a>', html) == [
        "/"
    ]


def test_the_start_page_has_no_back_link(client: Client) -> None:
    """The top of the service: nothing to go back to."""
    assert "nhsuk-back-link" not in client.get("/").content.decode()
