"""Secrets and patient identifiers never reach a log line, even when code logs them."""

from __future__ import annotations

import logging

import pytest

from core.log_redaction import REDACTED, RedactionFilter, redact
from core.rsa_keys import private_key_generate, private_key_pem

JWT = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        pytest.param("abc123", "GET /auth/nhs-login/callback/?code=abc123&state=x", id="code"),
        pytest.param("s7a7e", "GET /callback/?state=s7a7e", id="state"),
        pytest.param("n0nce", "authorize?nonce=n0nce&x=1", id="nonce"),
        pytest.param(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "grant_type=authorization_code&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            id="pkce-code-verifier",
        ),
        pytest.param(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "authorize?code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&x=1",
            id="pkce-code-challenge",
        ),
        pytest.param("r3fresh", "refresh_token=r3fresh", id="refresh-token-form"),
        pytest.param(JWT, f"id token was {JWT}", id="jwt"),
        pytest.param("tok3n.value", "Authorization: Bearer tok3n.value", id="bearer"),
        pytest.param("9990000018", "claims: {'nhs_number': '9990000018'}", id="nhs-number"),
        pytest.param("999 000 0018", "NHS number 999 000 0018", id="nhs-number-spaced"),
        pytest.param("Xw7kQ2mR9tLpZ", "linkage_key=Xw7kQ2mR9tLpZ", id="linkage-key"),
        pytest.param("Xw7kQ2mR9tLpZ", "linkageKey=Xw7kQ2mR9tLpZ", id="linkage-key-camel"),
        pytest.param(
            "Xw7kQ2mR9tLpZ",
            '{"accountId": "acc", "linkageKey": "Xw7kQ2mR9tLpZ", "odsCode": "A12345"}',
            id="linkage-key-json",
        ),
        pytest.param(
            "Xw7kQ2mR9tLpZ", "{'linkage_key': 'Xw7kQ2mR9tLpZ'}", id="linkage-key-python-repr"
        ),
        pytest.param('Xw7k\\"Q2mR', '{"linkageKey": "Xw7k\\"Q2mR"}', id="json-escaped-quote"),
        pytest.param(
            "opaqueT0ken", '{"access_token": "opaqueT0ken", "expires_in": 300}', id="token-json"
        ),
        pytest.param("opaqueT0ken", '{"accessToken":"opaqueT0ken"}', id="token-json-camel"),
        pytest.param("v3rifier", "code_verifier=v3rifier&grant_type=x", id="code-verifier"),
        pytest.param("v3rifier", '{"code_verifier": "v3rifier"}', id="code-verifier-json"),
        pytest.param("999-000-0018", "nhs 999-000-0018", id="nhs-number-hyphens"),
        pytest.param("999%20000%200018", "/search?q=999%20000%200018", id="nhs-number-url-encoded"),
        pytest.param("999+000+0018", "/search?q=999+000+0018", id="nhs-number-form-encoded"),
        pytest.param("9990000018", "next=%2Fhome%3Fnhs%3D9990000018", id="nhs-number-after-escape"),
        pytest.param("999.000.0018", "NHS number 999.000.0018", id="nhs-number-dots"),
        pytest.param(
            "999\u00a0000\u00a00018", "NHS number 999\u00a0000\u00a00018", id="nhs-number-nbsp"
        ),
        pytest.param("9990000018", "patient_9990000018_record", id="nhs-number-in-an-identifier"),
        pytest.param(
            "9990000018", "https://fhir.nhs.uk/Id/nhs-number|9990000018", id="nhs-number-fhir"
        ),
    ],
)
def test_redacts(secret: str, message: str) -> None:
    redacted = redact(message)

    assert secret not in redacted
    assert REDACTED in redacted


def test_redacts_a_private_key() -> None:
    pem = private_key_pem(private_key_generate()).decode()

    redacted = redact(f"loaded key {pem.strip()} from disk")

    assert "PRIVATE KEY" not in redacted
    assert redacted == f"loaded key {REDACTED} from disk"


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("NHS login refused the token request: invalid_grant (HTTP 400)", id="prose"),
        pytest.param('{"errorCode": "PATIENT_NOT_FOUND", "odsCode": "A12345"}', id="api-error"),
        pytest.param("request 4f1e2d3c-1234-4567-89ab-a1234567890b", id="uuid-with-ten-digits"),
        pytest.param("took 12345678901 ns", id="eleven-digits"),
        pytest.param("ods_code=A12345 error_code=RATE_LIMITED", id="names-ending-in-code"),
    ],
)
def test_leaves_ordinary_messages_alone(message: str) -> None:
    assert redact(message) == message


def test_filter_rewrites_a_record_built_from_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactionFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("token response %s for %s", {"id_token": JWT}, "9990000018")
    finally:
        logger.filters.clear()

    assert (
        caplog.records[0].getMessage()
        == f"token response {{'id_token': '{REDACTED}'}} for {REDACTED}"
    )


def test_the_console_handler_is_configured_with_the_filter() -> None:
    from django.conf import settings

    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
