"""Loading a practice's register from CSV: all rows or none (linkage/register_import.py), through
the service and through `manage.py register_import --ods-code A12345 FILE.csv`."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.tests.factories import synthetic_nhs_number
from linkage.audit import Actor, ActorType, AuditAction
from linkage.models import AuditEvent, Practice, RegisteredPatient, RegistrationStatus
from linkage.register_import import ERRORS_REPORTED, RegisterImportResult, register_import_text
from linkage.tests.factories import PracticeFactory, RegisteredPatientFactory

HEADER = "nhs_number,surname,given_name,date_of_birth,registration_status"
ODS_CODE = "A12345"
UTF8_BOM = b"\xef\xbb\xbf"
# Synthetic NHS numbers (999 range, valid check digits).
AVA = "9990000018"
CHLOE = "9990000034"
FINN = "9990000042"
# Stands for tomorrow's date in a row, filled in when the test runs.
TOMORROW = "{tomorrow}"


@dataclass(frozen=True)
class Refusal:
    """What the command said when it refused a file: its CommandError and its stderr."""

    message: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return self.stderr.splitlines()


def csv_file(tmp_path: Path, *lines: str, bom: bool = False, newline: str = "\n") -> Path:
    path = tmp_path / "register.csv"
    text = newline.join(lines) + newline
    path.write_bytes((UTF8_BOM if bom else b"") + text.encode())
    return path


def register_import_command(path: Path, ods_code: str = ODS_CODE) -> str:
    out = io.StringIO()
    call_command(
        "register_import", "--ods-code", ods_code, str(path), stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def register_import_refused(path: Path, ods_code: str = ODS_CODE) -> Refusal:
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command(
            "register_import", "--ods-code", ods_code, str(path), stdout=io.StringIO(), stderr=err
        )
    return Refusal(str(refused.value), err.getvalue())


def distinct_nhs_numbers(count: int, start: int = 1000) -> list[str]:
    """Synthetic NHS numbers; a sequence number with no valid check digit gives the next one's
    number, so repeats are skipped."""
    numbers: dict[str, None] = {}
    sequence = start
    while len(numbers) < count:
        numbers[synthetic_nhs_number(sequence)] = None
        sequence += 1
    return list(numbers)


@pytest.fixture
def register_practice(db: None) -> Practice:
    return PracticeFactory.create(ods_code=ODS_CODE, name="Demo Surgery")


def test_imports_new_patients_and_reports_how_many(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,registered",
    )

    output = register_import_command(path)

    assert "2 new, 0 updated" in output
    ava = RegisteredPatient.objects.get(practice=register_practice, nhs_number=AVA)
    assert (ava.surname, ava.given_name, ava.date_of_birth) == (
        "Thompson",
        "Ava",
        datetime.date(1985, 3, 5),
    )
    assert register_practice.patients.count() == 2


@pytest.mark.parametrize(
    ("status", "registration_status", "deceased"),
    [
        pytest.param("registered", RegistrationStatus.REGISTERED, False, id="registered"),
        pytest.param("ended", RegistrationStatus.ENDED, False, id="ended"),
        pytest.param("deceased", RegistrationStatus.ENDED, True, id="deceased"),
    ],
)
def test_imports_each_status_as_registration_status_and_deceased(
    register_practice: Practice,
    tmp_path: Path,
    status: str,
    registration_status: RegistrationStatus,
    deceased: bool,
) -> None:
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,{status}")

    register_import_command(path)

    patient = register_practice.patients.get(nhs_number=AVA)
    assert patient.registration_status == registration_status
    assert patient.deceased is deceased


@pytest.mark.parametrize(
    "written",
    [
        pytest.param("999 000 0018", id="spaces"),
        pytest.param("999-000-0018", id="hyphens"),
        pytest.param(" 9990000018 ", id="padded"),
    ],
)
def test_imports_an_nhs_number_written_with_separators_as_ten_digits(
    register_practice: Practice, tmp_path: Path, written: str
) -> None:
    path = csv_file(tmp_path, HEADER, f"{written},Thompson,Ava,1985-03-05,registered")

    register_import_command(path)

    assert list(register_practice.patients.values_list("nhs_number", flat=True)) == [AVA]


def test_imports_a_file_that_starts_with_a_utf8_byte_order_mark(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,registered", bom=True)

    output = register_import_command(path)

    assert "1 new, 0 updated" in output
    assert register_practice.patients.get().nhs_number == AVA


def test_imports_a_file_with_windows_line_endings(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,ended",
        newline="\r\n",
    )

    register_import_command(path)

    assert register_practice.patients.get(nhs_number=CHLOE).registration_status == "ended"
    assert register_practice.patients.count() == 2


def test_imports_a_lower_case_ods_code_as_its_practice(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,registered")

    register_import_command(path, ods_code="a12345")

    assert register_practice.patients.count() == 1


def test_import_updates_existing_patients_and_creates_new_ones(
    register_practice: Practice, tmp_path: Path
) -> None:
    RegisteredPatientFactory.create(
        practice=register_practice, nhs_number=AVA, surname="Thompson", given_name="Ava"
    )
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson-Reid,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,registered",
    )

    output = register_import_command(path)

    assert "1 new, 1 updated" in output
    assert register_practice.patients.count() == 2
    assert register_practice.patients.get(nhs_number=AVA).surname == "Thompson-Reid"
    assert register_practice.patients.get(nhs_number=CHLOE).surname == "Evans"


def test_import_reports_created_and_updated_counts(register_practice: Practice) -> None:
    RegisteredPatientFactory.create(practice=register_practice, nhs_number=AVA)
    RegisteredPatientFactory.create(practice=register_practice, nhs_number=CHLOE)

    result = register_import_text(
        actor=Actor(ActorType.SYSTEM, "test"),
        practice=register_practice,
        text="\n".join(
            [
                HEADER,
                f"{AVA},Thompson,Ava,1985-03-05,registered",
                f"{CHLOE},Evans,Chloe,2001-07-14,ended",
                f"{FINN},Murphy,Finn,2013-06-01,registered",
            ]
        ),
    )

    assert result == RegisterImportResult(created=1, updated=2)
    assert register_practice.patients.get(nhs_number=CHLOE).registration_status == "ended"


def test_import_updates_a_status_change_back_to_registered(
    register_practice: Practice, tmp_path: Path
) -> None:
    RegisteredPatientFactory.create(
        practice=register_practice,
        nhs_number=AVA,
        registration_status=RegistrationStatus.ENDED,
        deceased=True,
    )
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,registered")

    register_import_command(path)

    patient = register_practice.patients.get(nhs_number=AVA)
    assert (patient.registration_status, patient.deceased) == (RegistrationStatus.REGISTERED, False)


def test_import_leaves_the_same_nhs_number_at_another_practice_alone(
    register_practice: Practice, tmp_path: Path
) -> None:
    elsewhere = RegisteredPatientFactory.create(
        practice=PracticeFactory.create(ods_code="B23456"), nhs_number=AVA, surname="Thompson"
    )
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson-Reid,Ava,1985-03-05,ended")

    output = register_import_command(path)

    assert "1 new, 0 updated" in output
    elsewhere.refresh_from_db()
    assert (elsewhere.surname, elsewhere.registration_status) == ("Thompson", "registered")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("surname,nhs_number,given_name,date_of_birth,registration_status", id="order"),
        pytest.param("nhs_number,surname,given_name,date_of_birth", id="column-missing"),
        pytest.param(f"{HEADER},email", id="column-extra"),
        pytest.param(HEADER.upper(), id="upper-case"),
        pytest.param("nhs_number;surname;given_name;date_of_birth;registration_status", id="semi"),
        pytest.param(f"{CHLOE},Evans,Chloe,2001-07-14,registered", id="no-header"),
    ],
)
def test_rejects_a_header_that_is_not_exactly_the_register_header(
    register_practice: Practice, tmp_path: Path, header: str
) -> None:
    path = csv_file(tmp_path, header, f"{AVA},Thompson,Ava,1985-03-05,registered")

    refusal = register_import_refused(path)

    assert refusal.error_lines == [f"line 1: the header must be {HEADER}"]
    assert "nothing imported" in refusal.message
    assert not RegisteredPatient.objects.exists()


def test_every_repeat_and_every_bad_row_is_reported_in_line_order(
    register_practice: Practice, tmp_path: Path
) -> None:
    """Repeats are found by the database after the rows are copied (register_import_streamed),
    bad rows as they are read: one list, in the order of the file."""
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,registered",
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        "9990000019,Evans,Chloe,2001-07-14,registered",
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,registered",
    )

    refusal = register_import_refused(path)

    assert [line.split(":")[0] for line in refusal.error_lines] == [
        "line 4",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "repeats line 2" in refusal.error_lines[0]
    assert "nhs_number" in refusal.error_lines[1]
    assert "repeats line 2" in refusal.error_lines[2]
    assert "repeats line 3" in refusal.error_lines[3]
    assert "4 error(s)" in refusal.message
    assert not register_practice.patients.exists()


@pytest.mark.parametrize(
    ("bad_row", "rule"),
    [
        pytest.param(
            "9990000019,Evans,Chloe,2001-07-14,registered", "nhs_number", id="check-digit"
        ),
        pytest.param("999000003,Evans,Chloe,2001-07-14,registered", "nhs_number", id="nine-digits"),
        pytest.param(f"{CHLOE},,Chloe,2001-07-14,registered", "surname", id="surname-empty"),
        pytest.param(f"{CHLOE},  ,Chloe,2001-07-14,registered", "surname", id="surname-blank"),
        pytest.param(
            f"{CHLOE},Evans,Chloe,2023-02-30,registered", "date_of_birth", id="no-such-day"
        ),
        pytest.param(f"{CHLOE},Evans,Chloe,{TOMORROW},registered", "date_of_birth", id="future"),
        pytest.param(
            f"{CHLOE},Evans,Chloe,14/07/2001,registered", "date_of_birth", id="date-format"
        ),
        pytest.param(f"{CHLOE},Evans,Chloe,2001-07-14,removed", "registration_status", id="status"),
        pytest.param(f"{CHLOE},Evans,Chloe,2001-07-14", "5 columns", id="too-few-columns"),
        pytest.param(f"{CHLOE},Evans,Chloe,2001-07-14,ended,x", "5 columns", id="too-many-columns"),
        pytest.param(f"{AVA},Evans,Chloe,2001-07-14,registered", "repeats line 2", id="duplicate"),
    ],
)
def test_rejects_a_file_with_an_invalid_row_and_imports_nothing(
    register_practice: Practice, tmp_path: Path, bad_row: str, rule: str
) -> None:
    RegisteredPatientFactory.create(practice=register_practice, nhs_number=AVA, surname="Thompson")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson-Reid,Ava,1985-03-05,registered",
        bad_row.replace(TOMORROW, tomorrow.isoformat()),
        f"{FINN},Murphy,Finn,2013-06-01,registered",
    )

    refusal = register_import_refused(path)

    assert len(refusal.error_lines) == 1
    assert refusal.error_lines[0].startswith("line 3: ")
    assert rule in refusal.error_lines[0]
    assert "1 error(s)" in refusal.message
    assert "nothing imported" in refusal.message
    assert register_practice.patients.count() == 1
    assert register_practice.patients.get(nhs_number=AVA).surname == "Thompson"


@pytest.mark.parametrize(
    ("row", "rule"),
    [
        pytest.param(f"{CHLOE},{'E' * 256},Chloe,2001-07-14,registered", "surname", id="surname"),
        pytest.param(f"{CHLOE},Evans,{'C' * 256},2001-07-14,registered", "given_name", id="given"),
    ],
)
def test_rejects_a_name_longer_than_the_register_holds(
    register_practice: Practice, tmp_path: Path, row: str, rule: str
) -> None:
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,registered", row)

    refusal = register_import_refused(path)

    assert len(refusal.error_lines) == 1
    assert refusal.error_lines[0].startswith("line 3: ")
    assert rule in refusal.error_lines[0]
    assert not RegisteredPatient.objects.exists()


def test_reports_every_invalid_row_on_stderr_with_its_line_number(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        "9990000019,Evans,Chloe,2001-07-14,registered",
        f"{FINN},Murphy,Finn,2013-06-01,registered",
        f"{CHLOE},,Chloe,2001-07-14,registered",
        f"{AVA},Thompson,Ava,1985-03-05,ended",
        f"{synthetic_nhs_number(7)},Lee,Grace,2023-02-30,deceased",
    )

    refusal = register_import_refused(path)

    assert [line.split(":")[0] for line in refusal.error_lines] == [
        "line 3",
        "line 5",
        "line 6",
        "line 7",
    ]
    assert "nhs_number" in refusal.error_lines[0]
    assert "surname" in refusal.error_lines[1]
    assert "repeats line 2" in refusal.error_lines[2]
    assert "date_of_birth" in refusal.error_lines[3]
    assert "4 error(s)" in refusal.message
    assert not RegisteredPatient.objects.exists()


def test_error_output_never_contains_an_nhs_number_from_the_file(
    register_practice: Practice, tmp_path: Path
) -> None:
    nhs_numbers = distinct_nhs_numbers(4)
    path = csv_file(
        tmp_path,
        HEADER,
        f"{nhs_numbers[0]},Thompson,Ava,1985-03-05,registered",
        f"{nhs_numbers[0]},Thompson,Ava,1985-03-05,registered",
        "9990000019,Evans,Chloe,2001-07-14,registered",
        "999 000 0019,Evans,Chloe,2001-07-14,registered",
        f"{nhs_numbers[1]},,Finn,2013-06-01,registered",
        f"{nhs_numbers[2]},Lee,Grace,2023-02-30,deceased",
        f"{nhs_numbers[3]},Patel,Hari,1979-09-09,moved",
        f"{nhs_numbers[3]},Patel,Hari,1979-09-09",
    )

    refusal = register_import_refused(path)

    assert len(refusal.error_lines) == 7
    output = refusal.message + refusal.stderr
    for nhs_number in [*nhs_numbers, "9990000019", "999 000 0019"]:
        assert nhs_number not in output


@pytest.mark.parametrize(
    ("ods_code", "message"),
    [
        pytest.param("Z99999", "No practice with ODS code Z99999", id="unknown-practice"),
        pytest.param("A1234", "ODS code must be 6 letters or digits", id="five-characters"),
        pytest.param("A123456", "ODS code must be 6 letters or digits", id="seven-characters"),
        pytest.param("A1234!", "ODS code must be 6 letters or digits", id="punctuation"),
    ],
)
def test_rejects_an_ods_code_that_is_not_a_practice_here(
    register_practice: Practice, tmp_path: Path, ods_code: str, message: str
) -> None:
    path = csv_file(tmp_path, HEADER, f"{AVA},Thompson,Ava,1985-03-05,registered")

    refusal = register_import_refused(path, ods_code=ods_code)

    assert message in refusal.message
    assert not RegisteredPatient.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("content", "error_line"),
    [
        pytest.param(b"", f"line 1: the header must be {HEADER}", id="empty-file"),
        pytest.param(UTF8_BOM, f"line 1: the header must be {HEADER}", id="only-a-bom"),
        pytest.param(f"{HEADER}\n".encode(), "line 2: the file has no rows", id="header-only"),
    ],
)
def test_rejects_a_file_with_no_patients(
    register_practice: Practice, tmp_path: Path, content: bytes, error_line: str
) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(content)

    refusal = register_import_refused(path)

    assert refusal.error_lines == [error_line]
    assert "nothing imported" in refusal.message
    assert not RegisteredPatient.objects.exists()


def test_rejects_a_file_that_cannot_be_read(register_practice: Practice, tmp_path: Path) -> None:
    refusal = register_import_refused(tmp_path / "missing.csv")

    assert "Cannot read" in refusal.message
    assert not RegisteredPatient.objects.exists()


def test_rejects_a_file_that_is_not_utf8(register_practice: Practice, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_bytes(f"{HEADER}\n{AVA},Müller,Ava,1985-03-05,registered\n".encode("latin-1"))

    refusal = register_import_refused(path)

    assert "not UTF-8" in refusal.message
    assert not RegisteredPatient.objects.exists()


def test_records_one_audit_event_for_an_import(register_practice: Practice, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        HEADER,
        f"{AVA},Thompson,Ava,1985-03-05,registered",
        f"{CHLOE},Evans,Chloe,2001-07-14,registered",
    )

    register_import_command(path)

    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.ods_code) == (
        AuditAction.IMPORT,
        "SUCCESS",
        ODS_CODE,
    )
    assert event.actor_type == ActorType.SYSTEM
    assert event.nhs_number == ""


def test_records_one_audit_event_for_a_refused_import(
    register_practice: Practice, tmp_path: Path
) -> None:
    path = csv_file(
        tmp_path,
        HEADER,
        "9990000019,Evans,Chloe,2001-07-14,registered",
        f"{CHLOE},,Chloe,2001-07-14,registered",
    )

    register_import_refused(path)

    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.ods_code) == (
        AuditAction.IMPORT,
        "INVALID_REQUEST",
        ODS_CODE,
    )


def test_imports_twenty_thousand_rows_in_one_call(
    register_practice: Practice, tmp_path: Path
) -> None:
    nhs_numbers = distinct_nhs_numbers(20_000)
    path = csv_file(
        tmp_path,
        HEADER,
        *(
            f"{nhs_number},Surname{i},Given,1980-01-01,registered"
            for i, nhs_number in enumerate(nhs_numbers)
        ),
    )

    output = register_import_command(path)

    assert "20000 new, 0 updated" in output
    assert register_practice.patients.count() == 20_000
    assert set(register_practice.patients.values_list("nhs_number", flat=True)) == set(nhs_numbers)
    assert AuditEvent.objects.filter(action=AuditAction.IMPORT).count() == 1


def test_a_file_of_bad_rows_reports_the_first_problems_and_counts_them_all(
    register_practice: Practice, tmp_path: Path
) -> None:
    bad_rows = ERRORS_REPORTED + 250
    path = csv_file(
        tmp_path,
        HEADER,
        *(f"not-a-number-{index},Murphy,Finn,2001-06-01,registered" for index in range(bad_rows)),
    )

    refusal = register_import_refused(path)

    listed = [line for line in refusal.error_lines if line.startswith("line ")]
    assert len(listed) == ERRORS_REPORTED
    assert listed[-1].startswith(f"line {ERRORS_REPORTED + 1}:")
    assert refusal.error_lines[-1] == "... and 250 more"
    assert f"{bad_rows} error(s)" in refusal.message
    assert not RegisteredPatient.objects.exists()
