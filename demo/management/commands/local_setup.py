"""Prepare a laptop's portal for `make run`: its NHS login key and registration with the
built-in simulator, a demo practice with synthetic patients that match the simulator's users,
a linkage API client and an IM1 partner whose keys are in the data directory, the simulator
registered as a linkage API client of the portal, as NHS login is of a GP system
(docs/adr/0026), the portal registered as the simulator's account provisioning client
(docs/provisioning.md), a member of the demo practice's staff whose sign-in it prints and,
with DEBUG off, the static files collected as production serves them. Safe to run every
time: it changes nothing that is already in place."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.sign_in_flow import vtr_sets_sent
from core.rsa_keys import private_key_generate, private_key_write, rsa_public_key_pem_from
from core.secret_files import secret_file_write
from demo.practice import DEMO_ODS_CODE, demo_practice_seed
from linkage.api_clients.registration import api_client_register
from linkage.models import ApiClient, Practice
from linkage.practice_staff import (
    practice_staff_create,
    practice_staff_provisioning_grant,
    staff_password_generate,
)

DEMO_API_CLIENT_ID = "demo-api-client"
DEMO_IM1_PARTNER_ID = "demo-im1-partner"
DEMO_STAFF_USERNAME = "demo-reception"
# The IM1 app as NHS login knows it: a relying party that may receive gp_integration_credentials
# (scripts/im1_partner_demo.py signs in as it). Its redirect URI is never served: the demo
# reads the code from the redirect itself.
DEMO_IM1_APP_ID = "demo-im1-app"
DEMO_IM1_APP_REDIRECT_URI = "https://demo-im1-app.example.org/callback"


class Command(BaseCommand):
    help = (
        "Set up keys, the simulator client, the demo practice, a demo API client and IM1 partner."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LOCAL_SETUP_ALLOWED:
            raise CommandError("local_setup is for local development settings only")
        self._nhs_login_client()
        self._demo_practice()
        self._demo_api_client()
        # An IM1 partner, to try pairing with a demo patient's linkage details (docs/im1-api.md).
        self._demo_api_client(
            client_id=DEMO_IM1_PARTNER_ID,
            name="Demo IM1 partner",
            scopes=("im1:pair",),
            file_stem="demo_im1_partner",
        )
        self._simulator_linkage_client()
        self._demo_im1_app()
        self._provisioning_client()
        self._demo_staff_member()
        self._static_files()

    def _static_files(self) -> None:
        """With DEBUG off the portal serves static files as production does, from the hashed
        copies collectstatic makes (whitenoise's manifest storage): a page naming a file not
        collected would be a 500. Collected afresh at every `make run`, as a deployment does
        at every build; with DEBUG on they are served from the checkout."""
        if settings.DEBUG:
            return
        call_command("collectstatic", interactive=False, verbosity=0, stdout=io.StringIO())
        self.stdout.write(f"DEBUG is off: collected the static files into {settings.STATIC_ROOT}")

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

    def _demo_im1_app(self) -> None:
        """The demo IM1 partner's app, registered with the simulator as NHS login registers an
        IM1-enabled partner, with a key of its own (not the one it calls the portal with)."""
        if not settings.NHS_LOGIN_SIMULATOR_ENABLED:
            return
        key_path = Path(settings.DATA_DIR) / "nhs_login" / "demo_im1_app_key.pem"
        if not key_path.exists():
            private_key_write(key_path, private_key_generate())
        call_command(
            "nhs_login_simulator_client_register",
            client_id=DEMO_IM1_APP_ID,
            name="Demo IM1 app",
            redirect_uris=[DEMO_IM1_APP_REDIRECT_URI],
            public_key=key_path,
            im1=True,
            scopes="openid profile gp_registration_details gp_integration_credentials",
            stdout=io.StringIO(),
        )

    def _provisioning_client(self) -> None:
        """The portal as a provisioning client of the simulator (docs/provisioning.md): its
        key, made here the first time, and its registration for the demo practice, by the
        simulator's command called by name."""
        if not settings.NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH:
            return
        key_path = Path(settings.NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH)
        if not key_path.exists():
            private_key_write(key_path, private_key_generate())
            self.stdout.write(f"Generated the portal's NHS login provisioning key at {key_path}")
        if settings.NHS_LOGIN_SIMULATOR_ENABLED:
            call_command(
                "nhs_login_simulator_provisioning_client_register",
                client_id=settings.NHS_LOGIN_PROVISIONING_CLIENT_ID,
                name="Citizen portal (local)",
                public_key=key_path,
                ods_codes=[DEMO_ODS_CODE],
                stdout=self.stdout,
            )

    def _demo_practice(self) -> None:
        practice = demo_practice_seed()
        if practice is not None:
            self.stdout.write(f"Created the demo practice {practice} and its register")

    def _demo_api_client(
        self,
        *,
        client_id: str = DEMO_API_CLIENT_ID,
        name: str = "Demo API client",
        scopes: tuple[str, ...] = ("linkage:read", "linkage:create"),
        file_stem: str = "demo_client",
    ) -> None:
        directory = Path(settings.DATA_DIR) / "linkage_api"
        key_path = directory / f"{file_stem}_key.pem"
        if not key_path.exists():
            private_key_write(key_path, private_key_generate())
        public_pem = rsa_public_key_pem_from(key_path.read_bytes())
        client = ApiClient.objects.filter(client_id=client_id).first()
        if client is None:
            # Bound to the demo practice only, as a real client is bound to those it serves.
            api_client_register(
                name=name,
                client_id=client_id,
                public_key_pem=public_pem,
                jwks_url="",
                scopes=list(scopes),
                ods_codes=[DEMO_ODS_CODE],
            )
        else:
            _public_key_kept(client, public_pem)
            if not client.all_practices and not client.practices.exists():
                # Registered before clients were bound to practices (docs/adr/0007).
                client.practices.add(Practice.objects.get(ods_code=DEMO_ODS_CODE))
        (directory / f"{file_stem}.json").write_text(
            json.dumps({"client_id": client_id, "private_key": str(key_path)}, indent=2)
        )

    def _demo_staff_member(self) -> None:
        """A receptionist at the demo practice, printed at every start so that the admin is a
        sign-in away. The password is made on this laptop the first time and kept in the data
        directory (mode 0600), never in the repository; a password changed since, or a
        database made afresh, gets the one in the file again."""
        password_path = Path(settings.DATA_DIR) / "demo_staff_password"
        if not password_path.exists():
            secret_file_write(password_path, staff_password_generate().encode())
        password = password_path.read_text().strip()
        user = User.objects.filter(username=DEMO_STAFF_USERNAME).first()
        if user is None:
            practice_staff_create(
                username=DEMO_STAFF_USERNAME,
                ods_code=DEMO_ODS_CODE,
                password=password,
                first_name="Sam",
                last_name="Taylor",
            )
        else:
            if not user.check_password(password):
                user.set_password(password)
                user.save(update_fields=["password"])
            # Made before provisioning existed: given it as a new member of staff is.
            practice_staff_provisioning_grant(user)
        self.stdout.write(
            "Practice staff sign-in for the demo practice (this laptop only):\n"
            f"  {settings.PORTAL_BASE_URL}/admin/  username {DEMO_STAFF_USERNAME}  "
            f"password {password}  (kept in {password_path})"
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
                # NHS login's two scopes of the linkage API; never IM1 pairing.
                scopes=["linkage:read", "linkage:create"],
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
