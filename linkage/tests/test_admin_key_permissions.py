"""Issuing, reissuing and revoking a key each need a permission of their own, as well as a
membership of the patient's practice (docs/adr/0024): the list actions are refused without
it, and the migration that brought the permissions gave them to the staff of the day."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from accounts.tests.factories import UserFactory
from linkage.models import AuditEvent, LinkageKey, Practice, PracticeStaff
from linkage.practice_staff import KEY_ACTION_PERMISSIONS as KEY_PERMISSIONS
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory
from tests.support import staff_signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(this_practice: Practice) -> LinkageKey:
    patient = RegisteredPatientFactory.create(
        practice=this_practice, nhs_number="9990000018", date_of_birth=datetime.date(1985, 3, 5)
    )
    return LinkageKeyFactory.create(patient=patient, account_id="5100000001")


@pytest.fixture
def staff_without_key_permissions(this_practice: Practice) -> Client:
    """Staff of this practice who may look at keys but not issue, reissue or revoke one."""
    user = UserFactory.create(username="reader-a12345", is_staff=True)
    PracticeStaff.objects.create(user=user, practice=this_practice)
    return staff_signed_in(user)


@pytest.mark.parametrize(
    ("action", "extra"),
    [
        ("revoke_keys", {"reason": "Lost phone"}),
        ("reissue_keys", {"reason": "Lost the letter"}),
    ],
)
def test_staff_without_the_permission_cannot_use_the_list_action(
    staff_without_key_permissions: Client, key: LinkageKey, action: str, extra: dict[str, str]
) -> None:
    staff_without_key_permissions.post(
        "/admin/linkage/linkagekey/",
        {"action": action, "_selected_action": [key.pk], "confirm": "yes", **extra},
    )

    assert list(LinkageKey.objects.values_list("pk", "status")) == [(key.pk, "active")]
    assert not AuditEvent.objects.exists()


def test_the_list_offers_only_the_actions_the_staff_member_may_take(
    staff_without_key_permissions: Client, staff_client: Client, key: LinkageKey
) -> None:
    without = staff_without_key_permissions.get("/admin/linkage/linkagekey/").content.decode()
    assert "revoke_keys" not in without
    assert "reissue_keys" not in without
    allowed = staff_client.get("/admin/linkage/linkagekey/").content.decode()
    assert "revoke_keys" in allowed
    assert "reissue_keys" in allowed


def test_a_superuser_may_use_the_list_actions_without_being_given_the_permissions(
    superuser_client: Client, key: LinkageKey
) -> None:
    superuser_client.post(
        "/admin/linkage/linkagekey/",
        {
            "action": "revoke_keys",
            "_selected_action": [key.pk],
            "confirm": "yes",
            "reason": "Lost phone",
        },
    )

    key.refresh_from_db()
    assert key.status == "revoked"


@pytest.mark.django_db(transaction=True)
def test_migration_gives_the_practice_staff_of_the_day_the_key_permissions() -> None:
    """Nobody loses what they could do when the permissions arrive; nobody else gains it."""
    before = [("linkage", "0005_audit_event_names_the_api_client")]
    after = [("linkage", "0006_linkage_key_staff_permissions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("auth", "Permission").objects.filter(codename__in=KEY_PERMISSIONS).delete()
    user_model = old_apps.get_model("accounts", "User")
    staff = user_model.objects.create(username="reception", is_staff=True)
    user_model.objects.create(username="operator-not-at-a-practice", is_staff=True)
    practice = old_apps.get_model("linkage", "Practice").objects.create(
        ods_code="A12345", name="Demo Surgery"
    )
    old_apps.get_model("linkage", "PracticeStaff").objects.create(user=staff, practice=practice)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    granted = Permission.objects.filter(codename__in=KEY_PERMISSIONS)
    assert set(
        granted.filter(user__username="reception").values_list("codename", flat=True)
    ) == set(KEY_PERMISSIONS)
    assert not granted.filter(user__username="operator-not-at-a-practice").exists()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
