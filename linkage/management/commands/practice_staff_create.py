"""Create a member of a practice's staff in one step: a user who can sign in to the admin,
with their practice (linkage/practice_staff.py has the rules).

The password is asked for twice at the terminal, read from ``--password-file`` (its first
line), or made up with ``--random-password`` and printed once, never stored in a file of ours
nor logged."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from linkage.models import PracticeStaff
from linkage.practice_staff import (
    PracticeStaffError,
    practice_staff_create,
    staff_password_generate,
)


def admin_address() -> str:
    """Where staff sign in: the admin's own host when it has one (core/admin_host.py)."""
    if settings.ADMIN_HOST:
        return f"https://{settings.ADMIN_HOST}/admin/"
    return f"{settings.PORTAL_BASE_URL}/admin/"


class Command(BaseCommand):
    help = (
        "Create a practice staff member who signs in to the admin and sees that practice's "
        "register, linkage keys and audit."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ods-code", required=True, help="Their practice, e.g. A12345")
        parser.add_argument("--username", required=True)
        parser.add_argument("--first-name", default="", help="Shown in the audit trail")
        parser.add_argument("--last-name", default="", help="Shown in the audit trail")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--no-key-actions",
            action="store_true",
            help="They may read the register and show keys, but not issue, reissue or revoke",
        )
        parser.add_argument(
            "--no-provisioning",
            action="store_true",
            help="They may not ask NHS login to provision patients' NHS login accounts",
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--password-file", type=Path, help="A file whose first line is the password"
        )
        source.add_argument(
            "--random-password",
            action="store_true",
            help="Make up a password and print it once, to give them in person",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password = self._password(options)
        try:
            user = practice_staff_create(
                username=options["username"],
                ods_code=options["ods_code"],
                password=password,
                first_name=options["first_name"],
                last_name=options["last_name"],
                email=options["email"],
                key_actions=not options["no_key_actions"],
                provisioning=not options["no_provisioning"],
            )
        except PracticeStaffError as error:
            raise CommandError(str(error)) from error
        practice = PracticeStaff.objects.select_related("practice").get(user=user).practice
        self.stdout.write(f"Created {user.get_username()}, practice staff at {practice}.")
        if options["random_password"]:
            self.stdout.write(f"Password (shown this once, give it to them in person): {password}")
        then = (
            ", and set up an authenticator app on their phone at their first sign-in"
            if settings.ADMIN_TWO_FACTOR_REQUIRED
            else ""
        )
        self.stdout.write(f"They sign in at {admin_address()}{then}.")

    def _password(self, options: dict[str, Any]) -> str:
        if options["random_password"]:
            return staff_password_generate()
        path: Path | None = options["password_file"]
        if path is not None:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror}") from error
            except UnicodeDecodeError as error:
                raise CommandError(f"{path} is not UTF-8 text") from error
            if not lines or not lines[0]:
                raise CommandError(f"{path} is empty: its first line must be the password")
            return lines[0]
        if not sys.stdin.isatty():
            raise CommandError(
                "No terminal to ask for the password: give --password-file or --random-password"
            )
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ: nothing was created")
        return password
