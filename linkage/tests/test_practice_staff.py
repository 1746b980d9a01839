"""Creating a member of a practice's staff in one step, by the service and by
``manage.py practice_staff_create``: what they reach afterwards, and every refusal, each
leaving nothing behind."""

from __future__ import annotations

import io
import re
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from linkage.models import AuditEvent, Practice, PracticeStaff
from linkage.practice_staff import (
    KEY_ACTION_PERMISSIONS,
    PracticeStaffError,
    practice_staff_create,
    staff_password_generate,
)
from tests.support import OTHER_PRACTICE, THIS_PRACTICE, two_factor_passed

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password-2"


def run(*arguments: str) -> str:
    out = io.StringIO()
    call_command("practice_staff_create", *arguments, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def signed_in(username: str, password: str) -> Client:
    """A browser that signed in with the password, and passed the second factor."""
    client = Client()
    response = client.post("/admin/login/", {"username": username, "password": password})
    assert response.status_code == 302, "the password was not accepted"
    two_factor_passed(client, User.objects.get(username=username))
    return client


def test_a_new_member_of_staff_signs_in_and_reaches_their_practice_only(
    this_practice: Practice, other_practice: Practice
) -> None:
    user = practice_staff_create(
        username="jsmith",
        ods_code=" a12345 ",
        password=PASSWORD,
        first_name="Jo",
        last_name="Smith",
    )

    assert user.is_staff
    assert not user.is_superuser
    assert [m.practice.ods_code for m in PracticeStaff.objects.filter(user=user)] == [THIS_PRACTICE]
    # The key actions' permissions (docs/adr/0024), provisioning's (docs/provisioning.md), and
    # no group.
    assert sorted(user.user_permissions.values_list("codename", flat=True)) == sorted(
        [*KEY_ACTION_PERMISSIONS, "provision_nhs_login"]
    )
    assert user.has_perm("provisioning.provision_nhs_login")
    assert user.has_perms([f"linkage.{codename}" for codename in KEY_ACTION_PERMISSIONS])
    assert not user.groups.exists()
    staff = signed_in("jsmith", PASSWORD)
    assert staff.get("/admin/linkage/registeredpatient/").status_code == 200
    assert staff.get("/admin/linkage/registeredpatient/import/").status_code == 200
    practices = staff.get("/admin/linkage/practice/").content.decode()
    assert THIS_PRACTICE in practices
    assert OTHER_PRACTICE not in practices
    assert staff.get("/admin/accounts/user/").status_code == 403


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"ods_code": "Z99999"}, "No practice with the ODS code Z99999", id="unknown"),
        pytest.param({"ods_code": "A1"}, "ODS code must be 6 letters or digits", id="bad-code"),
        pytest.param({"username": "RECEPTION"}, "A user named RECEPTION exists", id="taken"),
        pytest.param({"username": "has space"}, "The username is not allowed", id="username"),
        pytest.param({"password": "short"}, "The password is not allowed", id="too-short"),
        pytest.param({"password": "password1234"}, "too common", id="common"),
    ],
)
def test_refused_with_the_reason_and_nothing_written(
    this_practice: Practice, fields: dict[str, str], message: str
) -> None:
    User.objects.create_user("reception", password=PASSWORD)
    before = (User.objects.count(), PracticeStaff.objects.count())

    chosen = {"username": "jsmith", "ods_code": THIS_PRACTICE, "password": PASSWORD, **fields}

    with pytest.raises(PracticeStaffError, match=message):
        practice_staff_create(
            username=chosen["username"], ods_code=chosen["ods_code"], password=chosen["password"]
        )

    assert (User.objects.count(), PracticeStaff.objects.count()) == before


def test_generated_passwords_are_long_readable_and_each_different() -> None:
    passwords = {staff_password_generate() for _ in range(20)}

    assert len(passwords) == 20
    for password in passwords:
        assert re.fullmatch(r"[a-z2-9]{4}(-[a-z2-9]{4}){3}", password)
        assert not set(password) & set("01ilo")


