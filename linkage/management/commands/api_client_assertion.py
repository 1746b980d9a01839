"""Print a fresh client assertion for a linkage API client, to use with curl (see README)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.client_assertion_signing import client_assertion_sign
from linkage.api_auth import token_endpoint_url


class Command(BaseCommand):
    help = "Sign a one-minute RS512 client assertion for POST /api/oauth2/token and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--private-key", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            private_key = serialization.load_pem_private_key(
                options["private_key"].read_bytes(), password=None
            )
        except (OSError, ValueError, TypeError) as error:
            raise CommandError(
                f"{options['private_key']} is not a readable PEM private key"
            ) from error
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise CommandError("The key must be an RSA private key")
        self.stdout.write(
            client_assertion_sign(
                private_key=private_key,
                client_id=options["client_id"],
                audience=token_endpoint_url(),
            )
        )
