"""docs/nhs-login-conformance.md names the test that proves each of NHS login's requirements:
every test it names must exist, or the document a supplier hands NHS login would point at
nothing."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

DOCUMENT = Path(settings.BASE_DIR) / "docs" / "nhs-login-conformance.md"
NODE_ID = re.compile(r"`([\w/]+\.py)::(test_\w+)(?:\[[^\]]*\])?`")


def test_every_test_the_conformance_document_names_exists() -> None:
    text = DOCUMENT.read_text()
    named = NODE_ID.findall(text)
    assert len(named) > 80  # the document has not lost its proofs

    missing = [
        f"{path}::{name}"
        for path, name in named
        if not (Path(settings.BASE_DIR) / path).is_file()
        or not re.search(rf"^def {name}\(", (Path(settings.BASE_DIR) / path).read_text(), re.M)
    ]

    assert missing == []


def test_every_row_gives_a_proof_or_says_why_none_applies() -> None:
    rows = [
        line
        for line in DOCUMENT.read_text().splitlines()
        if line.startswith("| ")
        and not line.startswith(("| ---", "| item", "| scenario"))
        and not line.startswith(("| section", "| page", "| short"))
    ]

    unproved = [row for row in rows if not NODE_ID.search(row) and "not applicable" not in row]

    assert unproved == []
