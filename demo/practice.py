"""The demo practice `make run` sets up: synthetic patients (NHS numbers in the 999 range with
valid check digits) that match the NHS login simulator's test users, so a newcomer can sign in
and see linkage details straight away.

``DEMO_ODS_CODE`` is its code everywhere (the set-up commands, the benchmark); the simulator's
users (nhs_login_simulator/test_users.json) are registered there."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from linkage.audit import Actor, ActorType
from linkage.models import Practice, RegisteredPatient, RegistrationStatus
from linkage.services import linkage_key_load

DEMO_ODS_CODE = "A12345"
DEMO_PATIENTS = (
    # The simulator's P9 user, whose key below it retrieves as their GP credentials.
    ("9990000018", "Thompson", "Ava", date(1985, 3, 5), RegistrationStatus.REGISTERED, False),
    # The simulator's P5 user: no key yet, so they can create one after stepping up.
    ("9990000034", "Evans", "Chloe", date(2001, 7, 14), RegistrationStatus.REGISTERED, False),
    ("9990000042", "Murphy", "Finn", date(2013, 6, 1), RegistrationStatus.REGISTERED, False),
    ("9990000050", "Lee", "Grace", date(1950, 1, 1), RegistrationStatus.ENDED, True),
    ("9990000069", "Patel", "Hari", date(1979, 9, 9), RegistrationStatus.ENDED, False),
    ("9990000077", "Nowak", "Iga", date(1992, 12, 24), RegistrationStatus.REGISTERED, False),
    # No NHS login yet: staff provision one for him (docs/provisioning.md), as the simulator's
    # PDS stand-in knows him (nhs_login_simulator/pds_records.json).
    ("9990000107", "Jones", "Kai", date(1988, 4, 2), RegistrationStatus.REGISTERED, False),
)
DEMO_KEYS = (("9990000018", "5100000001", "Xw7kQ2mR9tLpZ"),)


class DemoSeedRefusedError(Exception):
    """The demo practice asked for where only real patients belong (production settings)."""


def demo_practice_seed() -> Practice | None:
    """Create the demo practice, its register and its keys; None if it exists already.

    Refused unless the settings allow it (``DEMO_SEED_ALLOWED``: laptop, tests and the
    one-machine stack, never production), so synthetic patients and a published linkage key
    can never reach a real practice register."""
    if not settings.DEMO_SEED_ALLOWED:
        raise DemoSeedRefusedError(
            "The demo practice is for a laptop, the tests and the one-machine stack only; "
            "these settings (production) never seed it"
        )
    practice, created = Practice.objects.get_or_create(
        ods_code=DEMO_ODS_CODE, defaults={"name": "Demo Surgery", "online_services_live": True}
    )
    if not created:
        return None
    RegisteredPatient.objects.bulk_create(
        RegisteredPatient(
            practice=practice,
            nhs_number=nhs_number,
            surname=surname,
            given_name=given_name,
            date_of_birth=born,
            registration_status=status,
            deceased=deceased,
        )
        for nhs_number, surname, given_name, born, status, deceased in DEMO_PATIENTS
    )
    actor = Actor(ActorType.SYSTEM, "demo practice set-up")
    for nhs_number, account_id, linkage_key in DEMO_KEYS:
        linkage_key_load(
            actor=actor,
            patient=practice.patients.get(nhs_number=nhs_number),
            account_id=account_id,
            linkage_key=linkage_key,
        )
    return practice
