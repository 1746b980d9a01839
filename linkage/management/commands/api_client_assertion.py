"""Print a fresh client assertion for a linkage API client, to use with curl (see README)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management.base import BaseCommand, CommandError, CommandParser

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
        now = int(time.time())
        claims = {
            "iss": options["client_id"],
            "sub": options["client_id"],
            "aud": token_endpoint_url(),
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        self.stdout.write(jwt.encode(claims, private_key, algorithm="RS512"))
