"""Record whether NHS login gave an NHS number, at any level (accounts/online_services.py).

Existing patients get None (not known) until they next sign in, so nobody is told their NHS
number is missing because they signed in before the portal recorded it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_patient_nhs_number_only_at_p9"),
    ]

    operations = [
        migrations.AddField(
            model_name="patient",
            name="has_nhs_number",
            field=models.BooleanField(default=None, null=True),
        ),
    ]
