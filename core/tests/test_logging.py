"""Log lines: JSON with the request id, and nothing secret in them even when code logs it."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

from core.log_format import JsonFormatter
from core.log_redaction import RedactionFilter
from core.request_id import RequestIdFilter, current_request_id
from core.rsa_keys import private_key_generate, private_key_pem

JWT = "eyJhbGciOiJSUzUxMiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def _format(record: logging.LogRecord) -> dict[str, object]:
    for log_filter in (RequestIdFilter(), RedactionFilter()):
        log_filter.filter(record)
    line: dict[str, object] = json.loads(JsonFormatter().format(record))
    return line


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("accounts.views", logging.WARNING, __file__, 1, message, args, None)


def test_a_careless_log_call_loses_every_secret_and_keeps_the_request_id() -> None:
    pem = private_key_pem(private_key_generate()).decode()
    token = current_request_id.set("req-42")
    try:
        line = _format(
            _record(
                "callback ?code=%s&state=s1 id_token=%s key=%s nhs=%s linkage_key=%s",
                "c0de",
                JWT,
                pem,
                "999 000 0018",
                "Xw7kQ2mR9tLpZ",
            )
        )
    finally:
        current_request_id.reset(token)

    message = str(line["message"])
    for secret in ("c0de", "s1", JWT, "PRIVATE KEY", "999 000 0018", "Xw7kQ2mR9tLpZ"):
        assert secret not in message
    assert line["request_id"] == "req-42"
    assert line["level"] == "WARNING"
    assert line["logger"] == "accounts.views"


def test_tracebacks_are_redacted_too() -> None:
    try:
        raise ValueError(f"bad token {JWT} for 9990000018")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "linkage", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )

    line = _format(record)

    assert JWT not in str(line["exception"])
    assert "9990000018" not in str(line["exception"])
    assert "ValueError" in str(line["exception"])


def test_outside_a_request_the_request_id_is_a_dash() -> None:
    assert _format(_record("started"))["request_id"] == "-"


@pytest.mark.django_db
def test_responses_carry_the_request_id_given_or_a_new_one(client: Client) -> None:
    given = client.get("/health/live", headers={"X-Request-ID": "support-123"})
    made = client.get("/health/live")
    refused = client.get("/health/live", headers={"X-Request-ID": "bad id with spaces"})

    assert given["X-Request-ID"] == "support-123"
    assert len(made["X-Request-ID"]) == 36
    assert refused["X-Request-ID"] != "bad id with spaces"


def test_production_logs_are_json_with_request_id_and_redaction() -> None:
    from django.conf import settings

    console = settings.LOGGING["handlers"]["console"]
    assert console["filters"] == ["request_id", "redact"]
    assert settings.LOGGING["formatters"]["json"]["()"] == "core.log_format.JsonFormatter"
