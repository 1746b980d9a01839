"""Which claims each scope releases (shared/nhs-login.md, "Scopes and claims")."""

from __future__ import annotations

from typing import Any

from nhs_login_simulator.users import SimulatedUser

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("nhs_number", "birthdate", "family_name", "identity_proofing_level"),
    "basic_demographics": ("birthdate", "family_name", "identity_proofing_level"),
    "profile_extended": ("given_name",),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified", "phone_number_pds_matched"),
    "gp_registration_details": ("gp_registration_details",),
    "gp_integration_credentials": ("gp_integration_credentials",),
    "client_metadata": ("client_user_metadata",),
}
SUPPORTED_SCOPES = tuple(SCOPE_CLAIMS)
# Released only to users whose identity was verified to P9.
VERIFIED_ONLY_CLAIMS = frozenset(
    {"given_name", "gp_registration_details", "gp_integration_credentials"}
)
ID_TOKEN_PROFILE_CLAIMS = SCOPE_CLAIMS["profile"]


def user_claims(
    *, user: SimulatedUser, scopes: tuple[str, ...], identity_proofing_level: str, im1_enabled: bool
) -> dict[str, Any]:
    """The claims these scopes release for this user. Absent claims are omitted, never null."""
    known: dict[str, Any] = {
        **user.claims,
        "sub": user.sub,
        "email": user.email,
        "identity_proofing_level": identity_proofing_level,
    }
    released: dict[str, Any] = {}
    for scope in scopes:
        for claim in SCOPE_CLAIMS.get(scope, ()):
            if claim not in known:
                continue
            if claim in VERIFIED_ONLY_CLAIMS and identity_proofing_level != "P9":
                continue
            if claim == "gp_integration_credentials" and not im1_enabled:
                continue
            released[claim] = known[claim]
    return released
