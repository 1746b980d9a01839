"""A clone holds every document its code, tests and README cite (CONTRIBUTING.md, "Names,
comments and decisions"): nothing points at files outside the repository or at a tracker's
issue numbers, and every page of docs/ that something names is there."""

from __future__ import annotations

import os
import re
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
NOT_OURS = {"node_modules", "data", "mutants", "staticfiles"}
# Hidden directories are tools' caches and environments, except these.
OURS_HIDDEN = {".ci", ".github"}
TEXT_SUFFIXES = {".py", ".md", ".html", ".jinja", ".yaml", ".yml", ".toml", ".json", ".mjs"}
TEXT_NAMES = {"Makefile", "Dockerfile", ".env.example", "run"}
OUTSIDE = re.compile(r"\.\./shared|\bshared/[\w-]+\.md|\bSTYLE\.md|\b[Ii]ssues? #?\d+\b")
DOCS_PATH = re.compile(r"\bdocs/[\w./-]*[\w-]\.md\b")


def _our_text_files() -> list[Path]:
    files = []
    for directory, subdirectories, names in os.walk(BASE):
        here = Path(directory)
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in NOT_OURS
            and name != "__pycache__"
            and (not name.startswith(".") or name in OURS_HIDDEN)
            and (here / name).relative_to(BASE) != Path("static/vendor")
        ]
        files += [
            here / name
            for name in names
            if name not in {"uv.lock", "package-lock.json"}
            and (Path(name).suffix in TEXT_SUFFIXES or name in TEXT_NAMES)
        ]
    return files


def test_nothing_cites_a_file_outside_the_repository_or_an_issue_number() -> None:
    files = _our_text_files()
    assert len(files) > 150  # the walk found the project

    citations = [
        f"{path.relative_to(BASE)}:{number}: {found.group(0)}"
        for path in files
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if (found := OUTSIDE.search(line))
    ]

    assert citations == []


def test_every_docs_page_cited_is_in_the_repository() -> None:
    missing = sorted(
        {
            f"{path.relative_to(BASE)}: {cited}"
            for path in _our_text_files()
            for cited in DOCS_PATH.findall(path.read_text(errors="replace"))
            if not (BASE / cited).is_file()
        }
    )

    assert missing == []
