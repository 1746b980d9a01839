"""Register a system (NHS login, above all) allowed to call the linkage API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linkage.api_clients.registration import api_client_register
from linkage.models import API_SCOPES


class Command(BaseCommand):
    help = (
        "Register a linkage API client with its public key, scopes and the practices it serves;"
        " prints its client id."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--public-key", type=Path, help="PEM public (or private) key")
        parser.add_argument("--jwks-url", help="Where the client publishes its keys instead")
        parser.add_argument(
            "--scopes", required=True, help=f"Comma-separated: {','.join(API_SCOPES)}"
        )
        parser.add_argument("--client-id", help="Default: a new random id")
        binding = parser.add_mutually_exclusive_group(required=True)
        binding.add_argument(
            "--practices",
            help="Comma-separated ODS codes of the practices the client serves, e.g. A12345,B23456",
        )
        binding.add_argument(
            "--all-practices",
            action="store_true",
            help="The client serves every practice on this system (NHS login, say)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scopes = [scope.strip() for scope in options["scopes"].split(",") if scope.strip()]
        ods_codes = [code.strip() for code in (options["practices"] or "").split(",")]
        ods_codes = [code for code in ods_codes if code]
        if options["practices"] is not None and not ods_codes:
            raise CommandError("--practices needs at least one ODS code")
        public_key_pem = ""
        if options["public_key"]:
            try:
                public_key_pem = options["public_key"].read_text()
            except OSError as error:
                raise CommandError(
                    f"Cannot read {options['public_key']}: {error.strerror}"
                ) from error
            except UnicodeDecodeError as error:
                raise CommandError(f"{options['public_key']} is not a PEM text file") from error
        try:
            client = api_client_register(
                name=options["name"],
                client_id=options["client_id"] or str(uuid.uuid4()),
                public_key_pem=public_key_pem,
                jwks_url=options["jwks_url"] or "",
                scopes=scopes,
                ods_codes=ods_codes,
                all_practices=options["all_practices"],
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(client.client_id)
