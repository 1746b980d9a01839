"""`make bench BENCH_ARGS=--scale`: the register and the audit trail at national scale.

A million patients cannot share one practice's register with synthetic NHS numbers: the 999
range holds a million first-nine-digit sequences, of which about 909,000 have a valid check
digit. So the million is the benchmark's 20,000 at its own practice plus registers imported
with ``register_import`` (the command a practice uses) for two more practices: every valid
999 number at one, the rest of the million at another. Each import's time and its peak memory
(the process's maximum resident set) are recorded, beside the 20,000-row import's.

The audit trail's ten million rows are written by PostgreSQL itself (``INSERT ... SELECT`` over
``generate_series``), not through the API, as a trail years old would be: spread over five
years, across the three practices and actions. Then retrieve is measured again beside the
baseline, in the same run as the figures at 20,000 patients and an empty trail.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from core.nhs_identifiers import nhs_number_check_digit

SCALE_PRACTICES = ("B00002", "B00003")
PATIENTS = 1_000_000
AUDIT_ROWS = 10_000_000


def _numbers() -> Iterator[str]:
    """Every synthetic NHS number with a valid check digit, in order."""
    for sequence in range(1_000_000):
        first_nine = f"999{sequence:06d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            yield f"{first_nine}{check}"


def register_files(work: Path, already: int) -> list[tuple[str, Path, int]]:
    """The two practices' register files: (ODS code, file, rows) making ``PATIENTS`` in all."""
    wanted = PATIENTS - already
    files = []
    numbers = list(_numbers())
    sizes = [len(numbers), wanted - len(numbers)]
    for ods_code, size in zip(SCALE_PRACTICES, sizes, strict=True):
        path = work / f"register-{ods_code}.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["nhs_number", "surname", "given_name", "date_of_birth", "registration_status"]
            )
            for index, number in enumerate(numbers[:size]):
                born = f"{1930 + index % 80}-{1 + index % 12:02d}-{1 + index % 28:02d}"
                writer.writerow([number, f"Surname{index}", "Given", born, "registered"])
        files.append((ods_code, path, size))
    return files


def timed_import(
    python: str, root: Path, env: dict[str, str], ods_code: str, path: Path
) -> dict[str, float]:
    """Run ``manage.py register_import``: its wall time and its peak resident memory, as GNU
    time reports it (the import's own process: a child forked from this one would start with
    this process's memory counted as its own)."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as peak:
        started = time.perf_counter()
        completed = subprocess.run(
            [gnu_time, "-f", "%M", "-o", peak.name, python, "manage.py", "register_import",
             "--ods-code", ods_code, str(path)],
            env=env, cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        kilobytes = peak.read().strip().splitlines()[-1:] or ["0"]
    if completed.returncode != 0:
        raise SystemExit(f"register_import of {path.name} failed:\n{completed.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(int(kilobytes[0]) / 1024, 1)}


_AUDIT_FILL = """
INSERT INTO linkage_auditevent
       (occurred_at, actor_type, actor, action, outcome, ods_code, nhs_number, client_id,
        request_id)
SELECT now() - (n %% 157680000) * interval '1 second',
       'api_client', 'bench-history',
       (ARRAY['retrieve', 'create', 'retrieve', 'view'])[1 + n %% 4],
       (ARRAY['SUCCESS', 'SUCCESS', 'SUCCESS', 'PATIENT_NOT_FOUND'])[1 + n %% 4],
       (ARRAY['B00001', 'B00002', 'B00003'])[1 + n %% 3],
       '999' || lpad((n %% 1000000)::text, 6, '0') || '0',
       '', md5(n::text)
  FROM generate_series(%s, %s) AS n
"""


def audit_fill(database_url: str, rows: int, batch: int = 1_000_000) -> float:
    """``rows`` audit events written by the database, a million a statement; seconds taken."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as connection:
        for first in range(1, rows + 1, batch):
            connection.execute(_AUDIT_FILL, [first, min(rows, first + batch - 1)])
        connection.execute("VACUUM ANALYZE linkage_auditevent")
        connection.execute("VACUUM ANALYZE linkage_registeredpatient")
    return time.perf_counter() - started


def audit_trail_bytes(database_url: str) -> int:
    """The audit trail's size on disk with its indexes and TOAST, as PostgreSQL counts it."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT pg_total_relation_size('linkage_auditevent')").fetchone()
    return int(row[0] if row else 0)


def counts(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as connection:
        patients = connection.execute("SELECT count(*) FROM linkage_registeredpatient").fetchone()
        events = connection.execute("SELECT count(*) FROM linkage_auditevent").fetchone()
    return int(patients[0] if patients else 0), int(events[0] if events else 0)
