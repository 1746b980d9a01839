"""patient_online_services_check: what NHS login gave at P5 decides, before any step-up,
whether this service could find the patient's GP record (ADR 0021)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import OperationalError

from accounts import gp_practices
from accounts.gp_practices import GpPractice
from accounts.models import Patient
from accounts.online_services import OnlineServicesProblem, patient_online_services_check
from linkage.tests.factories import PracticeFactory


def p5_patient(**fields: object) -> Patient:
    return Patient(
        **{
            "identity_proofing_level": "P5",
            "gp_ods_code": "A12345",
            "has_nhs_number": True,
            **fields,
        }
    )


@pytest.fixture
def practices(db: None) -> None:
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery")
    PracticeFactory.create(ods_code="B23456", name="Closed Surgery", online_services_live=False)


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        pytest.param({}, None, id="practice-live"),
        pytest.param({"has_nhs_number": None}, None, id="not-known-is-not-missing"),
        pytest.param(
            {"has_nhs_number": False}, OnlineServicesProblem.NO_NHS_NUMBER, id="no-nhs-number"
        ),
        pytest.param({"gp_ods_code": ""}, OnlineServicesProblem.NO_GP_PRACTICE, id="no-practice"),
        pytest.param(
            {"gp_ods_code": "X99999"}, OnlineServicesProblem.PRACTICE_NOT_HERE, id="not-here"
        ),
        pytest.param(
            {"gp_ods_code": "B23456"}, OnlineServicesProblem.PRACTICE_NOT_LIVE, id="not-live"
        ),
    ],
)
def test_each_thing_nhs_login_gives_at_p5_is_checked(
    practices: None, fields: dict[str, object], problem: OnlineServicesProblem | None
) -> None:
    assert patient_online_services_check(patient=p5_patient(**fields)).problem == problem


def test_the_practice_found_comes_with_the_answer(practices: None) -> None:
    check = patient_online_services_check(patient=p5_patient(gp_ods_code="B23456"))

    assert check.practice == GpPractice("B23456", "Closed Surgery", online_services_live=False)


@pytest.fixture
def practices_unreachable() -> Iterator[None]:
    registered = gp_practices._lookup

    def unreachable(ods_code: str) -> GpPractice | None:
        raise OperationalError("connection refused")

    gp_practices.gp_practice_lookup_register(unreachable)
    yield
    gp_practices._lookup = registered


def test_a_database_outage_never_tells_a_patient_their_practice_is_not_here(
    practices_unreachable: None,
) -> None:
    check = patient_online_services_check(patient=p5_patient())

    assert (check.problem, check.practice) == (None, None)
