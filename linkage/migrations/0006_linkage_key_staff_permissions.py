"""Issuing, reissuing and revoking a linkage key each need a permission of their own
(docs/adr/0013), as well as a membership of the patient's practice.

Until now every member of a practice's staff could reissue and revoke its keys. So that
nobody loses what they could do the day this runs, every user who is already a member of a
practice's staff is given all three permissions; staff added later are given them by a
superuser (docs/operations.md, "Practice staff"). The permissions are made here rather than
left to Django's post-migrate step, which runs only after every migration.
"""

from typing import Any

from django.db import migrations

PERMISSIONS = {
    "issue_linkagekey": "Can issue a linkage key to a registered patient",
    "reissue_linkagekey": "Can reissue a linkage key",
    "revoke_linkagekey": "Can revoke a linkage key",
}


def grant_to_existing_staff(apps: Any, schema_editor: Any) -> None:
    content_type_model = apps.get_model("contenttypes", "ContentType")
    permission_model = apps.get_model("auth", "Permission")
    practice_staff_model = apps.get_model("linkage", "PracticeStaff")
    content_type, _ = content_type_model.objects.get_or_create(
        app_label="linkage", model="linkagekey"
    )
    permissions = [
        permission_model.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    ]
    seen: set[int] = set()
    for membership in practice_staff_model.objects.select_related("user"):
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            membership.user.user_permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("linkage", "0005_audit_event_names_the_api_client"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="linkagekey",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("issue_linkagekey", "Can issue a linkage key to a registered patient"),
                    ("reissue_linkagekey", "Can reissue a linkage key"),
                    ("revoke_linkagekey", "Can revoke a linkage key"),
                ],
            },
        ),
        migrations.RunPython(grant_to_existing_staff, migrations.RunPython.noop),
    ]
