"""Staff's second factor for the admin: a time-based one-time code (TOTP, RFC 6238) from an
authenticator app, kept and checked by django-otp's TOTP devices.

A member of staff has at most one confirmed device. One without sets it up at their first
sign-in: the portal makes an unconfirmed device for that browser session, shows its key as a
QR code and as text, and confirms it only with a code the app made from it. Every check goes
through django-otp's ``verify_token``, which refuses a code already used (``last_t``) and
throttles wrong codes per device, each doubling the wait before the next is checked
(``OTP_TOTP_THROTTLE_FACTOR``). Superusers reset a device in admin; the member of staff then
sets up a new one at their next request (docs/adr/0011).
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime

import segno
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class CodeRefused:
    """The code was not accepted: wrong (or used already), or not checked at all because the
    device is throttled until ``wait_until``."""

    wait_until: datetime | None = None


def staff_totp_device_of(*, user: User) -> TOTPDevice | None:
    """The staff member's confirmed device, if they have set one up."""
    device: TOTPDevice | None = (
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    )
    return device


def staff_totp_enrolment_start(*, user: User, device_id: int | None) -> TOTPDevice:
    """The unconfirmed device this browser session is setting up (``device_id``, kept in its
    session), or a new one. A new one replaces any other unconfirmed device of the user, so a
    key someone else was shown is never the one confirmed here."""
    device: TOTPDevice | None = TOTPDevice.objects.filter(
        pk=device_id, user=user, confirmed=False
    ).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _refusal(device: TOTPDevice, token: str) -> CodeRefused | None:
    """None if ``token`` is the device's code now; a throttled device checks nothing."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeRefused(wait_until=(details or {}).get("locked_until"))
    if device.verify_token(token):
        return None
    return CodeRefused()


def staff_totp_enrolment_confirm(
    *, user: User, device_id: int | None, token: str
) -> TOTPDevice | CodeRefused:
    """Confirm the device being set up with a code made from its key; refused if it is not
    this user's unconfirmed device, or the user has confirmed another one meanwhile."""
    with transaction.atomic():
        device: TOTPDevice | None = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device_id, user=user, confirmed=False)
            .first()
        )
        if device is None or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return CodeRefused()
        if refusal := _refusal(device, token):
            return refusal
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device


def staff_totp_verify(*, user: User, token: str) -> TOTPDevice | CodeRefused:
    """Check a code against the staff member's confirmed device, the row locked so that two
    tries at once cannot both slip under the throttle."""
    with transaction.atomic():
        device: TOTPDevice | None = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            return CodeRefused()
        if refusal := _refusal(device, token):
            return refusal
    return device


def staff_two_factor_reset(*, user: User) -> int:
    """Remove the staff member's devices: their next admin request asks them to set up a new
    one, and a session verified with the old one is verified no longer."""
    count: int = TOTPDevice.objects.filter(user=user).delete()[0]
    return count


def totp_key_display(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in: base32, in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_qr_code_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URI as an inline SVG QR code: drawn here, no image fetched
    from anywhere, and no inline style for the Content Security Policy to refuse."""
    svg: str = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=4, title="QR code of the key for your authenticator app"
    )
    return svg
