"""The Content Security Policy's form-action follows NHS login as configured now
(accounts/content_security_policy.py): the issuer's origin, and the authorization endpoint's
when discovery puts it elsewhere, so the NHS login button's post can lead there.

In Chromium, with the simulator on a port of its own:
tests/browser/test_simulator_on_its_own_port.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.nhs_login_client import provider_metadata, provider_metadata_forget
from tests.settings_process import settings_read
from tests.support import discovery_elsewhere, json_answering_server

pytestmark = pytest.mark.django_db


def form_action(client: Client, path: str = "/") -> str:
    policy = client.get(path)["Content-Security-Policy"]
    found = re.search(r"form-action ([^;]*)", policy)
    assert found, policy
    return found.group(1).strip()


@pytest.fixture(autouse=True)
def _nothing_discovered_yet() -> Iterator[None]:
    provider_metadata_forget()
    yield
    provider_metadata_forget()


@pytest.mark.parametrize(
    ("issuer", "origin"),
    [
        pytest.param(
            "https://auth.sandpit.signin.nhs.uk",
            "https://auth.sandpit.signin.nhs.uk",
            id="nhs-login-sandpit",
        ),
        pytest.param(
            "http://127.0.0.1:8001/nhs-login-simulator",
            "http://127.0.0.1:8001",
            id="simulator-on-its-own-port",
        ),
        pytest.param("http://[::1]:8150/nhs-login-simulator", "http://[::1]:8150", id="ipv6"),
    ],
)
def test_form_action_names_the_origin_of_the_issuer_configured_now(
    client: Client, settings: SettingsWrapper, issuer: str, origin: str
) -> None:
    """An origin, not the issuer's URL: a source with a path would match that path only."""
    settings.NHS_LOGIN_ISSUER = issuer

    assert form_action(client) == f"'self' {origin}"


def test_without_an_issuer_forms_may_post_to_the_portal_only(
    client: Client, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_ISSUER = ""

    assert form_action(client) == "'self'"


@pytest.fixture
def provider_with_its_sign_in_page_elsewhere(settings: SettingsWrapper) -> Iterator[str]:
    """A provider whose discovery document puts its authorization endpoint on another origin
    (OpenID Connect Discovery 1.0, 3: any URL the provider likes)."""

    def discovery(path: str) -> dict[str, Any]:
        return discovery_elsewhere(settings.NHS_LOGIN_ISSUER)

    with json_answering_server(discovery) as address:
        settings.NHS_LOGIN_ISSUER = address
        yield address


def test_form_action_names_the_authorization_endpoint_discovery_put_elsewhere(
    client: Client, provider_with_its_sign_in_page_elsewhere: str
) -> None:
    issuer = provider_with_its_sign_in_page_elsewhere
    assert form_action(client) == f"'self' {issuer}"  # not read yet: pages never call NHS login

    provider_metadata()  # the first sign-in reads it

    assert form_action(client) == f"'self' {issuer} https://sign-in.provider.example"
    # Still named once the discovery document's hour is over and it is read again later.
    cache.delete(f"nhs-login:discovery:{issuer}")
    assert form_action(client) == f"'self' {issuer} https://sign-in.provider.example"


def test_answers_that_are_not_pages_never_look_nhs_login_up(
    client: Client, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Health checks and the API have no forms: their answers do not depend on the cache."""
    settings.NHS_LOGIN_ISSUER = "https://auth.sandpit.signin.nhs.uk"

    def unreachable() -> list[str]:
        raise AssertionError("looked up")

    monkeypatch.setattr(
        "accounts.content_security_policy.sign_in_form_origins", unreachable, raising=True
    )

    assert client.get("/health/live").status_code == 200
    assert form_action(client, "/health/live") == "'self'"


def test_a_cache_that_cannot_answer_leaves_the_issuers_origin(
    client: Client, settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.NHS_LOGIN_ISSUER = "https://auth.sandpit.signin.nhs.uk"

    def cache_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get", cache_down)

    assert form_action(client) == "'self' https://auth.sandpit.signin.nhs.uk"


PRINT_START_PAGE_POLICY = """
import json
import django
django.setup()
from django.test import Client
response = Client().get("/", headers={"host": "127.0.0.1"})
print(json.dumps({"status": response.status_code, "policy": response["Content-Security-Policy"]}))
"""


def test_local_settings_with_the_simulator_on_its_own_port_let_the_button_lead_there(
    tmp_path: Path,
) -> None:
    """.env.example's way to run the simulator apart: the issuer is known only once local
    settings take it from the simulator's, after the policy's settings have loaded."""
    loaded = settings_read(
        "local",
        {"NHS_LOGIN_SIMULATOR_ISSUER": "http://127.0.0.1:8001/nhs-login-simulator"},
        tmp_path,
        script=PRINT_START_PAGE_POLICY,
    )

    assert loaded["status"] == 200
    assert "form-action 'self' http://127.0.0.1:8001;" in loaded["policy"] + ";"
