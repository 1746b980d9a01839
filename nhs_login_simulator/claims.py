"""Which claims each scope releases, and from which proofing level: NHS login's "Scopes and
claims" page (its table of scopes and claims, and notes 3 and 6) and the Federation
specification, sections 3.4.1.1 and 3.6.2.1. ``gp_integration_credentials`` is not a property
of the user but of their GP system, asked at userinfo (nhs_login_simulator/gp_credentials.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nhs_login_simulator import vectors
from nhs_login_simulator.gp_credentials import gp_credentials_fetch, patient_named
from nhs_login_simulator.users import SimulatedUser

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "openid": ("sub",),
    "profile": ("nhs_number", "family_name", "birthdate", "identity_proofing_level"),
    "basic_demographics": ("family_name", "birthdate", "identity_proofing_level"),
    "profile_extended": ("given_name",),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified", "phone_number_pds_matched"),
    "landline": ("landline_number", "landline_number_verified"),
    "gp_registration_details": ("gp_registration_details",),
    "gp_integration_credentials": ("gp_integration_credentials",),
    "client_metadata": ("client_user_metadata",),
}
SUPPORTED_SCOPES = tuple(SCOPE_CLAIMS)
# The lowest proofing level at which each scope releases anything (the table's P0, P5 and P9
# columns): below it the scope releases nothing at all.
SCOPE_MINIMUM_LEVEL: dict[str, str] = {
    "openid": "P0",
    "profile": "P5",
    "basic_demographics": "P5",
    "profile_extended": "P5",
    "email": "P0",
    "phone": "P0",
    "landline": "P0",
    "gp_registration_details": "P5",
    "gp_integration_credentials": "P9",
    "client_metadata": "P0",
}
# Note 3: "User basic demographics and default profile scopes are mutually exclusive".
EXCLUSIVE_SCOPES = frozenset({"profile", "basic_demographics"})
# Note 6: only for IM1-enabled partners.
IM1_ONLY_SCOPES = frozenset({"gp_integration_credentials"})
GP_CREDENTIALS_SCOPE = "gp_integration_credentials"
ID_TOKEN_PROFILE_CLAIMS = SCOPE_CLAIMS["profile"]


@dataclass(frozen=True)
class ScopeDescription:
    """What a scope shares, in the words the consent screen uses."""

    title: str
    claims: dict[str, str]


SCOPE_DESCRIPTIONS: dict[str, ScopeDescription] = {
    "openid": ScopeDescription("That you have an NHS login", {"sub": "Your NHS login identifier"}),
    "profile": ScopeDescription(
        "Your profile",
        {
            "nhs_number": "NHS number",
            "family_name": "Surname",
            "birthdate": "Date of birth",
            "identity_proofing_level": "How well your identity has been checked",
        },
    ),
    "basic_demographics": ScopeDescription(
        "Your basic details",
        {
            "family_name": "Surname",
            "birthdate": "Date of birth",
            "identity_proofing_level": "How well your identity has been checked",
        },
    ),
    "profile_extended": ScopeDescription("Your first name", {"given_name": "First name"}),
    "email": ScopeDescription(
        "Your email address",
        {"email": "Email address", "email_verified": "Whether it has been checked"},
    ),
    "phone": ScopeDescription(
        "Your mobile phone number",
        {
            "phone_number": "Mobile phone number",
            "phone_number_verified": "Whether it has been checked",
            "phone_number_pds_matched": "Whether it matches your NHS record",
        },
    ),
    "landline": ScopeDescription(
        "Your landline number",
        {
            "landline_number": "Landline number",
            "landline_number_verified": "Whether it has been checked",
        },
    ),
    "gp_registration_details": ScopeDescription(
        "Your GP surgery", {"gp_registration_details": "The code of the GP surgery you are with"}
    ),
    "gp_integration_credentials": ScopeDescription(
        "Your GP online services details",
        {"gp_integration_credentials": "Your linkage key, account ID and GP surgery code"},
    ),
    "client_metadata": ScopeDescription(
        "Information this service keeps with your NHS login",
        {"client_user_metadata": "A value only this service uses"},
    ),
}


def scope_releases_at(scope: str, identity_proofing_level: str, *, im1_enabled: bool) -> bool:
    """Whether the scope releases anything at this proofing level to this client."""
    if scope not in SCOPE_CLAIMS:
        return False
    if scope in IM1_ONLY_SCOPES and not im1_enabled:
        return False
    minimum = vectors.level_rank(SCOPE_MINIMUM_LEVEL[scope])
    return vectors.level_rank(identity_proofing_level) >= minimum


def user_claims(
    *, user: SimulatedUser, scopes: tuple[str, ...], identity_proofing_level: str, im1_enabled: bool
) -> dict[str, Any]:
    """The claims these scopes release for this user at this level. Absent claims are omitted,
    never null (Federation specification 3.6.2.1)."""
    known: dict[str, Any] = {
        **user.claims,
        "sub": user.sub,
        "email": user.email,
        "identity_proofing_level": identity_proofing_level,
    }
    released: dict[str, Any] = {}
    for scope in scopes:
        if not scope_releases_at(scope, identity_proofing_level, im1_enabled=im1_enabled):
            continue
        for claim in SCOPE_CLAIMS[scope]:
            if claim in known:
                released[claim] = known[claim]
    return released


def userinfo_claims(
    *,
    user: SimulatedUser,
    scopes: tuple[str, ...],
    identity_proofing_level: str,
    im1_enabled: bool,
    gp_system_unavailable: bool = False,
) -> dict[str, Any]:
    """What userinfo releases: the user's claims, and ``gp_integration_credentials`` from the
    GP system of their practice when the scope releases it at this level to this client. The
    GP system is asked only then; when it gives nothing, the claim is left out."""
    released = user_claims(
        user=user,
        scopes=scopes,
        identity_proofing_level=identity_proofing_level,
        im1_enabled=im1_enabled,
    )
    if GP_CREDENTIALS_SCOPE in scopes and scope_releases_at(
        GP_CREDENTIALS_SCOPE, identity_proofing_level, im1_enabled=im1_enabled
    ):
        credentials = gp_credentials_fetch(user, gp_system_unavailable=gp_system_unavailable)
        if credentials is not None:
            released[GP_CREDENTIALS_SCOPE] = credentials
    return released


def consent_items(
    *, user: SimulatedUser, scopes: tuple[str, ...], identity_proofing_level: str, im1_enabled: bool
) -> list[ScopeDescription]:
    """What the consent screen lists: per scope, the claims that would be shared at this level
    (never their values), leaving out scopes that share nothing. The GP system is not asked
    here: its credentials are listed for a user it could be asked about."""
    items = []
    for scope in scopes:
        released = user_claims(
            user=user,
            scopes=(scope,),
            identity_proofing_level=identity_proofing_level,
            im1_enabled=im1_enabled,
        )
        # Listed for a user the GP system can be asked about; it is asked at userinfo.
        if (
            scope == GP_CREDENTIALS_SCOPE
            and scope_releases_at(scope, identity_proofing_level, im1_enabled=im1_enabled)
            and patient_named(user) is not None
        ):
            released[scope] = True
        description = SCOPE_DESCRIPTIONS[scope]
        shared = {claim: label for claim, label in description.claims.items() if claim in released}
        if shared:
            items.append(ScopeDescription(description.title, shared))
    return items
