"""Who signs in to the portal."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A patient signed in through NHS login, or a member of practice staff using the admin.

    A project-owned user model from the first migration, because Django cannot swap the user
    model once its tables exist; the patient's NHS login identity is added to it with sign-in.
    """
