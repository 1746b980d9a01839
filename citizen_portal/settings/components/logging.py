"""Logging: one JSON object a line with the request id, and never a secret (docs/security.md)."""

from __future__ import annotations

from typing import Any

from citizen_portal.settings.components.portal import env

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# "json" (one object a line, with the request id) or "plain" for a terminal.
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.log_format.JsonFormatter"},
    },
    "filters": {
        "request_id": {"()": "core.request_id.RequestIdFilter"},
        # Tokens, codes, keys and NHS numbers never reach a log line (core/log_redaction.py).
        "redact": {"()": "core.log_redaction.RedactionFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # At DEBUG these log what must never be logged (docs/security.md): every SQL statement with
        # its parameters (NHS numbers), and each template variable that cannot be resolved
        # with the repr of the whole template context (a linkage key). Never below INFO.
        **{
            name: {"level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL}
            for name in ("django.db.backends", "django.template")
        },
    },
}
