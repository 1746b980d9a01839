"""Register (or update) a relying party with the simulator, as partners do with NHS login."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.rsa_keys import rsa_public_key_pem_from
from nhs_login_simulator.models import Client


def public_key_pem_from_file(path: Path) -> str:
    """Read a public key, or the public half of a private key: only the public half is kept."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read the key file {path}: {error.strerror}") from error
    try:
        return rsa_public_key_pem_from(content)
    except ValueError as error:
        raise CommandError(f"{path}: {error}") from error


def redirect_uri_check(uri: str) -> str:
    """Exact URIs without wildcards, query strings or fragments, as NHS login registers them."""
    if "*" in uri:
        raise CommandError(f"{uri!r}: wildcards are not allowed in redirect URIs")
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise CommandError(f"{uri!r} is not an absolute redirect URI without a query string")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
        raise CommandError(f"{uri!r}: only local development addresses may use http")
    return uri


class Command(BaseCommand):
    help = "Register a client with the NHS login simulator (client id, redirect URIs, public key)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--name", help="Shown on the simulator's sign-in page")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            help="Repeat for several (at most 10)",
        )
        parser.add_argument(
            "--public-key",
            required=True,
            type=Path,
            help="PEM public key, or a private key whose public half is registered",
        )
        parser.add_argument(
            "--im1", action="store_true", help="May receive gp_integration_credentials"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        redirect_uris = [redirect_uri_check(uri) for uri in options["redirect_uris"]]
        if len(redirect_uris) > 10:
            raise CommandError("NHS login accepts at most 10 redirect URIs per client")
        client, created = Client.objects.update_or_create(
            client_id=options["client_id"],
            defaults={
                "name": options["name"] or options["client_id"],
                "redirect_uris": redirect_uris,
                "public_key_pem": public_key_pem_from_file(options["public_key"]),
                "im1_enabled": options["im1"],
            },
        )
        verb = "Registered" if created else "Updated"
        self.stdout.write(
            f"{verb} client {client.client_id} with {len(redirect_uris)} redirect URI(s)"
        )
