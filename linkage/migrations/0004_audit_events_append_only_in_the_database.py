"""Audit events are append-only in the database itself, not only in the ORM (docs/adr/0007).

``AuditEvent`` refuses ``save()`` on an existing row, ``delete()`` and queryset updates, but
raw SQL went round all three. On PostgreSQL a trigger now refuses every UPDATE and DELETE of
the table, whoever sends it. TRUNCATE is left to privileges (``manage.py database_app_role_grant``:
the application's role may only SELECT and INSERT audit events), because Django's test runner
empties tables with TRUNCATE. SQLite, for a laptop only, keeps the ORM's guard.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION linkage_auditevent_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER linkage_auditevent_append_only
    BEFORE UPDATE OR DELETE ON linkage_auditevent
    FOR EACH ROW EXECUTE FUNCTION linkage_auditevent_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS linkage_auditevent_append_only ON linkage_auditevent;
DROP FUNCTION IF EXISTS linkage_auditevent_append_only();
"""


def _on_postgresql(sql: str):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0003_api_client_practices"),
    ]

    operations = [
        migrations.RunPython(_on_postgresql(FORWARD), _on_postgresql(BACKWARD)),
    ]
