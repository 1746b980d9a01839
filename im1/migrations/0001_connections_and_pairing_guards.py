"""IM1 connections, their tokens kept only as SHA-256, and the guard on pairing: failures in a
row per account and the account's lock (docs/adr/0025)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("linkage", "0005_audit_event_names_the_api_client"),
    ]

    operations = [
        migrations.CreateModel(
            name="PairingGuard",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("ods_code", models.CharField(max_length=6, verbose_name="ODS code")),
                ("account_id", models.CharField(max_length=20, verbose_name="Account ID")),
                ("consecutive_failures", models.PositiveIntegerField(default=0)),
                ("last_failed_at", models.DateTimeField(blank=True, null=True)),
                ("locked_at", models.DateTimeField(blank=True, null=True)),
                ("unlocked_at", models.DateTimeField(blank=True, null=True)),
                ("unlocked_by", models.CharField(blank=True, max_length=255)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("ods_code", "account_id"), name="im1_pairing_guard_once_per_account"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Connection",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("token_hash", models.CharField(max_length=64, unique=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
                ("ended_by", models.CharField(blank=True, max_length=255)),
                ("ended_reason", models.TextField(blank=True)),
                (
                    "linkage_key",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="im1_connections",
                        to="linkage.linkagekey",
                    ),
                ),
                (
                    "partner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="im1_connections",
                        to="linkage.apiclient",
                    ),
                ),
                (
                    "patient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="im1_connections",
                        to="linkage.registeredpatient",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            ("ended_at__isnull", True),
                            models.Q(("ended_reason", ""), _negated=True),
                            _connector="OR",
                        ),
                        name="im1_connection_ended_with_a_reason",
                    )
                ],
            },
        ),
    ]
