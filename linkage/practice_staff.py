"""Practice staff accounts: a member of staff who signs in to the admin and reaches their
practice's register, linkage keys and audit (docs/adr/0013).

What lets a member of staff in is ``is_staff`` (the admin lets them sign in) and a
``PracticeStaff`` membership (``linkage.selectors.practices_of``, from which every
practice-scoped admin page answers its permissions). Changing a key needs more: issuing,
reissuing and revoking are each a permission of their own (docs/adr/0024), which a new member
of staff is given unless made without them (``key_actions=False``, the command's
``--no-key-actions``): a receptionist who may read the register but change no key. So is
asking NHS login to provision a patient's account (docs/provisioning.md; ``provisioning=False``,
``--no-provisioning``).

An operator makes one with ``manage.py practice_staff_create``, `make run` makes the demo
practice's (demo/management/commands/local_setup.py): both through ``practice_staff_create``,
so the rules below exist once. Neither is a write through the portal, so, as for API clients
registered on the command line (``api_client_register``), no audit event is written; a
superuser's grants in the admin are kept in the admin's own history.
"""

from __future__ import annotations

import secrets
import string

from django.contrib.auth import password_validation
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from core.nhs_identifiers import InvalidValueError, ods_code_normalise
from linkage.models import Practice, PracticeStaff

# Read aloud and typed from paper: lower case, and no 0 o 1 i l.
_READABLE = "".join(c for c in string.ascii_lowercase + string.digits if c not in "0o1il")


def staff_password_generate() -> str:
    """A first password to hand over in person (``xxxx-xxxx-xxxx-xxxx``, some 79 bits)."""
    groups = ("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


# What a practice's staff may do to keys besides showing them (docs/adr/0024): each its own
# permission, so that a practice can have staff who read the register but change no key.
KEY_ACTION_PERMISSIONS = ("issue_linkagekey", "reissue_linkagekey", "revoke_linkagekey")


def practice_staff_key_actions_grant(user: User) -> None:
    """Let ``user`` issue, reissue and revoke keys at the practices they belong to."""
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="linkage", codename__in=KEY_ACTION_PERMISSIONS
        )
    )


# Asking NHS login to provision a patient's account (docs/provisioning.md): a permission of
# the provisioning app, named here by app label and codename only.
PROVISIONING_PERMISSION = ("provisioning", "provision_nhs_login")


def practice_staff_provisioning_grant(user: User) -> None:
    """Let ``user`` provision NHS login accounts for the patients of their practices."""
    app_label, codename = PROVISIONING_PERMISSION
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    )


class PracticeStaffError(ValueError):
    """Why no member of staff was created, in words for the operator; nothing was written."""


def practice_staff_create(
    *,
    username: str,
    ods_code: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    key_actions: bool = True,
    provisioning: bool = True,
) -> User:
    """A new member of staff of the practice with that ODS code, allowed to issue, reissue and
    revoke its patients' keys unless ``key_actions`` is off, and to provision its patients'
    NHS login accounts unless ``provisioning`` is off (docs/provisioning.md), able to sign in
    to the admin with ``password`` (checked by AUTH_PASSWORD_VALIDATORS) and, where the
    settings ask for it, to set up their authenticator app at their first sign-in
    (docs/adr/0011). Raises
    PracticeStaffError for an unknown practice, a username taken (in any case: "JSmith" and
    "jsmith" are one person to the people reading the audit) or a password refused."""
    username = username.strip()
    try:
        User.username_validator(username)
    except ValidationError as error:
        reason = " ".join(error.messages)
        raise PracticeStaffError(f"The username is not allowed: {reason}") from error
    try:
        code = ods_code_normalise(ods_code)
    except InvalidValueError as error:
        raise PracticeStaffError(str(error)) from error
    practice = Practice.objects.filter(ods_code=code).first()
    if practice is None:
        raise PracticeStaffError(f"No practice with the ODS code {code} uses this system")
    if User.objects.filter(username__iexact=username).exists():
        raise PracticeStaffError(
            f"A user named {username} exists already: nothing was changed. A superuser adds "
            "an existing user to a practice in the admin (Practice staff members)."
        )
    user = User(
        username=username,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=User.objects.normalize_email(email.strip()),
        is_staff=True,
    )
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as error:
        reason = " ".join(error.messages)
        raise PracticeStaffError(f"The password is not allowed: {reason}") from error
    user.set_password(password)
    with transaction.atomic():
        user.save()
        PracticeStaff.objects.create(user=user, practice=practice)
        if key_actions:
            practice_staff_key_actions_grant(user)
        if provisioning:
            practice_staff_provisioning_grant(user)
    return user
