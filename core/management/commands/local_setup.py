"""Prepare a laptop's portal for `make run`: its NHS login key and registration with the
built-in simulator, a demo practice with synthetic patients that match the simulator's users,
and a linkage API client whose key is in the data directory. Safe to run every time: it
changes nothing that is already in place."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from core.rsa_keys import private_key_generate, private_key_write, rsa_public_key_pem_from
from linkage.audit import Actor, ActorType
from linkage.models import ApiClient, Practice, RegisteredPatient, RegistrationStatus
from linkage.services import api_client_register, linkage_key_load

DEMO_ODS_CODE = "A12345"
DEMO_API_CLIENT_ID = "demo-api-client"
# Synthetic people: NHS numbers in the 999 range with valid check digits. The first two are
# the simulator's P9 and P5 users at the demo practice, with the GP credentials it releases.
DEMO_PATIENTS = (
    ("9990000018", "Thompson", "Ava", date(1985, 3, 5), RegistrationStatus.REGISTERED, False),
    ("9990000034", "Evans", "Chloe", date(2001, 7, 14), RegistrationStatus.REGISTERED, False),
    ("9990000042", "Murphy", "Finn", date(2013, 6, 1), RegistrationStatus.REGISTERED, False),
    ("9990000050", "Lee", "Grace", date(1950, 1, 1), RegistrationStatus.ENDED, True),
    ("9990000069", "Patel", "Hari", date(1979, 9, 9), RegistrationStatus.ENDED, False),
    ("9990000077", "Nowak", "Iga", date(1992, 12, 24), RegistrationStatus.REGISTERED, False),
)
DEMO_KEYS = (
    ("9990000018", "5100000001", "Xw7kQ2mR9tLpZ"),
    ("9990000034", "5100000003", "Hq4nV8cT2wJsB"),
)


class Command(BaseCommand):
    help = "Set up keys, the simulator client, the demo practice and a demo API client."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("local_setup is for local development settings only")
        self._nhs_login_client()
        self._demo_practice()
        self._demo_api_client()

    def _nhs_login_client(self) -> None:
        key_path = Path(settings.NHS_LOGIN_PRIVATE_KEY_PATH)
        if not key_path.exists():
            call_command("nhs_login_keygen", out=key_path, stdout=io.StringIO())
            self.stdout.write(f"Generated the portal's NHS login key at {key_path}")
        if settings.NHS_LOGIN_SIMULATOR_ENABLED:
            # By name, not by import: the product never imports the simulator.
            call_command(
                "nhs_login_simulator_client_register",
                client_id=settings.NHS_LOGIN_CLIENT_ID,
                name="Citizen portal (local)",
                redirect_uris=[f"{settings.PORTAL_BASE_URL}/auth/nhs-login/callback/"],
                public_key=key_path,
                im1=True,
                stdout=self.stdout,
            )

    def _demo_practice(self) -> None:
        practice, created = Practice.objects.get_or_create(
            ods_code=DEMO_ODS_CODE, defaults={"name": "Demo Surgery", "online_services_live": True}
        )
        if not created:
            return
        for nhs_number, surname, given_name, born, status, deceased in DEMO_PATIENTS:
            RegisteredPatient.objects.create(
                practice=practice,
                nhs_number=nhs_number,
                surname=surname,
                given_name=given_name,
                date_of_birth=born,
                registration_status=status,
                deceased=deceased,
            )
        actor = Actor(ActorType.SYSTEM, "manage.py local_setup")
        for nhs_number, account_id, linkage_key in DEMO_KEYS:
            linkage_key_load(
                actor=actor,
                patient=practice.patients.get(nhs_number=nhs_number),
                account_id=account_id,
                linkage_key=linkage_key,
            )
        self.stdout.write(
            f"Created the demo practice {practice} with {len(DEMO_PATIENTS)} patients"
        )

    def _demo_api_client(self) -> None:
        directory = Path(settings.DATA_DIR) / "linkage_api"
        key_path = directory / "demo_client_key.pem"
        if not key_path.exists():
            private_key_write(key_path, private_key_generate())
        public_pem = rsa_public_key_pem_from(key_path.read_bytes())
        client = ApiClient.objects.filter(client_id=DEMO_API_CLIENT_ID).first()
        if client is None:
            api_client_register(
                name="Demo API client",
                client_id=DEMO_API_CLIENT_ID,
                public_key_pem=public_pem,
                jwks_url="",
                scopes=["linkage:read", "linkage:create"],
            )
        elif client.public_key_pem != public_pem:
            client.public_key_pem = public_pem
            client.save(update_fields=["public_key_pem"])
        (directory / "demo_client.json").write_text(
            json.dumps({"client_id": DEMO_API_CLIENT_ID, "private_key": str(key_path)}, indent=2)
        )
