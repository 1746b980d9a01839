"""Reissue a patient's linkage key from the command line (docs/operations.md, "Linkage keys
from the command line"): the active key, if any, is revoked and a new one issued with the same
Account ID, through the audited service the admin's Reissue button uses.

The new key is not printed unless asked for (``--show-key``): a terminal's output can be
recorded, and the patient sees their key on their own linkage page."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linkage.errors import LinkageError
from linkage.management.operator import operator_actor, patient_arguments_add, patient_named
from linkage.services import linkage_key_reissue


class Command(BaseCommand):
    help = (
        "Revoke a patient's linkage key, if they have one, and issue a new one with the same "
        "Account ID. Audited as the operator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        patient_arguments_add(parser)
        parser.add_argument(
            "--show-key", action="store_true", help="Print the new key (to read to the patient)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        patient = patient_named(options)
        try:
            information = linkage_key_reissue(
                actor=operator_actor("linkage_key_reissue", options),
                patient=patient,
                reason=options["reason"],
            )
        except LinkageError as error:
            raise CommandError(error.error_message) from error
        self.stdout.write(
            f"Issued a new linkage key for Account ID {information.account_id} at "
            f"{information.ods_code}."
        )
        if options["show_key"]:
            self.stdout.write(f"Linkage key: {information.linkage_key}")
        else:
            self.stdout.write(
                "The patient can see it on their linkage page (--show-key prints it)."
            )
