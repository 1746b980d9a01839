"""Import a practice's register from CSV (linkage/register_import.py has the rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.nhs_identifiers import InvalidValueError, ods_code_normalise
from linkage.audit import Actor, ActorType
from linkage.models import Practice
from linkage.register_import import RegisterImportError, register_import


class Command(BaseCommand):
    help = "Import a practice register CSV; nothing is imported if any row is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ods-code", required=True)
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ods_code = ods_code_normalise(options["ods_code"])
        except InvalidValueError as error:
            raise CommandError(str(error)) from error
        practice = Practice.objects.filter(ods_code=ods_code).first()
        if practice is None:
            raise CommandError(f"No practice with ODS code {ods_code}")
        path: Path = options["file"]
        try:
            with path.open(newline="", encoding="utf-8-sig") as source:
                result = register_import(
                    actor=Actor(ActorType.SYSTEM, "manage.py register_import"),
                    practice=practice,
                    source=source,
                )
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{path} is not UTF-8 text") from error
        except RegisterImportError as error:
            for row_error in error.errors:
                self.stderr.write(str(row_error))
            if error.errors_not_shown:
                self.stderr.write(f"... and {error.errors_not_shown} more")
            raise CommandError(
                f"{error.error_count} error(s) in {path}: nothing imported"
            ) from error
        self.stdout.write(
            f"Imported {result.created + result.updated} patients into {practice}: "
            f"{result.created} new, {result.updated} updated"
        )
