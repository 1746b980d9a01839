"""Loading a practice's register from CSV: all rows or none.

Header: ``nhs_number,surname,given_name,date_of_birth,registration_status`` with
``registration_status`` one of ``registered``, ``ended`` or ``deceased``. Every row is checked
first and every error counted, the first ``ERRORS_REPORTED`` reported with their line numbers
(a file of garbage must not make a page or a log of the same size); only a file with no errors
is written, in one transaction, as a bulk upsert keyed on (practice, NHS number).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from django.db import connection, transaction

from core.nhs_identifiers import InvalidValueError, nhs_number_normalise
from linkage.audit import SUCCESS, Actor, AuditAction, audit_event_record
from linkage.models import Practice, RegisteredPatient, RegistrationStatus
from linkage.validation import date_of_birth_parse

BATCH_SIZE = 2000
NAME_MAX_LENGTH = 255  # RegisteredPatient.surname and given_name
ERRORS_REPORTED = 100
# registration_status: what each value means, as the import page explains it.
STATUS_MEANINGS = {
    "registered": "registered at the practice",
    "ended": "registration ended (moved to another practice, say)",
    "deceased": "the patient has died",
}
STATUSES = tuple(STATUS_MEANINGS)


@dataclass(frozen=True)
class RegisterColumn:
    """A column of the register CSV, and what it takes, in the words the import page shows
    practice staff before they upload (the rules themselves are in ``_parse_row``):
    ``values``, when the column takes only some words, each with what it means."""

    name: str
    required: bool
    takes: str
    example: str
    values: tuple[tuple[str, str], ...] = ()


COLUMNS = (
    RegisterColumn(
        "nhs_number",
        True,
        "10 digits with a valid check digit; spaces or hyphens between them are fine",
        "999 000 0018",
    ),
    RegisterColumn(
        "surname", True, f"the family name, up to {NAME_MAX_LENGTH} characters", "Thompson"
    ),
    RegisterColumn(
        "given_name", False, f"the first name, up to {NAME_MAX_LENGTH} characters, or empty", "Ava"
    ),
    RegisterColumn(
        "date_of_birth",
        True,
        "a date written year-month-day (YYYY-MM-DD), not in the future",
        "1985-03-05",
    ),
    RegisterColumn(
        "registration_status",
        True,
        "one of these words, in lower case",
        "registered",
        values=tuple(STATUS_MEANINGS.items()),
    ),
)
HEADER = [column.name for column in COLUMNS]


def register_template_csv() -> str:
    """The file staff download to fill in: the header row alone. No example row, which an
    upload of the template as it is would add to the register as a patient."""
    return ",".join(HEADER) + "\r\n"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class RegisterImportError(Exception):
    """``errors`` holds the first ``ERRORS_REPORTED`` problems, ``error_count`` all of them."""

    def __init__(self, errors: list[RowError], error_count: int | None = None) -> None:
        self.errors = errors[:ERRORS_REPORTED]
        self.error_count = len(errors) if error_count is None else error_count
        super().__init__(f"{self.error_count} error(s); nothing imported")

    @property
    def errors_not_shown(self) -> int:
        return self.error_count - len(self.errors)


@dataclass(frozen=True)
class RegisterImportResult:
    created: int
    updated: int


@dataclass(frozen=True)
class _Row:
    nhs_number: str
    surname: str
    given_name: str
    date_of_birth: date
    status: str


def _parse_row(line: int, row: dict[str, str | None]) -> _Row | RowError:
    values = {name: (row.get(name) or "").strip() for name in HEADER}
    if None in row or any(value is None for value in row.values()):
        return RowError(line, f"expected {len(HEADER)} columns")
    try:
        nhs_number = nhs_number_normalise(values["nhs_number"])
    except InvalidValueError as error:
        return RowError(line, f"nhs_number: {error}")
    if not values["surname"]:
        return RowError(line, "surname is empty")
    for name in ("surname", "given_name"):
        if len(values[name]) > NAME_MAX_LENGTH:
            return RowError(line, f"{name} is longer than {NAME_MAX_LENGTH} characters")
    try:
        born = date_of_birth_parse(values["date_of_birth"])
    except InvalidValueError as error:
        return RowError(line, f"date_of_birth: {error}")
    if values["registration_status"] not in STATUSES:
        return RowError(line, f"registration_status must be one of {', '.join(STATUSES)}")
    return _Row(
        nhs_number, values["surname"], values["given_name"], born, values["registration_status"]
    )


def register_rows_parse(source: TextIO) -> list[_Row]:
    reader = csv.DictReader(source)
    if reader.fieldnames is None or [name.strip() for name in reader.fieldnames] != HEADER:
        raise RegisterImportError([RowError(1, f"the header must be {','.join(HEADER)}")])
    rows: list[_Row] = []
    errors: list[RowError] = []
    error_count = 0
    seen: dict[str, int] = {}
    for row in reader:
        parsed = _parse_row(reader.line_num, row)
        if isinstance(parsed, _Row) and parsed.nhs_number in seen:
            parsed = RowError(reader.line_num, f"NHS number repeats line {seen[parsed.nhs_number]}")
        if isinstance(parsed, RowError):
            error_count += 1
            if len(errors) < ERRORS_REPORTED:
                errors.append(parsed)
        else:
            seen[parsed.nhs_number] = reader.line_num
            rows.append(parsed)
    if error_count:
        raise RegisterImportError(errors, error_count)
    if not rows:
        raise RegisterImportError([RowError(2, "the file has no rows")])
    return rows


def _parsed_rows(source: TextIO) -> Iterator[tuple[int, _Row | RowError]]:
    """Each row checked as it is read, with its line number: one row in memory at a time."""
    reader = csv.DictReader(source)
    if reader.fieldnames is None or [name.strip() for name in reader.fieldnames] != HEADER:
        raise RegisterImportError([RowError(1, f"the header must be {','.join(HEADER)}")])
    for row in reader:
        yield reader.line_num, _parse_row(reader.line_num, row)


# The rows as read, in a table of this transaction's own, then checked for repeats and upserted
# in one statement each: a million-row register in well under a minute, its memory flat
# (docs/adr/0008). Nothing reaches the register unless every row is good.
_STAGING_COLUMNS = (
    "line integer, nhs_number varchar(10), surname varchar(255), given_name varchar(255), "
    "date_of_birth date, registration_status varchar(20), deceased boolean"
)
_REPEATS = """
SELECT line, first_line FROM (
  SELECT line, min(line) OVER (PARTITION BY nhs_number) AS first_line FROM {table}
) numbered WHERE line > first_line ORDER BY line LIMIT %s
"""
_REPEAT_COUNT = "SELECT count(*) - count(DISTINCT nhs_number) FROM {table}"
_UPSERT = """
WITH written AS (
  INSERT INTO linkage_registeredpatient AS patient
         (practice_id, nhs_number, surname, given_name, date_of_birth, registration_status,
          deceased, updated_at)
  SELECT %s, nhs_number, surname, given_name, date_of_birth, registration_status, deceased,
         now()
    FROM {table}
  ON CONFLICT (practice_id, nhs_number) DO UPDATE
     SET surname = EXCLUDED.surname, given_name = EXCLUDED.given_name,
         date_of_birth = EXCLUDED.date_of_birth,
         registration_status = EXCLUDED.registration_status,
         deceased = EXCLUDED.deceased, updated_at = EXCLUDED.updated_at
  RETURNING (xmax = 0) AS created
)
SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM written
"""


def register_import_streamed(*, practice: Practice, source: TextIO) -> RegisterImportResult:
    """The import on PostgreSQL: each good row copied (COPY) into a temporary table as it is
    read, the errors counted and the first ``ERRORS_REPORTED`` kept, repeats of an NHS number
    found by the database; then one upsert, in the same transaction, or a rollback."""
    table = f"register_import_{secrets.token_hex(6)}"
    errors: list[RowError] = []
    error_count = copied = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {table} ({_STAGING_COLUMNS}) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for line, parsed in _parsed_rows(source):
                if isinstance(parsed, RowError):
                    error_count += 1
                    if len(errors) < ERRORS_REPORTED:
                        errors.append(parsed)
                    continue
                copy.write_row(
                    (line, parsed.nhs_number, parsed.surname, parsed.given_name,
                     parsed.date_of_birth, _status(parsed), parsed.status == "deceased")
                )  # fmt: skip
                copied += 1
        cursor.execute(_REPEATS.format(table=table), [ERRORS_REPORTED])
        repeats = [RowError(line, f"NHS number repeats line {first}") for line, first in cursor]
        cursor.execute(_REPEAT_COUNT.format(table=table))
        error_count += cursor.fetchone()[0]
        if error_count:
            errors = sorted([*errors, *repeats], key=lambda error: error.line)
            raise RegisterImportError(errors, error_count)
        if not copied:
            raise RegisterImportError([RowError(2, "the file has no rows")])
        cursor.execute(_UPSERT.format(table=table), [practice.pk])
        created, updated = cursor.fetchone()
    return RegisterImportResult(created=created, updated=updated)


def register_import(*, actor: Actor, practice: Practice, source: TextIO) -> RegisterImportResult:
    """Upsert the practice's register from CSV; raises RegisterImportError and writes nothing
    if any row is invalid."""
    outcome = "INVALID_REQUEST"
    try:
        if connection.vendor == "postgresql":
            result = register_import_streamed(practice=practice, source=source)
        else:
            result = _register_import_in_memory(practice=practice, rows=register_rows_parse(source))
        outcome = SUCCESS
        return result
    finally:
        audit_event_record(
            actor=actor, action=AuditAction.IMPORT, outcome=outcome, ods_code=practice.ods_code
        )


def _register_import_in_memory(*, practice: Practice, rows: list[_Row]) -> RegisterImportResult:
    """The import on a database without COPY (SQLite, on a machine without PostgreSQL)."""
    existing = set(
        practice.patients.filter(nhs_number__in=[row.nhs_number for row in rows]).values_list(
            "nhs_number", flat=True
        )
    )
    with transaction.atomic():
        RegisteredPatient.objects.bulk_create(
            [
                RegisteredPatient(
                    practice=practice,
                    nhs_number=row.nhs_number,
                    surname=row.surname,
                    given_name=row.given_name,
                    date_of_birth=row.date_of_birth,
                    registration_status=_status(row),
                    deceased=row.status == "deceased",
                )
                for row in rows
            ],
            batch_size=BATCH_SIZE,
            update_conflicts=True,
            unique_fields=["practice", "nhs_number"],
            update_fields=[
                "surname",
                "given_name",
                "date_of_birth",
                "registration_status",
                "deceased",
                "updated_at",
            ],
        )
    return RegisterImportResult(created=len(rows) - len(existing), updated=len(existing))


def _status(row: _Row) -> str:
    return RegistrationStatus.REGISTERED if row.status == "registered" else RegistrationStatus.ENDED


def register_import_text(*, actor: Actor, practice: Practice, text: str) -> RegisterImportResult:
    return register_import(actor=actor, practice=practice, source=io.StringIO(text, newline=""))