def test_the_command_with_a_password_file(
    this_practice: Practice, tmp_path: Path, settings: SettingsWrapper
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text(f"{PASSWORD}\nignored second line\n")

    output = run(
        "--ods-code", THIS_PRACTICE, "--username", "jsmith", "--password-file", str(password_file)
    )

    assert "Created jsmith, practice staff at Demo Surgery (A12345)." in output
    assert f"They sign in at {settings.PORTAL_BASE_URL}/admin/" in output
    assert "authenticator app" in output  # the tests, like production, ask for a second factor
    assert PASSWORD not in output
    signed_in("jsmith", PASSWORD)


def test_the_command_makes_up_a_password_and_prints_it_once(this_practice: Practice) -> None:
    output = run("--ods-code", THIS_PRACTICE, "--username", "jsmith", "--random-password")

    found = re.search(r"shown this once, give it to them in person\): (\S+)", output)
    assert found
    assert output.count(found.group(1)) == 1
    signed_in("jsmith", found.group(1))


def test_the_command_asks_twice_at_a_terminal(this_practice: Practice) -> None:
    with (
        mock.patch("sys.stdin.isatty", return_value=True),
        mock.patch("getpass.getpass", side_effect=[PASSWORD, PASSWORD]) as asked,
    ):
        run("--ods-code", THIS_PRACTICE, "--username", "jsmith")

    assert asked.call_count == 2
    signed_in("jsmith", PASSWORD)


def test_the_command_refuses_two_passwords_that_differ(this_practice: Practice) -> None:
    with (
        mock.patch("sys.stdin.isatty", return_value=True),
        mock.patch("getpass.getpass", side_effect=[PASSWORD, f"{PASSWORD}x"]),
        pytest.raises(CommandError, match="The two passwords differ: nothing was created"),
    ):
        run("--ods-code", THIS_PRACTICE, "--username", "jsmith")

    assert not User.objects.exists()


def test_the_command_without_a_terminal_says_how_to_give_a_password(
    this_practice: Practice,
) -> None:
    with (
        mock.patch("sys.stdin.isatty", return_value=False),
        pytest.raises(CommandError, match="--password-file or --random-password"),
    ):
        run("--ods-code", THIS_PRACTICE, "--username", "jsmith")

    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(
            ("--ods-code", "Z99999"), "No practice with the ODS code Z99999", id="unknown-practice"
        ),
        pytest.param(
            ("--username", "reception"), "A user named reception exists already", id="user-exists"
        ),
        pytest.param(("--password-file", "/nonexistent/pw"), "Cannot read", id="no-file"),
    ],
)
def test_the_command_refuses_clearly_and_creates_nobody(
    this_practice: Practice, tmp_path: Path, arguments: tuple[str, ...], message: str
) -> None:
    User.objects.create_user("reception", password=PASSWORD)
    password_file = tmp_path / "password"
    password_file.write_text(PASSWORD)
    given = {
        "--ods-code": THIS_PRACTICE,
        "--username": "jsmith",
        "--password-file": str(password_file),
    }
    given.update(dict(zip(arguments[::2], arguments[1::2], strict=True)))

    with pytest.raises(CommandError, match=message):
        run(*(part for pair in given.items() for part in pair))

    assert User.objects.count() == 1
    assert not PracticeStaff.objects.exists()


def test_the_command_refuses_an_empty_password_file(
    this_practice: Practice, tmp_path: Path
) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("\n")

    with pytest.raises(CommandError, match="is empty"):
        run("--ods-code", THIS_PRACTICE, "--username", "j", "--password-file", str(password_file))

    assert not User.objects.exists()


def test_the_command_names_the_admins_own_host_when_it_has_one(
    this_practice: Practice, settings: SettingsWrapper
) -> None:
    settings.ADMIN_HOST = "admin.portal.example.org"

    output = run("--ods-code", THIS_PRACTICE, "--username", "jsmith", "--random-password")

    assert "They sign in at https://admin.portal.example.org/admin/" in output


def test_creating_a_member_of_staff_on_the_command_line_writes_no_audit_event(
    this_practice: Practice,
) -> None:
    """As for API clients registered on the command line: run on the server, not through the
    portal (linkage/practice_staff.py)."""
    run("--ods-code", THIS_PRACTICE, "--username", "jsmith", "--random-password")

    assert not AuditEvent.objects.exists()


def test_a_member_of_staff_made_without_key_actions_reads_but_changes_no_key(
    this_practice: Practice,
) -> None:
    out = io.StringIO()
    call_command(
        "practice_staff_create",
        ods_code=THIS_PRACTICE,
        username="reader",
        random_password=True,
        no_key_actions=True,
        no_provisioning=True,
        stdout=out,
    )

    user = User.objects.get(username="reader")
    assert user.is_staff
    assert not user.user_permissions.exists()
    assert not user.has_perm("linkage.revoke_linkagekey")
    assert PracticeStaff.objects.filter(user=user, practice=this_practice).exists()


def test_a_member_of_staff_made_without_provisioning_may_still_change_keys(
    this_practice: Practice,
) -> None:
    call_command(
        "practice_staff_create",
        ods_code=THIS_PRACTICE,
        username="keys-only",
        random_password=True,
        no_provisioning=True,
        stdout=io.StringIO(),
    )

    user = User.objects.get(username="keys-only")
    assert user.has_perm("linkage.issue_linkagekey")
    assert not user.has_perm("provisioning.provision_nhs_login")
