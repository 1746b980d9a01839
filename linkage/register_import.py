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
from dataclasses import dataclass
from datetime import date
from typing import TextIO

from django.db import transaction

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


def register_import(*, actor: Actor, practice: Practice, source: TextIO) -> RegisterImportResult:
    """Upsert the practice's register from CSV; raises RegisterImportError and writes nothing
    if any row is invalid."""
    outcome = "INVALID_REQUEST"
    try:
        rows = register_rows_parse(source)
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
                        registration_status=(
                            RegistrationStatus.REGISTERED
                            if row.status == "registered"
                            else RegistrationStatus.ENDED
                        ),
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
        outcome = SUCCESS
        return RegisterImportResult(created=len(rows) - len(existing), updated=len(existing))
    finally:
        audit_event_record(
            actor=actor, action=AuditAction.IMPORT, outcome=outcome, ods_code=practice.ods_code
        )


def register_import_text(*, actor: Actor, practice: Practice, text: str) -> RegisterImportResult:
    return register_import(actor=actor, practice=practice, source=io.StringIO(text, newline=""))
