"""Give the app servers' PostgreSQL role what it needs, and audit events read and append only
(linkage/database_roles.py). Run it as the tables' owner after every ``migrate``."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from linkage.database_roles import app_role_grant, app_role_grant_statements

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = (
        "Grant the application role its privileges, audit events SELECT and INSERT only. "
        "Prints the SQL; --apply runs it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", required=True, help="the role the app servers connect as")
        parser.add_argument("--apply", action="store_true", help="run the statements")

    def handle(self, *args: Any, **options: Any) -> None:
        role: str = options["role"]
        if not ROLE_NAME.match(role):
            raise CommandError(
                f"{role!r} is not a role name this command takes: lower-case letters, digits "
                "and underscores, starting with a letter or underscore, at most 63 characters"
            )
        if connection.vendor != "postgresql":
            raise CommandError(
                f"Database roles are a PostgreSQL matter; this database is {connection.vendor}"
            )
        if not options["apply"]:
            for statement in app_role_grant_statements(role=role):
                self.stdout.write(f"{statement};")
            return
        app_role_grant(role=role)
        self.stdout.write(
            f"Granted {role} the application's privileges; audit events: SELECT and INSERT only"
        )
