"""Each process's copy of NHS login's discovery document and keys (accounts/nhs_login_client.py):
read from the shared cache at most once in ``NHS_LOGIN_METADATA_MEMORY_SECONDS``, and from NHS
login only when the shared cache has none."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.nhs_login_client import (
    ProviderUnavailableError,
    provider_jwks,
    provider_metadata,
    provider_metadata_forget,
    sign_in_form_origins,
)
from tests.support import discovery_elsewhere, json_answering_server


@dataclass
class Provider:
    issuer: str
    calls: list[str]
    # What the provider publishes now: its token endpoint's path and its keys.
    token_path: str = "/token"
    keys: tuple[str, ...] = ("key-1",)


@pytest.fixture
def provider(settings: SettingsWrapper) -> Iterator[Provider]:
    """A provider on a port of its own, counting the calls it answers."""
    published = Provider(issuer="", calls=[])

    def answer(path: str) -> dict[str, Any]:
        published.calls.append(path)
        issuer = published.issuer
        if path.endswith("/jwks"):
            return {"keys": [{"kty": "RSA", "kid": kid} for kid in published.keys]}
        return discovery_elsewhere(issuer, code_exchange_path=published.token_path)

    with json_answering_server(answer) as address:
        published.issuer = address
        settings.NHS_LOGIN_ISSUER = address
        settings.NHS_LOGIN_METADATA_MEMORY_SECONDS = 60.0
        yield published
        provider_metadata_forget()


def _discovery_key(provider: Provider) -> str:
    return f"nhs-login:discovery:{provider.issuer}"


def test_within_the_window_the_document_read_is_used_without_asking_the_cache(
    provider: Provider,
) -> None:
    first = provider_metadata()
    # Gone from the shared cache: only this process's copy can answer without NHS login.
    cache.delete(_discovery_key(provider))

    assert provider_metadata() == first
    assert provider.calls == ["/.well-known/openid-configuration"]


def test_after_the_window_the_shared_cache_is_read_again(
    provider: Provider, settings: SettingsWrapper
) -> None:
    """Another server fetched a newer document into the shared cache: this one takes it up
    once its copy is older than the window."""
    settings.NHS_LOGIN_METADATA_MEMORY_SECONDS = 1.0
    provider_metadata()
    newer = {**cache.get(_discovery_key(provider)), "token_endpoint": "https://elsewhere/token"}
    cache.set(_discovery_key(provider), newer, 3600)

    assert provider_metadata().token_endpoint == f"{provider.issuer}/token"
    time.sleep(1.2)
    assert provider_metadata().token_endpoint == "https://elsewhere/token"
    assert len(provider.calls) == 1


def test_a_window_of_nothing_reads_the_shared_cache_every_time(
    provider: Provider, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_METADATA_MEMORY_SECONDS = 0
    provider_metadata()
    cache.delete(_discovery_key(provider))

    provider_metadata()

    assert provider.calls == ["/.well-known/openid-configuration"] * 2


def test_forgetting_the_provider_forgets_this_process_s_copy_too(provider: Provider) -> None:
    provider_metadata()
    provider.token_path = "/token-2"

    provider_metadata_forget()

    assert provider_metadata().token_endpoint == f"{provider.issuer}/token-2"
    assert len(provider.calls) == 2


def test_a_refresh_of_the_keys_fetches_them_whatever_the_copy_holds(provider: Provider) -> None:
    """An ID token signed with a key newer than the copy (a rotation) is checked against keys
    fetched at once (accounts/id_token.py), not the copy."""
    assert [key["kid"] for key in provider_jwks()["keys"]] == ["key-1"]
    provider.keys = ("key-1", "key-2")

    assert [key["kid"] for key in provider_jwks()["keys"]] == ["key-1"]
    assert [key["kid"] for key in provider_jwks(refresh=True)["keys"]] == ["key-1", "key-2"]
    # The refreshed keys are the copy from then on.
    assert [key["kid"] for key in provider_jwks()["keys"]] == ["key-1", "key-2"]


def test_pages_name_the_sign_in_origin_from_the_copy(provider: Provider) -> None:
    provider_metadata()
    cache.delete(f"nhs-login:authorization-origin:{provider.issuer}")

    assert sign_in_form_origins() == [provider.issuer, "https://sign-in.provider.example"]


def test_each_issuer_has_a_copy_of_its_own(provider: Provider, settings: SettingsWrapper) -> None:
    """A change of issuer (a move from the sandpit to integration) never uses the old one's."""
    provider_metadata()
    settings.NHS_LOGIN_ISSUER = "http://127.0.0.1:9/unreachable"

    with pytest.raises(ProviderUnavailableError):
        provider_metadata()
