"""A logging filter that removes secrets and patient identifiers from every log line.

Code should never log them, but a request log line carries the callback's ``code`` and
``state``, and a careless ``logger.info("%s", claims)`` would carry an NHS number. The filter
rewrites the formatted message before any handler sees it.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# The names of values that are secret wherever they appear, snake_case or camelCase:
# ``linkage_key``, ``linkageKey``, ``access_token``, ``accessToken``, ``code_verifier``,
# ``code_challenge``...
_REDACTED_NAMES = (
    r"code|state|nonce|access_?token|id_?token|refresh_?token|client_?assertion"
    r"|linkage_?key|password|code_?verifier|code_?challenge"
)
# What may stand between the groups of an NHS number: nothing, a space of any kind, a hyphen,
# a dot, a slash, an underscore, or a space or hyphen URL-encoded ("+", "%20", "%2D").
_NHS_NUMBER_GAP = r"(?:[\s.+/_\u00a0\u2009\u202f-]|%20|%2[dD])?"
# An NHS number starts where no letter or digit comes before it, or straight after a
# URL-encoded character ("nhs%3D9990000018"); hex strings such as UUIDs hold runs of ten
# digits between letters, so a digit run inside letters is not taken for one.
_NHS_NUMBER_START = r"(?:(?<![0-9A-Za-z])|(?<=%[0-9A-Fa-f]{2}))"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # OAuth and OIDC values in query strings and form bodies, PKCE's (RFC 7636) among them:
    # the verifier is the proof that goes with a code, and the challenge is redacted with it.
    (re.compile(rf"(?i)\b({_REDACTED_NAMES})=[^&\s\"']+"), rf"\1={REDACTED}"),
    # The same names as keys in JSON or in a Python dict's repr: {"linkageKey": "..."}.
    (
        re.compile(rf"""(?i)(["'])({_REDACTED_NAMES})\1(\s*:\s*)(["'])(?:(?!\4)[^\\]|\\.)*\4"""),
        rf"\1\2\1\3\4{REDACTED}\4",
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
    # NHS numbers: ten digits, grouped 3-3-4 or not, as written, spaced or URL-encoded.
    (
        re.compile(
            rf"{_NHS_NUMBER_START}\d{{3}}{_NHS_NUMBER_GAP}\d{{3}}{_NHS_NUMBER_GAP}\d{{4}}"
            r"(?![0-9A-Za-z])"
        ),
        REDACTED,
    ),
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
