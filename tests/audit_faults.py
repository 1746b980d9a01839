"""The database refusing to record an audit event at the moment a write needs it: how tests
prove that nothing is written without its audit event (``audited`` in linkage/audit.py, and
the staff writes that record their own events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import OperationalError, connection


@contextmanager
def audit_writes_fail() -> Iterator[list[str]]:
    """The database refuses the audit INSERT, as it would if it went away at that moment: the
    boundary fails, the project's code runs unchanged."""
    refused: list[str] = []

    def refuse_audit_insert(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith('INSERT INTO "linkage_auditevent"'):
            refused.append(sql)
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_audit_insert):
        yield refused
