"""The audit export opens in a spreadsheet as text: no cell of it runs as a formula."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from linkage.admin.audit_events import spreadsheet_safe
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import Practice
from tests.support import THIS_PRACTICE


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(
            '=HYPERLINK("http://attacker.example")',
            '\'=HYPERLINK("http://attacker.example")',
            id="equals",
        ),
        pytest.param("+1+1", "'+1+1", id="plus"),
        pytest.param("-2+3", "'-2+3", id="minus"),
        pytest.param("@SUM(A1)", "'@SUM(A1)", id="at"),
        pytest.param("\tcmd", "'\tcmd", id="tab"),
        pytest.param("reception-a12345", "reception-a12345", id="ordinary"),
        pytest.param("", "", id="empty"),
    ],
)
def test_a_cell_that_would_be_a_formula_is_made_text(value: str, shown: str) -> None:
    assert spreadsheet_safe(value) == shown


def test_the_export_neutralises_a_request_id_chosen_by_a_caller(
    staff_client: Client, this_practice: Practice
) -> None:
    audit_event_record(
        actor=Actor(ActorType.API_CLIENT, "=cmd|' /C calc'!A0", request_id="-2+3"),
        action=AuditAction.RETRIEVE,
        outcome="SUCCESS",
        ods_code=THIS_PRACTICE,
        nhs_number="9990000018",
    )

    response = staff_client.get("/admin/linkage/auditevent/export/")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]

    rows = list(csv.reader(io.StringIO(body)))
    exported = next(row for row in rows if row[3] == "retrieve")
    assert exported[2] == "'=cmd|' /C calc'!A0"
    assert exported[7] == "'-2+3"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
