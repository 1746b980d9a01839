"""Register a system (NHS login, above all) allowed to call the linkage API."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linkage.api_clients.registration import (
    ApiClientDetails,
    api_client_change,
    api_client_register,
)
from linkage.management.operator import operator_actor
from linkage.models import API_SCOPES, ApiClient


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
        parser.add_argument(
            "--update-if-registered",
            action="store_true",
            help="With --client-id: a client already registered under it is brought up to "
            "these details (audited as a change) instead of refused, so that a deployment's "
            "start-up can run this every time",
        )
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
        details: ApiClientDetails = {
            "name": options["name"],
            "public_key_pem": public_key_pem,
            "jwks_url": options["jwks_url"] or "",
            "scopes": scopes,
            "ods_codes": ods_codes,
            "all_practices": options["all_practices"],
        }
        registered = ApiClient.objects.filter(client_id=options["client_id"] or "").first()
        if options["update_if_registered"] and not options["client_id"]:
            raise CommandError("--update-if-registered needs the --client-id to look for")
        try:
            if options["update_if_registered"] and registered is not None:
                client = api_client_change(
                    actor=operator_actor("api_client_create", options),
                    client=registered,
                    client_id=registered.client_id,
                    enabled=registered.enabled,
                    **details,
                )
            else:
                client = api_client_register(
                    client_id=options["client_id"] or str(uuid.uuid4()), **details
                )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(client.client_id)
