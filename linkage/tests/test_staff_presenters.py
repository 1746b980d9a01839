"""The admin's words for patients, staff and the audit trail (linkage/staff_presenters.py):
no database."""

from __future__ import annotations

import pytest

from linkage import audit
from linkage.errors import ERROR_STATUS
from linkage.staff_presenters import (
    ACTOR_TYPE_WORDING,
    AUDIT_ACTION_WORDING,
    AUDIT_OUTCOME_WORDING,
    SUCCESS,
    UNAUTHENTICATED,
    actor_type_display,
    audit_action_display,
    audit_actor_display,
    audit_outcome_display,
    person_display,
    staff_member_display,
)


@pytest.mark.parametrize(
    ("name", "nhs_number", "shown"),
    [
        ("Ava Thompson", "9990000018", "Ava Thompson (999 000 0018)"),
        (" Thompson", "9990000018", "Thompson (999 000 0018)"),  # no given name
        ("Mary  Anne   O'Brien-Smith", "9990000018", "Mary Anne O'Brien-Smith (999 000 0018)"),
        ("", "9990000018", "999 000 0018"),
        ("Ava Thompson", "", "Ava Thompson"),
        ("", "", ""),
    ],
)
def test_a_person_reads_as_their_name_then_their_nhs_number_in_groups(
    name: str, nhs_number: str, shown: str
) -> None:
    assert person_display(name, nhs_number) == shown


@pytest.mark.parametrize(
    ("full_name", "shown"),
    [("Sam Taylor", "Sam Taylor (reception)"), ("", "reception"), ("  ", "reception")],
)
def test_a_member_of_staff_reads_as_their_name_and_username(full_name: str, shown: str) -> None:
    assert staff_member_display(full_name=full_name, username="reception") == shown


def test_every_audit_action_has_words() -> None:
    assert set(AUDIT_ACTION_WORDING) == {action.value for action in audit.AuditAction}
    assert audit_action_display("show_key") == "Linkage key shown"
    assert audit_action_display("register_import") == "Register imported"


def test_every_outcome_of_the_linkage_interface_has_words() -> None:
    assert set(ERROR_STATUS) | {audit.SUCCESS} <= set(AUDIT_OUTCOME_WORDING)
    assert audit_outcome_display("SUCCESS") == "Success"
    assert (
        audit_outcome_display("PATIENT_NOT_FOUND") == "Refused: no matching patient on the register"
    )
    assert audit_outcome_display("invalid_client").startswith("Refused: ")


def test_every_actor_type_has_words() -> None:
    assert set(ACTOR_TYPE_WORDING) == {kind.value for kind in audit.ActorType}
    assert actor_type_display("api_client") == "App (API client)"


def test_the_audits_own_constants_are_the_ones_worded() -> None:
    assert (SUCCESS, UNAUTHENTICATED) == (audit.SUCCESS, audit.UNAUTHENTICATED)


def test_a_code_without_words_is_shown_as_stored() -> None:
    """An event written by a newer version, read by this one: shown, never hidden."""
    assert audit_action_display("something_new") == "something_new"
    assert audit_outcome_display("NEW_CODE") == "NEW_CODE"
    assert actor_type_display("robot") == "robot"


@pytest.mark.parametrize(
    ("actor_type", "actor", "actor_name", "shown"),
    [
        ("staff", "reception", "Sam Taylor", "Sam Taylor (reception)"),
        ("staff", "reception", "", "reception"),
        ("api_client", "4f1c-uuid", "NHS login", "NHS login"),
        ("api_client", "4f1c-uuid", "", "4f1c-uuid"),  # a client since deleted
        (
            "api_client",
            "unauthenticated 203.0.113.7 (10 this minute)",
            "",
            "An app not signed in (203.0.113.7 (10 this minute))",
        ),
        ("api_client", "unauthenticated", "", "An app not signed in"),
        ("patient", "a-sub-that-means-nothing", "Ava  Thompson", "Ava Thompson"),
        ("patient", "a-sub-that-means-nothing", "", "A patient signed in with NHS login"),
        ("system", "manage.py register_import", "", "manage.py register_import"),
    ],
)
def test_who_acted_reads_as_the_name_people_know_them_by(
    actor_type: str, actor: str, actor_name: str, shown: str
) -> None:
    assert audit_actor_display(actor_type=actor_type, actor=actor, actor_name=actor_name) == shown
