"""Prepare a laptop's portal for `make run`: its NHS login key, and its registration with the
built-in simulator. Safe to run every time: it changes nothing that is already in place."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Generate the local NHS login key and register the portal with the simulator."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("local_setup is for local development settings only")
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
            )
