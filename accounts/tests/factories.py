"""Factories for synthetic patients: NHS numbers in the 999 range with valid check digits."""

from __future__ import annotations

import datetime
import uuid

import factory
from django.utils import timezone

from accounts.models import IdentityProofingLevel, Patient, User
from core.nhs_identifiers import nhs_number_check_digit


def nhs_number_with_check_digit(first_nine: str) -> str | None:
    """The 10-digit NHS number for these 9 digits, or None if no valid check digit exists."""
    check = nhs_number_check_digit(first_nine)
    return None if check is None else f"{first_nine}{check}"


def synthetic_nhs_number(sequence: int) -> str:
    """A distinct valid number for each sequence value: each takes its own block of ten."""
    for last in range(10):
        number = nhs_number_with_check_digit(f"999{(sequence * 10 + last) % 1_000_000:06d}")
        if number is not None:
            return number
    raise ValueError(f"no valid NHS number in block {sequence}")  # never: 1 in 11 is invalid


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user-{n}")


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    class Params:
        p5 = factory.Trait(identity_proofing_level=IdentityProofingLevel.P5, vot="P5.Cp.Cd")

    user = factory.SubFactory(
        UserFactory, username=factory.LazyFunction(lambda: f"patient-{uuid.uuid4()}")
    )
    nhs_login_sub = factory.LazyFunction(lambda: str(uuid.uuid4()))
    nhs_number = factory.Sequence(lambda n: synthetic_nhs_number(n + 1))
    has_nhs_number = True
    given_name = "Ava"
    family_name = "Thompson"
    birthdate = datetime.date(1985, 3, 5)
    email = factory.Sequence(lambda n: f"patient{n}@example.org")
    gp_ods_code = "A12345"
    identity_proofing_level = IdentityProofingLevel.P9
    vot = "P9.Cp.Cd"
    last_signed_in_at = factory.LazyFunction(timezone.now)
