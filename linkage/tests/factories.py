"""Factories for the practice register: synthetic NHS numbers in the 999 range only."""

from __future__ import annotations

import datetime

import factory

from accounts.tests.factories import synthetic_nhs_number
from linkage.crypto import linkage_key_encrypt
from linkage.models import LinkageKey, Practice, RegisteredPatient


class PracticeFactory(factory.django.DjangoModelFactory[Practice]):
    class Meta:
        model = Practice
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"Test Practice {n}")
    online_services_live = True


class RegisteredPatientFactory(factory.django.DjangoModelFactory[RegisteredPatient]):
    class Meta:
        model = RegisteredPatient

    practice = factory.SubFactory(PracticeFactory)
    nhs_number = factory.Sequence(lambda n: synthetic_nhs_number(n + 500))
    surname = "O'Brien-Smith"
    given_name = "Ava"
    date_of_birth = datetime.date(1985, 3, 5)


class LinkageKeyFactory(factory.django.DjangoModelFactory[LinkageKey]):
    class Meta:
        model = LinkageKey

    patient = factory.SubFactory(RegisteredPatientFactory)
    practice = factory.SelfAttribute("patient.practice")
    account_id = factory.Sequence(lambda n: f"{5200000000 + n}")
    encrypted_key = factory.LazyFunction(lambda: linkage_key_encrypt("Kp3nV8cT2wJsBqR"))
    created_by = "staff:test"
