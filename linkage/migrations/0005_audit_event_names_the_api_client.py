"""An audit event can name the API client a staff member registered, changed or disabled.

Until now the admin's changes to API clients wrote no audit event at all; an event for one
must say which client. Existing events get an empty ``client_id``. Adding a column with a
constant default rewrites no row on PostgreSQL, so the append-only trigger (0004) is not met.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0004_audit_events_append_only_in_the_database"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="client_id",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="API client"
            ),
        ),
    ]
