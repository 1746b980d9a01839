"""The simulator's test users, read from ``test_users.json`` (synthetic data only)."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from nhs_login_simulator import vectors

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


@cache
def simulated_users() -> tuple[SimulatedUser, ...]:
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


def simulated_user_get(user_id: str) -> SimulatedUser | None:
    return next((user for user in simulated_users() if user.id == user_id), None)


def simulated_user_authenticate(email: str, password: str) -> SimulatedUser | None:
    """The user with this email and password, compared in constant time, or None."""
    found = None
    for user in simulated_users():
        email_matches = hmac.compare_digest(user.email.lower(), email.strip().lower())
        password_matches = hmac.compare_digest(user.password.encode(), password.encode())
        if email_matches and password_matches:
            found = user
    return found
