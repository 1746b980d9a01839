"""docs/security.md maps every threat to the tests that prove its defence: every test it names
must exist, and every threat must name at least one, or the page would claim what nothing
proves.

The table names a test as ``path/to/test_file.py::test_name`` or, after one of those in the same
row, as ``::test_name`` in that same file; a whole file (``tests/security/test_x.py``) may stand
for all its tests."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
DOCUMENT = BASE / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:[\w/]+\.py)?)(?:::(test_\w+))?(?:\[[^\]`]*\])?`")


def _threat_rows() -> list[str]:
    lines = DOCUMENT.read_text().splitlines()
    start = lines.index("## Threats and the tests that prove each defence")
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith(("| ---", "| threat |")):
            rows.append(line)
    return rows


def _named_tests(row: str) -> list[tuple[str, str | None]]:
    """(file, test or None for the whole file) for every reference in the row's proof cell."""
    proof = row.split(" | ")[1]
    named: list[tuple[str, str | None]] = []
    current_file = ""
    for path, test in REFERENCE.findall(proof):
        if path:
            current_file = path
        if current_file and (path or test):
            named.append((current_file, test or None))
    return named


def _defined(path: str, test: str | None) -> bool:
    file = BASE / path
    if not file.is_file():
        return False
    return test is None or bool(re.search(rf"^(?:async )?def {test}\(", file.read_text(), re.M))


def test_every_test_the_security_page_names_exists() -> None:
    rows = _threat_rows()
    named = [reference for row in rows for reference in _named_tests(row)]
    assert len(rows) >= 40  # the table has not lost its threats
    assert len(named) >= 140

    missing = [
        f"{path}::{test}" if test else path for path, test in named if not _defined(path, test)
    ]

    assert missing == []


def test_every_threat_names_a_test_that_proves_it() -> None:
    unproved = [row.split(" | ")[0] for row in _threat_rows() if not _named_tests(row)]

    assert unproved == []
