"""Clear the NHS numbers kept from sign-ins below P9 before the portal stopped keeping them.

NHS login's "Scopes and claims", note 2: the NHS number it traced must not be given or
presented to a patient below P9. Sign-ins no longer store it below P9
(accounts.services.patient_profile_from_claims); this clears what earlier ones stored.
"""

from __future__ import annotations

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def nhs_numbers_below_p9_clear(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    patient = apps.get_model("accounts", "Patient")
    patient.objects.exclude(identity_proofing_level="P9").exclude(nhs_number="").update(
        nhs_number=""
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_patient")]

    operations = [migrations.RunPython(nhs_numbers_below_p9_clear, migrations.RunPython.noop)]
