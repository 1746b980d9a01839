"""Who signs in to the portal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A patient signed in through NHS login, or a member of practice staff using the admin.

    A project-owned user model from the first migration, because Django cannot swap the user
    model once its tables exist; the patient's NHS login identity is added to it with sign-in.
    """


class IdentityProofingLevel(models.TextChoices):
    """NHS login's identity proofing levels (Federation specification 5.1.1)."""

    P0 = "P0", "P0: not checked"
    P5 = "P5", "P5: checked online"
    P9 = "P9", "P9: checked in full"


class Patient(models.Model):
    """A patient as NHS login describes them, keyed on their NHS login ``sub``.

    The ``sub`` is the patient's stable identity at this portal; email addresses change and can
    be shared. Every other field is refreshed from NHS login's claims at each sign-in.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="patient")
    nhs_login_sub = models.CharField(max_length=255, unique=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    # Whether NHS login gave an NHS number at the latest sign-in, at any level: the number is
    # kept from P9 only, but a P5 patient with none is told before proving who they are that
    # this service cannot find their record (accounts/online_services.py). None: signed in
    # before the portal recorded it, so not known to be missing.
    has_nhs_number = models.BooleanField(null=True, default=None)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    birthdate = models.DateField(null=True, blank=True)
    email = models.EmailField(max_length=320, blank=True)
    phone_number = models.CharField(max_length=32, blank=True)
    gp_ods_code = models.CharField(max_length=10, blank=True)
    identity_proofing_level = models.CharField(max_length=2, choices=IdentityProofingLevel)
    vot = models.CharField(max_length=20)
    last_signed_in_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Patient {self.pk}"

    @property
    def identity_verified(self) -> bool:
        return self.identity_proofing_level == IdentityProofingLevel.P9
