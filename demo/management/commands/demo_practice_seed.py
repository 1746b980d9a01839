"""Create the demo practice and its synthetic patients (demo/practice.py), for a laptop or the
one-machine stack; production settings refuse it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from demo.practice import DEMO_ODS_CODE, DemoSeedRefusedError, demo_practice_seed


class Command(BaseCommand):
    help = "Create the demo practice with synthetic patients (never under production settings)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            practice = demo_practice_seed()
        except DemoSeedRefusedError as error:
            raise CommandError(str(error)) from error
        if practice is None:
            self.stdout.write(f"The demo practice {DEMO_ODS_CODE} is already there")
        else:
            self.stdout.write(
                f"Created the demo practice {practice} with {practice.patients.count()} "
                "synthetic patients"
            )
