"""Every page needs a signed-in user unless its view is explicitly marked public."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

# The only views a signed-out visitor may reach, besides Django admin's own login page.
# Adding to this list is a decision: say why in the view's docstring.
PUBLIC_VIEWS = {
    "core:start",
    "core:health_live",
    "core:health_ready",
    # The footer's pages, which every NHS service shows to anyone (core/information_pages.py),
    # and how to contact a GP practice (the patient's own when signed in).
    "core:accessibility_statement",
    "core:privacy",
    "core:cookies",
    "core:terms",
    "accounts:contact",
    "accounts:nhs_login_start",
    # The automatic sign-in at the end of a session, reached just after being signed out.
    "accounts:nhs_login_sign_in_again",
    # The NHS App's jump-off: it signs the patient in.
    "accounts:nhs_app_jump_off",
    "accounts:nhs_login_callback",
    "accounts:signed_out",
    # The linkage API authenticates machine clients with bearer tokens of its own.
    "linkage:api_token",
    "linkage:api_linkage_retrieve",
    "linkage:api_linkage_create",
    "linkage:api_openapi",
    # The IM1 API authenticates partners with the linkage API's bearer tokens.
    "im1:api_pairings",
    "im1:api_patient",
    "im1:api_openapi",
    # The simulator stands in for NHS login, which is never behind the portal's sign-in.
    "nhs_login_simulator:discovery",
    "nhs_login_simulator:jwks",
    "nhs_login_simulator:authorize",
    "nhs_login_simulator:sign_in_test_user",
    "nhs_login_simulator:sign_in_password",
    "nhs_login_simulator:step_up_confirm",
    "nhs_login_simulator:token",
    "nhs_login_simulator:userinfo",
    "nhs_login_simulator:trustmark",
    "nhs_login_simulator:consent_share",
    "nhs_login_simulator:consent_decline",
    "nhs_login_simulator:consent_decline_confirm",
    "nhs_login_simulator:consent_review",
    "nhs_login_simulator:account_settings",
    "nhs_login_simulator:account_settings_sign_in",
    # Its Provision Account interface (bearer tokens of its own), its pages, the claim journey.
    "nhs_login_simulator:provision_account",
    "nhs_login_simulator:provisioning_settings",
    "nhs_login_simulator:provisioning_messages",
    "nhs_login_simulator:claim_start",
    "nhs_login_simulator:claim_passcode",
    "nhs_login_simulator:claim_password",
}


def _views(
    patterns: list[URLPattern | URLResolver], namespace: str = ""
) -> Iterator[tuple[str, Callable[..., Any]]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _views(pattern.url_patterns, inner)
        else:
            yield f"{namespace}{pattern.name}", pattern.callback


def test_only_the_listed_views_are_marked_public() -> None:
    public = {
        name
        for name, view in _views(get_resolver().url_patterns)
        if getattr(view, "login_required", True) is False and not name.startswith("admin:")
    }

    assert public == PUBLIC_VIEWS


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="core.tests.urls")
def test_a_view_not_marked_public_sends_signed_out_visitors_to_the_start_page(
    client: Client,
) -> None:
    response = client.get("/private/")

    assert response.status_code == 302
    assert response["Location"] == "/?next=/private/"


@pytest.mark.django_db
def test_admin_sends_signed_out_staff_to_the_admin_sign_in_page(client: Client) -> None:
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
