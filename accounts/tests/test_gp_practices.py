"""The seam through which the patient's pages read their GP practice (accounts/gp_practices.py):
linkage registers its look-up at start-up, and accounts never imports linkage."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError

from accounts import gp_practices
from accounts.gp_practices import (
    GpPractice,
    GpPracticesUnavailableError,
    gp_practice_find,
    gp_practice_shown,
)
from linkage.tests.factories import PracticeFactory


@pytest.fixture
def lookup_restored() -> Iterator[None]:
    registered = gp_practices._lookup
    yield
    gp_practices._lookup = registered


@pytest.mark.django_db
def test_linkage_registers_the_look_up_of_its_practices_at_start_up() -> None:
    PracticeFactory.create(ods_code="A12345", name="Demo Surgery", online_services_live=False)

    PracticeFactory.create(ods_code="B23456", name="Live Surgery", online_services_live=True)

    assert gp_practice_find("A12345") == GpPractice(
        ods_code="A12345", name="Demo Surgery", online_services_live=False
    )
    live = gp_practice_find("B23456")
    assert live is not None
    assert live.online_services_live is True  # a bool on every database, not SQLite's 1


@pytest.mark.django_db
def test_a_code_that_names_no_practice_here_finds_none() -> None:
    PracticeFactory.create(ods_code="A12345")

    assert gp_practice_find("X99999") is None
    assert gp_practice_find("") is None


def test_an_unreachable_database_is_told_apart_from_a_practice_that_is_not_here(
    lookup_restored: None,
) -> None:
    def unreachable(ods_code: str) -> GpPractice | None:
        raise OperationalError("connection refused")

    gp_practices.gp_practice_lookup_register(unreachable)

    with pytest.raises(GpPracticesUnavailableError):
        gp_practice_find("A12345")
    # A page that only names the practice goes on without the name.
    assert gp_practice_shown("A12345") is None


def test_without_a_registered_look_up_the_portal_says_so_rather_than_guess(
    lookup_restored: None,
) -> None:
    gp_practices._lookup = None

    with pytest.raises(ImproperlyConfigured, match="No GP practice look-up"):
        gp_practice_find("A12345")
