"""Rotate the simulator's signing keys: a new key signs, the previous one stays published."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from nhs_login_simulator.keys import keys_rotate, signing_keys


class Command(BaseCommand):
    help = "Add a new signing key to the NHS login simulator and retire the oldest."

    def handle(self, *args: Any, **options: Any) -> None:
        current = keys_rotate()
        published = ", ".join(key.kid for key in signing_keys())
        self.stdout.write(f"Now signing with {current.kid}; published: {published}")
