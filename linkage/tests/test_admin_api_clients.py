"""The API client form keeps the registration service's rules and says what the service says;
a client registered or changed in admin goes through the services and is audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from core.rsa_keys import private_key_generate, public_key_pem
from linkage.api_clients.registration import ApiClientRulesError, api_client_rules_check
from linkage.api_clients.state import (
    ApiClientState,
    PracticeBinding,
    api_client_state_get,
    api_client_state_set,
)
from linkage.models import ApiClient, AuditEvent, Practice

pytestmark = pytest.mark.django_db

ADD = "/admin/linkage/apiclient/add/"


@pytest.fixture(scope="module")
def pem() -> str:
    return public_key_pem(private_key_generate().public_key())


@pytest.fixture(scope="module")
def pem_1024() -> str:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (refused)
    return public_key_pem(weak.public_key())


def _form(pem: str, **fields: Any) -> dict[str, Any]:
    return {
        "name": "Practice app",
        "client_id": "practice-app",
        "public_key_pem": pem,
        "jwks_url": "",
        "scopes": ["linkage:read"],
        "all_practices": "on",
        "enabled": "on",
        **fields,
    }


def _service_says(form: dict[str, Any], practices: list[Practice]) -> str:
    """What api_client_rules_check answers for the same values."""
    with pytest.raises(ApiClientRulesError) as refused:
        api_client_rules_check(
            name=form["name"],
            public_key_pem=form["public_key_pem"],
            jwks_url=form["jwks_url"],
            scopes=form["scopes"],
            ods_codes=[practice.ods_code for practice in practices],
            all_practices=bool(form.get("all_practices")),
        )
    return str(refused.value)


def _errors_shown(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist[^"]*"[^>]*>\s*<li>([^<]*)</li>', html)


@pytest.mark.parametrize(
    ("fields", "message", "field"),
    [
        pytest.param(
            {"jwks_url": "https://example.org/jwks.json"},
            "Give either a public key or a JWKS URL",
            "public_key_pem",
            id="a-key-and-a-url",
        ),
        pytest.param(
            {"public_key_pem": ""},
            "Give either a public key or a JWKS URL",
            "public_key_pem",
            id="neither",
        ),
        pytest.param(
            {"public_key_pem": "", "jwks_url": "http://example.org/jwks.json"},
            "The JWKS URL must use https",
            "jwks_url",
            id="http-url",
        ),
        pytest.param(
            {"public_key_pem": "1024"},
            "an RSA key of at least 2048 bits is needed",
            "public_key_pem",
            id="rsa-1024",
        ),
        pytest.param(
            {"scopes": ["linkage:read", "linkage:delete"]},
            "Scopes must be some of linkage:read, linkage:create, im1:pair",
            "scopes",
            id="unknown-scope",
        ),
        pytest.param(
            {"scopes": []},
            "Scopes must be some of linkage:read, linkage:create, im1:pair",
            "scopes",
            id="no-scope",
        ),
        pytest.param(
            {"all_practices": ""},
            "Bind the client either to its practices or to all practices",
            "practices",
            id="no-binding",
        ),
    ],
)
def test_the_form_shows_the_service_s_message_for_each_rule(
    superuser_client: Client,
    pem: str,
    pem_1024: str,
    fields: dict[str, Any],
    message: str,
    field: str,
) -> None:
    form = _form(pem, **fields)
    if form["public_key_pem"] == "1024":
        form["public_key_pem"] = pem_1024

    response = superuser_client.post(ADD, form)

    html = response.content.decode()
    assert _errors_shown(html) == [message]
    assert _service_says(form, practices=[]) == message
    errors = response.context["adminform"].form.errors
    assert errors[field] == [message]
    assert not ApiClient.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_form_shows_every_rule_broken_at_once(superuser_client: Client) -> None:
    response = superuser_client.post(
        ADD,
        _form(
            "",
            jwks_url="http://example.org/jwks.json",
            scopes=["linkage:delete"],
            all_practices="",
        ),
    )

    errors = response.context["adminform"].form.errors
    assert set(errors) == {"jwks_url", "scopes", "practices"}
    assert not ApiClient.objects.exists()


def test_registering_a_client_in_admin_is_audited(superuser_client: Client, pem: str) -> None:
    response = superuser_client.post(ADD, _form(pem))

    client = ApiClient.objects.get()
    listed = superuser_client.get(response["Location"]).content.decode()
    assert f'href="/admin/linkage/apiclient/{client.pk}/change/"' in listed
    assert client.public_key_pem == pem
    event = AuditEvent.objects.get()
    assert (event.actor_type, event.actor, event.action, event.client_id, event.request_id) == (
        "staff",
        "operator",
        "api_client_register",
        "practice-app",
        response["X-Request-ID"],
    )


def test_a_client_registered_disabled_stays_disabled(superuser_client: Client, pem: str) -> None:
    superuser_client.post(ADD, _form(pem, enabled=""))

    assert ApiClient.objects.get().enabled is False


def test_changing_a_client_in_admin_is_audited_and_unchanged_saves_are_not(
    superuser_client: Client, pem: str, this_practice: Practice
) -> None:
    superuser_client.post(ADD, _form(pem))
    client = ApiClient.objects.get()
    url = f"/admin/linkage/apiclient/{client.pk}/change/"

    superuser_client.post(url, _form(pem))
    changed = superuser_client.post(
        url, _form(pem, all_practices="", practices=[this_practice.pk], scopes=["linkage:create"])
    )

    client.refresh_from_db()
    assert (client.all_practices, client.scopes) == (False, ["linkage:create"])
    assert list(client.practices.values_list("ods_code", flat=True)) == [this_practice.ods_code]
    rows = AuditEvent.objects.order_by("pk").values_list("action", "client_id", "request_id")
    assert list(rows)[1:] == [("api_client_change", "practice-app", changed["X-Request-ID"])]


def test_a_change_refused_by_the_rules_changes_nothing(superuser_client: Client, pem: str) -> None:
    superuser_client.post(ADD, _form(pem))
    client = ApiClient.objects.get()

    response = superuser_client.post(
        f"/admin/linkage/apiclient/{client.pk}/change/", _form(pem, scopes=["linkage:delete"])
    )

    assert response.context["adminform"].form.errors["scopes"] == [
        "Scopes must be some of linkage:read, linkage:create, im1:pair"
    ]
    client.refresh_from_db()
    assert client.scopes == ["linkage:read"]
    assert AuditEvent.objects.get().action == "api_client_register"


def test_a_client_given_a_new_id_loses_the_state_cached_under_the_old_one(
    superuser_client: Client, pem: str, django_capture_on_commit_callbacks: Any
) -> None:
    superuser_client.post(ADD, _form(pem))
    client = ApiClient.objects.get()
    api_client_state_set(
        "practice-app",
        ApiClientState(scopes=("linkage:read",), practices=PracticeBinding(all_practices=True)),
    )

    with django_capture_on_commit_callbacks(execute=True):
        superuser_client.post(
            f"/admin/linkage/apiclient/{client.pk}/change/", _form(pem, client_id="renamed-app")
        )

    assert ApiClient.objects.get().client_id == "renamed-app"
    assert api_client_state_get("practice-app") is None
