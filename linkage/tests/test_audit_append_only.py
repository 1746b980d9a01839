"""Audit events are append-only in the database, not only in the ORM: raw SQL cannot change or
delete them (linkage migration 0004), and the app servers' own role may only read and add them
(linkage/database_roles.py, ``manage.py database_app_role_grant``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from linkage.audit import SUCCESS, Actor, ActorType, AuditAction, audit_event_record
from linkage.models import AuditEvent, Practice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: triggers and roles"
    ),
]

TABLE = AuditEvent._meta.db_table
# The statements below are the test's own, with the table's name from the model: nothing in them
# comes from outside (ruff's S608).


def _event() -> AuditEvent:
    audit_event_record(
        actor=Actor(ActorType.SYSTEM, "test"),
        action=AuditAction.RETRIEVE,
        outcome=SUCCESS,
        ods_code="A12345",
    )
    newest = AuditEvent.objects.order_by("-pk").first()
    assert newest is not None
    return newest


def _refused(sql: str, params: list[int] | None = None) -> str:
    """Run one statement in a savepoint; what the database said when it refused it."""
    with (
        pytest.raises(DatabaseError) as refusal,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    return str(refusal.value)


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(f"UPDATE {TABLE} SET outcome = 'FORGED' WHERE id = %s", id="update"),  # noqa: S608
        pytest.param(f"DELETE FROM {TABLE} WHERE id = %s", id="delete"),  # noqa: S608
    ],
)
def test_raw_sql_cannot_change_or_delete_an_audit_event(sql: str) -> None:
    event = _event()

    message = _refused(sql, [event.pk])

    assert "audit events are append-only" in message
    assert AuditEvent.objects.get().outcome == SUCCESS


def test_new_audit_events_are_still_written() -> None:
    _event()
    _event()

    assert AuditEvent.objects.count() == 2


@pytest.fixture
def app_role() -> Iterator[str]:
    """A role of the kind the app servers connect as, made for the test and dropped after it."""
    role = f"cp_test_app_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute(f"DROP OWNED BY {role}")
        cursor.execute(f"DROP ROLE {role}")


def test_the_app_role_reads_and_adds_audit_events_but_cannot_truncate_change_or_delete(
    app_role: str,
) -> None:
    event = _event()
    call_command("database_app_role_grant", "--role", app_role, "--apply")

    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {app_role}")
    audit_event_record(
        actor=Actor(ActorType.SYSTEM, "as the app role"),
        action=AuditAction.RETRIEVE,
        outcome=SUCCESS,
        ods_code="A12345",
    )
    assert AuditEvent.objects.count() == 2
    refusals = [
        _refused(f"TRUNCATE {TABLE}"),
        _refused(f"UPDATE {TABLE} SET outcome = 'FORGED' WHERE id = %s", [event.pk]),  # noqa: S608
        _refused(f"DELETE FROM {TABLE} WHERE id = %s", [event.pk]),  # noqa: S608
        _refused(f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL"),
    ]
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")

    assert all("permission denied" in refusal or "must be owner" in refusal for refusal in refusals)
    assert AuditEvent.objects.count() == 2


def test_the_app_role_can_still_change_everything_else(
    app_role: str, this_practice: Practice
) -> None:
    practice = this_practice
    call_command("database_app_role_grant", "--role", app_role, "--apply")

    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {app_role}")
        cursor.execute("UPDATE linkage_practice SET name = 'Renamed' WHERE id = %s", [practice.pk])
        cursor.execute("RESET ROLE")

    practice.refresh_from_db()
    assert practice.name == "Renamed"


def test_without_apply_the_grant_is_printed_not_run(
    app_role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("database_app_role_grant", "--role", app_role)

    printed = capsys.readouterr().out
    assert f'REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON "{TABLE}"' in printed
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, 'INSERT')", [app_role, TABLE])
        assert cursor.fetchone() == (False,)


@pytest.mark.parametrize("role", ["Portal", "portal; DROP TABLE x", "", "1portal"])
def test_a_role_name_that_is_not_a_plain_identifier_is_refused(role: str) -> None:
    with pytest.raises(CommandError, match="not a role name"):
        call_command("database_app_role_grant", "--role", role, "--apply")
