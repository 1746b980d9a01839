"""Test support shared by every app's tests, imported as ``tests.support`` (fixtures stay in
conftest.py, which pytest finds by itself; what a test imports by name lives here)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.staff_two_factor import staff_totp_device_of
from demo.practice import DEMO_ODS_CODE

# The practice most tests work at is the demo practice, whose register the simulator's users
# match; the other is one no simulator user belongs to.
THIS_PRACTICE = DEMO_ODS_CODE
OTHER_PRACTICE = "B23456"


@dataclass(frozen=True)
class NhsLoginLive:
    """The portal and the simulator on one live server, the portal registered as a client."""

    base_url: str
    issuer: str
    client_id: str
    private_key_path: Path


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the staff member's authenticator app shows now (or ``steps_ahead`` time steps
    later: a code is accepted once, and the device accepts the next step's too)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def two_factor_passed(client: Client, user: User) -> TOTPDevice:
    """Give ``user`` a confirmed authenticator app and mark the client's session as having
    entered its code, as the admin's second step does (django_otp.login). The one way tests
    reach the admin past that step: the step itself stays on and is tested as on
    (accounts/tests/test_two_factor.py)."""
    device = staff_totp_device_of(user=user) or TOTPDevice.objects.create(
        user=user, name="Test authenticator", confirmed=True
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def staff_signed_in(user: User) -> Client:
    """A browser signed in to the admin as ``user``, password and security code both given."""
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if user.is_staff:
        two_factor_passed(client, user)
    return client
