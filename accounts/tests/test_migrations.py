"""The data migration that clears NHS numbers kept from sign-ins below P9."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from accounts.models import Patient
from accounts.tests.factories import PatientFactory

migration = import_module("accounts.migrations.0003_patient_nhs_number_only_at_p9")


@pytest.mark.django_db
def test_nhs_numbers_kept_below_p9_are_cleared_and_p9_ones_kept() -> None:
    """Scopes and claims, note 2: nothing of a P5 patient's keeps the traced NHS number."""
    p5 = PatientFactory.create(p5=True, nhs_number="9990000034")
    p0 = PatientFactory.create(
        identity_proofing_level="P0", vot="P0.Cp.Cd", nhs_number="9990000042"
    )
    p9 = PatientFactory.create(nhs_number="9990000018")

    migration.nhs_numbers_below_p9_clear(apps, None)

    numbers = dict(Patient.objects.values_list("pk", "nhs_number"))
    assert numbers == {p5.pk: "", p0.pk: "", p9.pk: "9990000018"}
