"""What the operators' key commands (``linkage_key_revoke``, ``linkage_key_reissue``) share:
the patient named by practice and NHS number, the reason, and who is acting. They run on the
server, outside the portal, so the audit names the command and the operator who ran it."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.nhs_identifiers import InvalidValueError, nhs_number_normalise, ods_code_normalise
from linkage.audit import Actor, ActorType
from linkage.models import RegisteredPatient


def patient_arguments_add(parser: CommandParser) -> None:
    parser.add_argument("--ods-code", required=True, help="The patient's practice, e.g. A12345")
    parser.add_argument("--nhs-number", required=True, help="e.g. 999 000 0018")
    parser.add_argument("--reason", required=True, help="Why: kept with the key and audited")
    parser.add_argument(
        "--operator",
        help="Who is running this, for the audit trail (default: this machine's user name)",
    )


def patient_named(options: dict[str, Any]) -> RegisteredPatient:
    """The registered patient the options name, or a CommandError that says which part is
    wrong (never the NHS number itself: the terminal may be recorded)."""
    try:
        ods_code = ods_code_normalise(options["ods_code"])
        nhs_number = nhs_number_normalise(options["nhs_number"])
    except InvalidValueError as error:
        raise CommandError(str(error)) from error
    patient = (
        RegisteredPatient.objects.select_related("practice")
        .filter(practice__ods_code=ods_code, nhs_number=nhs_number)
        .first()
    )
    if patient is None:
        raise CommandError(f"No patient with that NHS number is registered at {ods_code}")
    return patient


def operator_actor(command: str, options: dict[str, Any]) -> Actor:
    """``manage.py <command> by <operator>``: the system acting, on an operator's word."""
    operator = (options.get("operator") or "").strip() or getpass.getuser()
    return Actor(ActorType.SYSTEM, f"manage.py {command} by {operator}")
