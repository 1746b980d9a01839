"""Print the public key the simulator signs its linkage API client assertions with (made on
first use), for registering the simulator as a client of a GP system's linkage API, as NHS
login is registered with each GP system (docs/adr/0026). Only the public half leaves the key
directory. `manage.py local_setup` registers it with this portal by calling this command by
name; for another GP system, pass the file to its registration (`api_client_create
--public-key FILE --all-practices` on another portal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.rsa_keys import public_key_pem
from nhs_login_simulator.keys import linkage_client_private_key


class Command(BaseCommand):
    help = (
        "Print (or write to --out) the PEM public key of the simulator's linkage API client; "
        "its client id is NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, help="Write the public key to this file instead")

    def handle(self, *args: Any, **options: Any) -> None:
        pem = public_key_pem(linkage_client_private_key().public_key())
        out: Path | None = options["out"]
        if out is None:
            self.stdout.write(pem, ending="")
            return
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(pem)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from error
        self.stdout.write(
            f"Wrote the public key of client {settings.NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID} "
            f"to {out}"
        )
