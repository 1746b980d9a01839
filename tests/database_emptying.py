"""Emptying PostgreSQL after a transactional test with DELETE rather than TRUNCATE: a pytest
plugin (conftest.py's ``pytest_plugins``).

Each test that needs a live server, or real transactions, runs against the committed database,
and Django empties every table afterwards with one ``TRUNCATE`` of all of them (its flush
command, then the post_migrate signal that puts back content types and permissions). TRUNCATE
makes each table and index a new file, whether or not it held a row: on this suite's tables
that was about a fifth of a second per test, for some 450 tests. A test leaves a few rows in a
few tables, and ``DELETE`` of them takes milliseconds; the post_migrate signal is sent as
before, so the next test starts from the same database.

A table with a trigger of its own (the audit trail refuses every UPDATE and DELETE:
linkage/migrations/0004) is still truncated, as the flush command did. The foreign keys Django
makes are deferrable, so the rows go in any order and are checked together at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.operations import DatabaseOperations

_truncate_all = DatabaseOperations.sql_flush

# The tables of each test database that carry a trigger of their own, by database name.
_tables_with_triggers: dict[str, frozenset[str]] = {}


def _tables_that_refuse_delete(connection: BaseDatabaseWrapper) -> frozenset[str]:
    name = str(connection.settings_dict["NAME"])
    if name not in _tables_with_triggers:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)"
            )
            _tables_with_triggers[name] = frozenset(row[0] for row in cursor.fetchall())
    return _tables_with_triggers[name]


def _sql_flush_by_delete(
    self: DatabaseOperations,
    style: Any,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    if not tables or reset_sequences:
        return list(
            _truncate_all(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        )
    refusing = _tables_that_refuse_delete(self.connection)
    truncated = [table for table in tables if table in refusing]
    statements = ["SET CONSTRAINTS ALL DEFERRED;"]
    if truncated:
        # CASCADE: any table that refers to these is emptied too, as it would be below.
        statements += _truncate_all(self, style, truncated, allow_cascade=True)
    # The names are Django's own tables, quoted.
    deleted = [self.quote_name(table) for table in tables if table not in refusing]
    statements += [f"DELETE FROM {table};" for table in deleted]  # noqa: S608
    return statements


@pytest.fixture(scope="session", autouse=True)
def _transactional_tests_empty_the_database_by_delete() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _sql_flush_by_delete)
        yield
