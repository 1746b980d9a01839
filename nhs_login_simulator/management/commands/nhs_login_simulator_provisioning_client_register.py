"""Register (or update) a service consumer of the simulator's Provision Account interface, as
NHS login onboards a provisioner (its "Interface Specification - Provision Account", 3.2):
the client id, its public key and the ODS codes it provisions for (any, when none is given)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nhs_login_simulator.clients import (
    RegistrationError,
    client_key_from_pem,
    provisioning_client_register,
)


class Command(BaseCommand):
    help = (
        "Register a client of the NHS login simulator's Provision Account endpoint: client id, "
        "public key (PEM, no kid) and the ODS codes it may provision for."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--name", default="", help="Shown in the simulator's records")
        parser.add_argument(
            "--public-key",
            type=Path,
            required=True,
            help="PEM public key, or a private key whose public half is registered",
        )
        parser.add_argument(
            "--ods-code",
            action="append",
            default=[],
            dest="ods_codes",
            help="An ODS code it provisions for; repeat for several (default: any)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["public_key"]
        try:
            key = client_key_from_pem(path.read_bytes())
        except OSError as error:
            raise CommandError(f"Cannot read the key file {path}: {error.strerror}") from error
        except ValueError as error:
            raise CommandError(f"{path}: {error}") from error
        try:
            client, created = provisioning_client_register(
                client_id=options["client_id"],
                name=options["name"],
                key=key,
                ods_codes=options["ods_codes"],
            )
        except RegistrationError as error:
            raise CommandError(str(error)) from error
        codes = ", ".join(client.provisioning_ods_codes) or "any ODS code"
        self.stdout.write(
            f"{'Registered' if created else 'Updated'} provisioning client {client.client_id} "
            f"for {codes}"
        )
