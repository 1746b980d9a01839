"""The database backend's health check (core/postgresql/base.py): a connection the server
dropped is replaced before the request uses it, and a good one is reused without a round trip."""

from __future__ import annotations

import time
from typing import Any

import psycopg
import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _statements_sent_by_the_check(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    sent: list[Any] = []
    raw = connection.connection
    original = raw.cursor

    def counting(*args: Any, **kwargs: Any) -> Any:
        sent.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(raw, "cursor", counting)
    return sent


def test_a_good_connection_is_reused_without_asking_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connection.ensure_connection()
    sent = _statements_sent_by_the_check(monkeypatch)

    assert connection.is_usable()
    assert sent == []


def test_a_connection_the_server_dropped_is_replaced_before_the_next_query() -> None:
    connection.ensure_connection()
    dropped = connection.connection.info.backend_pid
    settings = connection.get_connection_params()
    with psycopg.connect(**settings, autocommit=True) as administrator:
        administrator.execute("SELECT pg_terminate_backend(%s)", [dropped])
    deadline = time.monotonic() + 5
    while connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)  # the server's closing message on its way

    assert not connection.is_usable()
    # What Django does before a request's first query with CONN_HEALTH_CHECKS on.
    connection.health_check_done = False  # type: ignore[attr-defined]
    connection.close_if_health_check_failed()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (replacement,) = cursor.fetchone()
    assert replacement != dropped
