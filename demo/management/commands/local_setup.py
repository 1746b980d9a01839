"""Prepare a laptop's portal for `make run`: its NHS login key and registration with the
built-in simulator, a demo practice with synthetic patients that match the simulator's users,
a linkage API client whose key is in the data directory, and the simulator registered as a
linkage API client of the portal, as NHS login is of a GP system (docs/adr/0026). Safe to run
every time: it changes nothing that is already in place."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.sign_in_flow import vtr_sets_sent
from core.rsa_keys import private_key_generate, private_key_write, rsa_public_key_pem_from
from demo.practice import DEMO_ODS_CODE, demo_practice_seed
from linkage.api_clients.registration import api_client_register
from linkage.models import API_SCOPES, ApiClient, Practice

DEMO_API_CLIENT_ID = "demo-api-client"


class Command(BaseCommand):
    help = "Set up keys, the simulator client, the demo practice and a demo API client."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("local_setup is for local development settings only")
        self._nhs_login_client()
        self._demo_practice()
        self._demo_api_client()
        self._simulator_linkage_client()

    def _nhs_login_client(self) -> None:
        key_path = Path(settings.NHS_LOGIN_PRIVATE_KEY_PATH)
        if not key_path.exists():
            call_command("nhs_login_keygen", out=key_path, stdout=io.StringIO())
            self.stdout.write(f"Generated the portal's NHS login key at {key_path}")
        if settings.NHS_LOGIN_SIMULATOR_ENABLED:
            # By name, not by import: the product never imports the simulator.
            # As NHS login registers a partner: its scopes and every vtr set the portal sends.
            call_command(
                "nhs_login_simulator_client_register",
                client_id=settings.NHS_LOGIN_CLIENT_ID,
                name="Citizen portal (local)",
                redirect_uris=[f"{settings.PORTAL_BASE_URL}/auth/nhs-login/callback/"],
                public_key=key_path,
                im1=True,
                scopes=settings.NHS_LOGIN_SCOPES,
                vtr_sets=vtr_sets_sent(),
                stdout=self.stdout,
            )

    def _demo_practice(self) -> None:
        practice = demo_practice_seed()
        if practice is not None:
            self.stdout.write(f"Created the demo practice {practice} and its register")

    def _demo_api_client(self) -> None:
        directory = Path(settings.DATA_DIR) / "linkage_api"
        key_path = directory / "demo_client_key.pem"
        if not key_path.exists():
            private_key_write(key_path, private_key_generate())
        public_pem = rsa_public_key_pem_from(key_path.read_bytes())
        client = ApiClient.objects.filter(client_id=DEMO_API_CLIENT_ID).first()
        if client is None:
            # Bound to the demo practice only, as a real client is bound to those it serves.
            api_client_register(
                name="Demo API client",
                client_id=DEMO_API_CLIENT_ID,
                public_key_pem=public_pem,
                jwks_url="",
                scopes=list(API_SCOPES),
                ods_codes=[DEMO_ODS_CODE],
            )
        else:
            _public_key_kept(client, public_pem)
            if not client.all_practices and not client.practices.exists():
                # Registered before clients were bound to practices (docs/adr/0007).
                client.practices.add(Practice.objects.get(ods_code=DEMO_ODS_CODE))
        (directory / "demo_client.json").write_text(
            json.dumps({"client_id": DEMO_API_CLIENT_ID, "private_key": str(key_path)}, indent=2)
        )

    def _simulator_linkage_client(self) -> None:
        """The simulator asks the portal for a user's GP credentials as NHS login asks the GP
        system: a client of every practice, reading and creating linkage keys. Its key is made
        in the simulator's key directory; only the public half is read, by calling its command
        by name (the product never imports the simulator)."""
        if not settings.NHS_LOGIN_SIMULATOR_ENABLED:
            return
        printed = io.StringIO()
        call_command("nhs_login_simulator_linkage_key", stdout=printed)
        public_pem = rsa_public_key_pem_from(printed.getvalue().encode())
        client_id = settings.NHS_LOGIN_SIMULATOR_LINKAGE_CLIENT_ID
        client = ApiClient.objects.filter(client_id=client_id).first()
        if client is None:
            api_client_register(
                name="NHS login simulator",
                client_id=client_id,
                public_key_pem=public_pem,
                jwks_url="",
                scopes=list(API_SCOPES),
                all_practices=True,
            )
            self.stdout.write(
                f"Registered the NHS login simulator as linkage API client {client_id}"
            )
        else:
            _public_key_kept(client, public_pem)


def _public_key_kept(client: ApiClient, public_pem: str) -> None:
    """A client's registered key follows its key file, which a new data directory remakes
    (the token endpoint reads the key from the row at each request)."""
    if client.public_key_pem != public_pem:
        client.public_key_pem = public_pem
        client.save(update_fields=["public_key_pem"])
