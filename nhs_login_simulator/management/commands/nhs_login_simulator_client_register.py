"""Register (or update) a relying party with the simulator, as partners do with NHS login: its
redirect URIs, its public key, the scopes and ``vtr`` sets it may send, and the clients it
shares single sign-on with. Everything registered before for the client is replaced."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from nhs_login_simulator.clients import (
    ClientKey,
    RegistrationError,
    client_key_from_jwk,
    client_key_from_pem,
    client_register,
)


def _key_from_file(path: Path, parse: Callable[[bytes], ClientKey]) -> ClientKey:
    """Only the public half of a key file is kept, whichever half it holds."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CommandError(f"Cannot read the key file {path}: {error.strerror}") from error
    try:
        return parse(content)
    except ValueError as error:
        raise CommandError(f"{path}: {error}") from error


class Command(BaseCommand):
    help = (
        "Register a client with the NHS login simulator: client id, redirect URIs, public key "
        "(PEM, no kid; or a JWK with a kid), scopes, vtr sets and single sign-on partners."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--name", help="Shown on the simulator's sign-in and consent pages")
        # Checked in handle(), not by argparse: call_command then takes a list of several.
        parser.add_argument(
            "--redirect-uri",
            action="append",
            default=[],
            dest="redirect_uris",
            help="Required; repeat for several (at most 10)",
        )
        key = parser.add_mutually_exclusive_group(required=True)
        key.add_argument(
            "--public-key",
            type=Path,
            help="PEM public key, or a private key whose public half is registered; no kid",
        )
        key.add_argument(
            "--jwk", type=Path, help="An RSA JWK (JSON) with a kid; assertions may name it"
        )
        parser.add_argument(
            "--im1", action="store_true", help="May receive gp_integration_credentials"
        )
        parser.add_argument(
            "--scopes",
            default="openid",
            help='Space-separated scopes the client may ask for (default "openid")',
        )
        parser.add_argument(
            "--vtr",
            action="append",
            default=[],
            dest="vtr_sets",
            help="A JSON array of vectors the client may send as vtr; repeat for each set "
            '(default the one NHS login assumes: ["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"])',
        )
        parser.add_argument(
            "--sso-with",
            action="append",
            default=[],
            dest="sso_with",
            metavar="CLIENT_ID",
            help="A registered client to share single sign-on with (asserted_login_identity); "
            "repeat for several",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["redirect_uris"]:
            raise CommandError("Give at least one --redirect-uri")
        if options["jwk"] is not None:
            key = _key_from_file(options["jwk"], client_key_from_jwk)
        else:
            key = _key_from_file(options["public_key"], client_key_from_pem)
        scopes = options["scopes"]
        try:
            client, created = client_register(
                client_id=options["client_id"],
                name=options["name"] or "",
                redirect_uris=options["redirect_uris"],
                key=key,
                im1_enabled=options["im1"],
                scopes=scopes.split() if isinstance(scopes, str) else list(scopes),
                vtr_sets=[
                    vtr if isinstance(vtr, str) else json.dumps(list(vtr))
                    for vtr in options["vtr_sets"]
                ],
                sso_with=options["sso_with"],
            )
        except RegistrationError as error:
            raise CommandError(str(error)) from error
        verb = "Registered" if created else "Updated"
        key_kind = f"a JWK (kid {client.key_id})" if client.key_id else "a PEM key (no kid)"
        vtr = "; ".join(json.dumps(vtr_set, separators=(",", ":")) for vtr_set in client.vtr_sets)
        self.stdout.write(
            f"{verb} client {client.client_id} with {len(client.redirect_uris)} redirect "
            f"URI(s) and {key_kind}\n"
            f"  scopes: {' '.join(client.scopes)}\n"
            f"  vtr: {vtr}"
        )
        partners = sorted(client.sso_partners.values_list("client_id", flat=True))
        if partners:
            self.stdout.write(f"  single sign-on with: {', '.join(partners)}")
