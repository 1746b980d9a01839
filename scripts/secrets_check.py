#!/usr/bin/env python
"""`make secrets-check`: scan every tracked file for secrets with detect-secrets and fail on any
finding that `.secrets.baseline` does not list as a reviewed test value.

detect-secrets' own pre-commit hook rewrites the baseline whenever a listed value has moved to
another line, and fails until the rewrite is committed: a check that would fail on a clean
checkout after any edit near a test password. Here the scan runs against a copy of the
baseline, which detect-secrets updates (keeping each reviewed entry's verdict, matched by file
and hashed value, whatever its line), and only findings without a verdict count.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / ".secrets.baseline"
NOT_SCANNED = r"(^|/)(uv\.lock|package-lock\.json|\.secrets\.baseline)$"


def unreviewed_findings(baseline: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as work:
        scanned = Path(work) / "baseline.json"
        shutil.copy(baseline, scanned)
        subprocess.run(  # noqa: S603 (this venv's detect-secrets, fixed arguments)
            [
                str(Path(sys.executable).parent / "detect-secrets"),
                "scan",
                "--baseline",
                str(scanned),
                "--exclude-files",
                NOT_SCANNED,
            ],
            cwd=ROOT,
            check=True,
        )
        results = json.loads(scanned.read_text())["results"]
    return [
        f"{filename}:{finding['line_number']}: {finding['type']}"
        for filename, findings in sorted(results.items())
        for finding in findings
        if finding.get("is_secret") is not False
    ]


def main() -> int:
    findings = unreviewed_findings(BASELINE)
    for finding in findings:
        print(f"Possible secret: {finding}", file=sys.stderr)
    if findings:
        print(
            "Remove each secret. If it is a test value, refresh the list as CONTRIBUTING.md "
            "says (Security rules).",
            file=sys.stderr,
        )
        return 1
    print("No secrets beyond the reviewed test values in .secrets.baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
