"""The log check itself (tests/security/secrets_in_logs.py) can fail: it sees records at DEBUG
from the portal's loggers, and finds each kind of secret in them."""

from __future__ import annotations

import logging
from importlib import import_module
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

from core.rsa_keys import private_key_generate, private_key_pem
from tests.portal_browser import PortalBrowser
from tests.security import secrets_in_logs
from tests.security.secrets_in_logs import leaks_in, secret_register
from tests.support import NhsLoginLive

JWT = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(f"id token {JWT}", id="jwt"),
        pytest.param("Authorization: Bearer 7Yq2xkP0aZ", id="bearer"),
        pytest.param("GET /auth/nhs-login/callback/?code=abc123&state=s", id="code"),
        pytest.param("POST /token code_verifier=Zk3Jq9vW2mXr7LpT", id="pkce-code-verifier"),
        pytest.param("GET /authorize?code_challenge=Yw8Hn2kQ5sDf&x=1", id="pkce-code-challenge"),
        pytest.param("patient 9990000018", id="nhs-number"),
        pytest.param("patient 999 000 0018", id="nhs-number-spaced"),
        pytest.param("registered: Zq8nVt3cW2kJsBx", id="registered-linkage-key"),
    ],
)
def test_finds_each_kind_of_secret(line: str) -> None:
    secret_register("Zq8nVt3cW2kJsBx")

    assert leaks_in(line, logger="accounts.views", level="INFO", where="here")


def test_finds_a_private_key() -> None:
    pem = private_key_pem(private_key_generate()).decode()

    assert leaks_in(f"loaded {pem}", logger="core", level="DEBUG", where="here")


def test_passes_an_ordinary_line() -> None:
    line = "NHS login refused the token request: invalid_grant (HTTP 400)"

    assert leaks_in(line, logger="accounts", level="INFO", where="here") == []


@pytest.mark.parametrize("logger_name", ["accounts.views", "django.request", "linkage.api"])
def test_a_debug_record_from_the_portal_is_seen_and_a_leak_in_it_reported(
    request: pytest.FixtureRequest, logger_name: str
) -> None:
    handler = secrets_in_logs._HANDLER
    seen = handler.records_seen

    logging.getLogger(logger_name).debug("planted leak for %s", "9990000018")

    assert handler.records_seen == seen + 1
    planted = handler.leaks.pop(request.node.nodeid)  # or this test would fail at teardown
    assert [(leak.logger, leak.level) for leak in planted] == [(logger_name, "DEBUG")]
    assert "9990000018" not in str(planted[0])  # the report never repeats the secret


@pytest.mark.django_db(transaction=True)
def test_every_pkce_code_verifier_the_portal_makes_is_looked_for(
    nhs_login_live: NhsLoginLive,
) -> None:
    """A verifier is a random string with no shape of its own: the check knows each one
    because it is registered as mozilla-django-oidc keeps it in the session."""
    browser = PortalBrowser(nhs_login_live.base_url)
    location = browser.press_nhs_login_button().headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
    verifier = store(browser.session.cookies.get("sessionid"))["oidc_states"][state][
        "code_verifier"
    ]

    assert leaks_in(f"kept {verifier}", logger="accounts.views", level="DEBUG", where="here")
