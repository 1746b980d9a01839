"""NHS login's side of GP credentials: the ``gp_integration_credentials`` claim (NHS login's
"Using NHS login to create or retrieve GP credentials" page, and the claim's row of "Scopes
and claims": ``gp_user_id``, ``gp_linkage_key``, ``gp_ods_code``), fetched from the GP system
that holds the user's practice rather than read from a file (docs/adr/0026).

The user's linkage information is retrieved, naming them by NHS number, practice, surname and
date of birth as every linkage call must (docs/linkage-api.md, "Calls"). If they have none
(``LINKAGE_KEY_NOT_FOUND``), or their last key was revoked (``LINKAGE_KEY_REVOKED``), it is
created: for a revoked key, create issues a new key under the same Account ID. If the GP
system refuses, is not in the directory, or does not answer in time, the claim is left out and
the relying party is told nothing more, as NHS login does. Each outcome is logged in one line
that names the practice and never the key, a token, an assertion or the NHS number.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.outbound import Deadline
from nhs_login_simulator.gp_systems import (
    GpSystemRefusedError,
    GpSystemUnavailableError,
    linkage_post,
)
from nhs_login_simulator.users import SimulatedUser

logger = logging.getLogger(__name__)

RETRIEVE_PATH = "/api/v1/linkage/retrieve"
CREATE_PATH = "/api/v1/linkage"
# Retrieve's refusals after which NHS login registers the user for GP online services.
CREATE_AFTER = frozenset({"LINKAGE_KEY_NOT_FOUND", "LINKAGE_KEY_REVOKED"})
# The claim's members and the linkage API's fields they come from.
CLAIM_FIELDS = (
    ("gp_user_id", "accountId"),
    ("gp_linkage_key", "linkageKey"),
    ("gp_ods_code", "odsCode"),
)


@dataclass(frozen=True)
class PatientNamed:
    """The user as a linkage call names them, from what NHS login holds of them (PDS)."""

    ods_code: str
    nhs_number: str = field(repr=False)
    surname: str = field(repr=False)
    date_of_birth: str = field(repr=False)

    def body(self) -> dict[str, str]:
        return {
            "nhsNumber": self.nhs_number,
            "odsCode": self.ods_code,
            "surname": self.surname,
            "dateOfBirth": self.date_of_birth,
        }


def patient_named(user: SimulatedUser) -> PatientNamed | None:
    """The user's NHS number, practice, surname and date of birth; None without all four."""
    registration = user.claims.get("gp_registration_details")
    values = (
        registration.get("gp_ods_code") if isinstance(registration, dict) else None,
        user.claims.get("nhs_number"),
        user.claims.get("family_name"),
        user.claims.get("birthdate"),
    )
    if not all(isinstance(value, str) and value for value in values):
        return None
    ods_code, nhs_number, surname, date_of_birth = (str(value) for value in values)
    return PatientNamed(ods_code, nhs_number, surname, date_of_birth)


def _claim(answer: dict[str, Any]) -> dict[str, str]:
    claim = {member: answer.get(name) for member, name in CLAIM_FIELDS}
    if not all(isinstance(value, str) and value for value in claim.values()):
        raise GpSystemUnavailableError("the answer lacks the linkage information")
    return {member: str(value) for member, value in claim.items()}


def _retrieved_or_created(base_url: str, patient: PatientNamed) -> tuple[dict[str, str], str]:
    """The claim, and whether it was retrieved or created. A create that finds a key made
    since the retrieve (``LINKAGE_KEY_EXISTS``) retrieves once more."""
    deadline = Deadline.after(settings.NHS_LOGIN_SIMULATOR_GP_SYSTEM_TIMEOUT_SECONDS)
    try:
        return _claim(linkage_post(base_url, RETRIEVE_PATH, patient.body(), deadline)), "retrieved"
    except GpSystemRefusedError as refused:
        if refused.error_code not in CREATE_AFTER:
            raise
    try:
        return _claim(linkage_post(base_url, CREATE_PATH, patient.body(), deadline)), "created"
    except GpSystemRefusedError as refused:
        if refused.error_code != "LINKAGE_KEY_EXISTS":
            raise
    return _claim(linkage_post(base_url, RETRIEVE_PATH, patient.body(), deadline)), "retrieved"


def gp_credentials_fetch(
    user: SimulatedUser, *, gp_system_unavailable: bool = False
) -> dict[str, str] | None:
    """The user's ``gp_integration_credentials`` from the GP system holding their practice, or
    None when there are none to give. ``gp_system_unavailable`` is the injected fault of that
    name: the GP system is taken to be down, and not called."""
    patient = patient_named(user)
    if patient is None:
        logger.info(
            "GP credentials left out: the user has no NHS number, name, birth date or practice"
        )
        return None
    ods_code = patient.ods_code
    base_url = settings.NHS_LOGIN_SIMULATOR_GP_SYSTEMS.get(ods_code)
    if base_url is None:
        logger.info("GP credentials left out: no GP system is known for practice %s", ods_code)
        return None
    if gp_system_unavailable:
        logger.warning(
            "GP credentials left out: the GP system of practice %s is unavailable (injected fault)",
            ods_code,
        )
        return None
    try:
        claim, how = _retrieved_or_created(base_url, patient)
    except GpSystemRefusedError as refused:
        logger.info(
            "GP credentials left out: the GP system of practice %s refused (HTTP %s, %s)",
            ods_code,
            refused.status,
            refused.error_code,
        )
        return None
    except GpSystemUnavailableError as error:
        logger.warning(
            "GP credentials left out: the GP system of practice %s is unavailable (%s)",
            ods_code,
            error,
        )
        return None
    logger.info("GP credentials %s at the GP system of practice %s", how, ods_code)
    return claim
