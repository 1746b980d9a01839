"""The simulator's users: its test users, read from ``test_users.json`` (synthetic data only),
and the accounts provisioned through its Provision Account endpoint once their users have
claimed them (nhs_login_simulator/provisioning.py): a new account at P9, or a test user
uplifted to P9 with the provisioning practice's details."""

from __future__ import annotations

import dataclasses
import hmac
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password

from nhs_login_simulator import vectors
from nhs_login_simulator.models import ProvisionedAccount

TEST_USERS_FILE = Path(__file__).resolve().parent / "test_users.json"


@dataclass(frozen=True)
class SimulatedUser:
    id: str
    label: str
    email: str
    password: str = field(repr=False)
    sub: str
    identity_proofing_level: str
    methods: frozenset[str]
    claims: dict[str, Any] = field(hash=False)

    def achievable_vectors(self, level: str | None = None) -> list[str]:
        """Every vector NHS login offers that this user can reach at the given level."""
        rank = vectors.level_rank(level or self.identity_proofing_level)
        return sorted(
            vector
            for vector in vectors.ALLOWED_VECTORS
            if vectors.Vector.parse(vector).rank <= rank
            and vectors.Vector.parse(vector).components <= self.methods
        )


PROVISIONED_PREFIX = "provisioned-"
# A provisioned account is verified by the provisioner, face to face: P9 with a password
# and a passcode to the phone the practice gave (Cp.Cd).
PROVISIONED_METHODS = frozenset({"Cp", "Cd"})


@cache
def file_users() -> tuple[SimulatedUser, ...]:
    document = json.loads(TEST_USERS_FILE.read_text())
    return tuple(
        SimulatedUser(
            id=entry["id"],
            label=entry["label"],
            email=entry["email"],
            password=entry["password"],
            sub=entry["sub"],
            identity_proofing_level=entry["identity_proofing_level"],
            methods=frozenset(entry["methods"]),
            claims=entry["claims"],
        )
        for entry in document["users"]
    )


def provisioned_claims(
    account: ProvisionedAccount, *, given_name: str, family_name: str
) -> dict[str, Any]:
    """What NHS login holds of a provisioned user once they claim the account: the details the
    practice sent, the names from PDS, all verified."""
    return {
        "nhs_number": account.nhs_number,
        "given_name": given_name,
        "family_name": family_name,
        "birthdate": account.date_of_birth,
        "email_verified": True,
        "phone_number": account.phone_number,
        "phone_number_verified": True,
        "phone_number_pds_matched": True,
        "gp_registration_details": {"gp_ods_code": account.ods_code},
    }


def _claimed() -> list[ProvisionedAccount]:
    return list(ProvisionedAccount.objects.filter(claimed_at__isnull=False).order_by("claimed_at"))


def _with_provisioning(user: SimulatedUser, claimed: list[ProvisionedAccount]) -> SimulatedUser:
    """A test user as their last claimed uplift left them: P9, with the practice's details."""
    uplift = next(
        (a for a in reversed(claimed) if a.kind == "uplift" and a.existing_user_id == user.id),
        None,
    )
    if uplift is None:
        return user
    claims = {
        **user.claims,
        **provisioned_claims(
            uplift,
            given_name=str(user.claims.get("given_name", "")),
            family_name=str(user.claims.get("family_name", "")),
        ),
    }
    return dataclasses.replace(user, identity_proofing_level="P9", claims=claims)


def _provisioned_user(account: ProvisionedAccount) -> SimulatedUser:
    from nhs_login_simulator.pds import pds_record  # the PDS stand-in reads the test users

    record = pds_record(account.nhs_number)
    return SimulatedUser(
        id=f"{PROVISIONED_PREFIX}{account.pk}",
        label="Provisioned account (claimed)",
        email=account.email,
        password="",
        sub=account.sub,
        identity_proofing_level="P9",
        methods=PROVISIONED_METHODS,
        claims=provisioned_claims(
            account,
            given_name=record.given_name if record else "",
            family_name=record.family_name if record else "",
        ),
    )


def simulated_users() -> tuple[SimulatedUser, ...]:
    """Every user who can sign in: the test users, as any claimed uplift left them, then the
    new accounts claimed."""
    claimed = _claimed()
    return tuple(_with_provisioning(user, claimed) for user in file_users()) + tuple(
        _provisioned_user(account) for account in claimed if account.kind == "create"
    )


def simulated_user_get(user_id: str) -> SimulatedUser | None:
    return next((user for user in simulated_users() if user.id == user_id), None)


def file_user_password_matches(user: SimulatedUser, password: str) -> bool:
    return hmac.compare_digest(user.password.encode(), password.encode())


def simulated_user_authenticate(email: str, password: str) -> SimulatedUser | None:
    """The user with this email and password, compared in constant time (a provisioned
    account's against the hash of the password set when it was claimed), or None."""
    found = None
    claimed = _claimed()
    for user in simulated_users():
        email_matches = hmac.compare_digest(user.email.lower(), email.strip().lower())
        if user.id.startswith(PROVISIONED_PREFIX):
            account = next(a for a in claimed if f"{PROVISIONED_PREFIX}{a.pk}" == user.id)
            password_matches = check_password(password, account.password_hash)
        else:
            password_matches = file_user_password_matches(user, password)
        if email_matches and password_matches:
            found = user
    return found
