"""Revoke a patient's active linkage key from the command line (docs/operations.md, "Linkage
keys from the command line"): the same audited service the admin's Revoke button uses."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linkage.errors import LinkageError
from linkage.management.operator import operator_actor, patient_arguments_add, patient_named
from linkage.models import LinkageKeyStatus
from linkage.services import linkage_key_revoke


class Command(BaseCommand):
    help = (
        "Revoke a patient's active linkage key: every app connected with it stops working. "
        "Audited as the operator."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        patient_arguments_add(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        patient = patient_named(options)
        active = patient.linkage_keys.filter(status=LinkageKeyStatus.ACTIVE).first()
        if active is None:
            raise CommandError("The patient has no active linkage key: nothing was revoked")
        try:
            linkage_key_revoke(
                actor=operator_actor("linkage_key_revoke", options),
                linkage_key=active,
                reason=options["reason"],
            )
        except LinkageError as error:
            raise CommandError(error.error_message) from error
        self.stdout.write(
            f"Revoked the linkage key of Account ID {active.account_id} at "
            f"{patient.practice.ods_code}."
        )
