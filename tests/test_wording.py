"""One name for one thing on the patient's pages (core/wording.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# The patient's pages whose words this test holds to core/wording.py.
CHECKED = ("accounts", "core", "errors", "information", "layout.jinja")


def _templates() -> list[Path]:
    found: list[Path] = []
    for name in CHECKED:
        path = TEMPLATES / name
        found += sorted(path.rglob("*.jinja")) if path.is_dir() else [path]
    return [path for path in found if path.exists()]


@pytest.mark.parametrize("template", _templates(), ids=lambda path: path.name)
def test_the_practice_code_is_only_ever_the_gp_practice_code(template: Path) -> None:
    """Written once in core/wording.py: no page names it "ODS code" or "practice code" in
    words of its own."""
    text = template.read_text()

    assert not re.search(r"ODS code|[Pp]ractice code", text), template


@pytest.mark.parametrize("template", _templates(), ids=lambda path: path.name)
def test_going_back_is_only_ever_the_design_systems_back_link(template: Path) -> None:
    """One wording, "Back", in the back-link component at the top of the page (layout.jinja's
    back_link): no page writes a "Go back to ..." or "Back to ..." link of its own."""
    text = template.read_text()

    assert not re.search(r">\s*(Go back|Back) to ", text), template
