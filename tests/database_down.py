"""Running Django in a process of its own whose PostgreSQL refuses connections: how tests see
what users get while the database is down."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings

UNREACHABLE_DATABASE_URL = "postgres://nobody@127.0.0.1:1/unreachable"  # nothing on port 1


def run_with_the_database_down(script: str, tmp_path: Path) -> tuple[Any, str]:
    """Run ``script`` (Python that sets Django up and prints JSON on its last line) with test
    settings and an unreachable database: what it printed last, parsed, and its log."""
    completed = subprocess.run(
        [sys.executable, "-c", script],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.test",
            "DATABASE_URL": UNREACHABLE_DATABASE_URL,
            "DATA_DIR": str(tmp_path),
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1]), completed.stderr
