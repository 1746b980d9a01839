"""Make the portal's NHS login client key: the private half stays here, the public half is
what NHS login registers (Federation specification 7.1: a PEM, 2048-bit RSA)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.rsa_keys import jwk_thumbprint, private_key_generate, private_key_write, public_jwk
from core.rsa_keys import public_key_pem as public_pem


class Command(BaseCommand):
    help = (
        "Write a new RSA 2048 private key for NHS login client authentication (mode 0600) and "
        "print its public key as PEM and as a JWK with its kid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out", required=True, type=Path, help="Where to write the private key"
        )
        parser.add_argument(
            "--force", action="store_true", help="Replace an existing key (it cannot be undone)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"]
        if out.exists() and not options["force"]:
            raise CommandError(f"{out} already exists: pass --force to replace it")
        private_key = private_key_generate()
        private_key_write(out, private_key)
        public_key = private_key.public_key()
        kid = jwk_thumbprint(public_key)
        self.stdout.write(f"Private key written to {out} (mode 0600). Keep it secret.\n")
        self.stdout.write("Public key (PEM), to register with NHS login:\n")
        self.stdout.write(public_pem(public_key))
        self.stdout.write(f"Public key (JWK), kid {kid}:\n")
        self.stdout.write(json.dumps(public_jwk(public_key, kid=kid), indent=2))
