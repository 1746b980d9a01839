"""docs/linkage-api.md, the contract in words, says what the code and the OpenAPI document do:
the same error codes with the same statuses, the same calls, the same limits."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.conf import settings

from linkage.api import MAX_BODY_BYTES
from linkage.errors import ERROR_STATUS

BASE = Path(settings.BASE_DIR)
CONTRACT = (BASE / "docs" / "linkage-api.md").read_text()
OPENAPI = json.loads((BASE / "linkage" / "openapi.json").read_text())


def _section(heading: str) -> str:
    return CONTRACT.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def test_the_error_table_is_the_code_s_and_the_openapi_document_s() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| (\d{3}) \|", _section("Errors"), re.M)
    documented = {code: int(status) for code, status in rows}

    assert documented == ERROR_STATUS
    assert set(documented) == set(
        OPENAPI["components"]["schemas"]["Error"]["properties"]["errorCode"]["enum"]
    )


def test_every_call_the_contract_names_is_in_the_openapi_document_with_its_scope() -> None:
    calls = re.findall(r"^\| `POST (/[\w/]+)` \(scope `([\w:]+)`\)", _section("Calls"), re.M)

    assert len(calls) == 2
    for path, scope in calls:
        operation = OPENAPI["paths"][path]["post"]
        assert scope in json.dumps(operation["security"]) or scope in operation["description"]
    assert "/api/oauth2/token" in OPENAPI["paths"]


def test_the_body_limit_the_contract_states_is_the_code_s() -> None:
    assert f"at most {MAX_BODY_BYTES // 1024} KB" in _section("Calls")
    assert f"a body over {MAX_BODY_BYTES // 1024} KB is this code with status 413" in CONTRACT
