"""docs/im1-api.md, the contract in words, says what the code and the OpenAPI document do:
the same error codes with the same statuses, the same calls, the same limits."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

from im1.api import CONNECTION_TOKEN_HEADER, OPENAPI_DOCUMENT
from im1.errors import IM1_ERROR_STATUS
from linkage.api import MAX_BODY_BYTES
from linkage.staff_presenters import AUDIT_OUTCOME_WORDING

BASE = Path(settings.BASE_DIR)
CONTRACT = (BASE / "docs" / "im1-api.md").read_text()
OPENAPI = json.loads(OPENAPI_DOCUMENT.read_text())
SETTINGS_COMPONENT = (BASE / "citizen_portal" / "settings" / "components" / "im1.py").read_text()


def _section(heading: str) -> str:
    return CONTRACT.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_error_table_is_the_code_s_and_the_openapi_document_s() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \|", _section("Errors"), re.M)
    documented = {code: int(status) for code, status in rows}

    assert documented == IM1_ERROR_STATUS
    assert set(documented) == set(
        OPENAPI["components"]["schemas"]["Error"]["properties"]["errorCode"]["enum"]
    )


def test_every_call_the_contract_names_is_in_the_openapi_document_with_its_scope() -> None:
    calls = re.findall(r"^\| `(GET|POST) (/[\w/]+)` \(scope `([\w:]+)`\)", _section("Calls"), re.M)

    assert len(calls) == 2
    for method, path, scope in calls:
        operation = OPENAPI["paths"][path][method.lower()]
        assert scope in json.dumps(operation["security"])
    assert f"`{CONNECTION_TOKEN_HEADER}` header" in _section("Calls")


def test_the_limits_the_contract_states_are_the_settings_defaults() -> None:
    stated = re.findall(r"\(`(IM1_[A-Z_]+)`, (\d+)\)", _section("Guessing"))
    defaults = dict(re.findall(r'"(IM1_[A-Z_]+)", default=(\d+)', SETTINGS_COMPONENT))

    assert len(stated) == 4
    assert dict(stated) == defaults


def test_the_body_limit_the_contract_states_is_the_code_s() -> None:
    assert f"at most {MAX_BODY_BYTES // 1024} KB" in _section("Calls")
    assert f"a body over {MAX_BODY_BYTES // 1024} KB is this code with status 413" in CONTRACT


def test_staff_read_every_outcome_of_the_im1_api_in_words() -> None:
    assert set(IM1_ERROR_STATUS) <= set(AUDIT_OUTCOME_WORDING)
