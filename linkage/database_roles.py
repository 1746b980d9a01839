"""The application's own PostgreSQL role: everything it needs, and no way to rewrite the audit.

Run as the role that owns the tables (the one ``migrate`` uses), the portal could rewrite its
own history with raw SQL: an owner may update, delete, truncate or drop the trigger that
refuses the first two (linkage migration 0004). Production therefore runs the app servers as a
second role that owns nothing, and this grant gives it what it needs on every table and
sequence except that audit events can only be read and added (docs/operations.md, "Database
roles"). Run it after every ``migrate``: a table that a migration adds has no grant until then.
"""

from __future__ import annotations

from django.db import connection, transaction

from linkage.models import AuditEvent


def app_role_grant_statements(*, role: str) -> list[str]:
    """The statements, in order, for the role named (quoted as an identifier)."""
    quoted = connection.ops.quote_name(role)
    audit = connection.ops.quote_name(AuditEvent._meta.db_table)
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit} FROM {quoted}",
    ]


def app_role_grant(*, role: str) -> list[str]:
    """Apply the grants in one transaction; returns what was run."""
    statements = app_role_grant_statements(role=role)
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return statements
