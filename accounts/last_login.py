"""``last_login`` for staff only (docs/adr/0029).

Django records every sign-in in ``User.last_login``, an UPDATE on each. A patient's sign-in
already records itself, in the same transaction that refreshes their profile
(``Patient.last_signed_in_at``, accounts/services.py), and nothing reads a patient's
``last_login``: so it is kept for staff, whose user page in the admin shows it, and not
written again for patients.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest

from accounts.models import Patient


def staff_last_login_update(
    sender: type[Any], request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Django's own update, unless the user is a patient."""
    if isinstance(getattr(user, "patient", None), Patient):
        return
    update_last_login(sender, user, **kwargs)


def last_login_for_staff_only() -> None:
    """In place of django.contrib.auth's receiver (accounts/apps.py)."""
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(staff_last_login_update, dispatch_uid="staff_last_login_update")
