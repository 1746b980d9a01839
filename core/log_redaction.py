"""A logging filter that removes secrets and patient identifiers from every log line.

Code should never log them, but a request log line carries the callback's ``code`` and
``state``, and a careless ``logger.info("%s", claims)`` would carry an NHS number. The filter
rewrites the formatted message before any handler sees it.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # OAuth and OIDC values in query strings and form bodies, PKCE's (RFC 7636) among them:
    # the verifier is the proof that goes with a code, and the challenge is redacted with it.
    (
        re.compile(
            r"(?i)\b(code|code_verifier|code_challenge|state|nonce|access_token|id_token"
            r"|refresh_token|client_assertion|linkage_key|password)=[^&\s\"']+"
        ),
        rf"\1={REDACTED}",
    ),
    # "Authorization: Bearer ..." and similar.
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    # Any JWT or JWS (three base64url parts, the first a JSON header).
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # PEM blocks: private keys above all.
    (
        re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S),
        REDACTED,
    ),
    # NHS numbers, with or without spaces.
    (re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"), REDACTED),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactionFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output, traceback included, goes through ``redact``: for
    loggers outside Django's LOGGING, such as gunicorn's own (gunicorn.conf.py), whose error
    log writes a failed request's URI (the callback's code and state) and its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
