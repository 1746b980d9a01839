"""NHS login's side of the Provision Account interface (NHS login's "Interface Specification -
Provision Account" v1, section 3.3): the request body's rules, the answer each request gets,
and the account it leaves for its user to claim (docs/provisioning.md).

A request is answered, in this order: ``11010`` for a body that breaks the specification's
table of request parameters; ``11021`` for an ODS code the client is not registered for;
``11001`` (one of the "unable to provision" codes) for an NHS number PDS does not know and
``11002`` for a date of birth PDS does not hold for it; ``11005`` when the NHS number already
has a P9 account; ``11004`` when the email address is another person's account; ``11003``
when a request for the NHS number is waiting to be claimed from the last 7 days; else
``uplift`` for the person's existing account below P9 (found by email, then by NHS number),
or ``create``. The tester can instead choose any answer, or an outage, on the simulator's
provisioning settings page (``ProvisioningAnswer``).

Nothing here logs the email address, phone number or NHS number.
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from core.nhs_identifiers import nhs_number_is_valid, ods_code_is_valid
from nhs_login_simulator.models import (
    Client,
    ProvisionedAccount,
    ProvisioningSetting,
    SentMessage,
    token_hash,
)
from nhs_login_simulator.pds import pds_record
from nhs_login_simulator.users import SimulatedUser, simulated_users

# The specification's tables of success and error responses (3.3.2, 3.3.3), word for word.
SUCCESS_DESCRIPTIONS = {
    "create": "User able to create a new account",
    "uplift": "User able to uplift an existing account",
}
UNABLE_TO_PROVISION_CODES = ("11001", "11002", "11006", "11007", "11008", "11009", "11018", "11019")
ERROR_DESCRIPTIONS = {
    "11000": "Service not available.",
    "11010": "Data in request not valid",
    "11021": "Service not supported for ODS code provided",
    "11011": "Too many requests from ODS code",
    **{code: "Unable to provision account for user" for code in UNABLE_TO_PROVISION_CODES},
    "11005": "User already has P9 account",
    "11004": "Unable to provision account for user email already in use",
    "11003": "User already has a pending provision account request from within last 7 days.",
}
REQUEST_FIELDS = ("nhs_number", "email_address", "date_of_birth", "ods_code", "phone_number")
PENDING_FOR = datetime.timedelta(days=7)
PASSCODE_LIFETIME = datetime.timedelta(minutes=10)
PASSCODE_ATTEMPTS = 3
# E.164: a plus, the country code and the number, at most 15 digits.
_PHONE_NUMBER = re.compile(r"\+[1-9][0-9]{6,14}")


class ProvisioningAnswer(StrEnum):
    """What the settings page can make every provisioning request get instead of the answer
    the rules above give: one of the specification's codes, or a failure of the service."""

    AS_NHS_LOGIN = ""
    TOKEN_SERVER_ERROR = "token_server_error"  # noqa: S105 (a fault's name, not a secret)
    SERVER_ERROR = "server_error"
    SLOW = "slow"
    NOT_JSON = "not_json"
    CONNECTION_DROPPED = "connection_dropped"


ANSWER_DESCRIPTIONS: dict[str, str] = {
    ProvisioningAnswer.AS_NHS_LOGIN: "Answer as NHS login would",
    **{code: f"Answer {code}: {description}" for code, description in ERROR_DESCRIPTIONS.items()},
    ProvisioningAnswer.TOKEN_SERVER_ERROR: "Token endpoint returns 500 to client_credentials",
    ProvisioningAnswer.SERVER_ERROR: "Provision account returns 500",
    ProvisioningAnswer.SLOW: "Provision account answers slowly",
    ProvisioningAnswer.NOT_JSON: "Provision account returns an HTML page",
    ProvisioningAnswer.CONNECTION_DROPPED: "Provision account drops the connection",
}


class ProvisioningRefusedError(Exception):
    """The request gets one of the specification's error codes."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
        self.description = ERROR_DESCRIPTIONS[code]


@dataclass(frozen=True)
class ProvisionRequest:
    """A provision-account body that meets the specification's table (3.3.1)."""

    nhs_number: str = field(repr=False)
    email_address: str = field(repr=False)
    date_of_birth: str = field(repr=False)
    ods_code: str
    phone_number: str = field(repr=False)


def provisioning_answer_chosen() -> str:
    setting = ProvisioningSetting.objects.first()
    return setting.answer if setting else ""


def provisioning_answer_choose(answer: str) -> None:
    if answer not in ANSWER_DESCRIPTIONS:
        raise ValueError("not an answer the simulator offers")
    ProvisioningSetting.objects.update_or_create(pk=1, defaults={"answer": answer})


def _real_past_date(raw: str) -> bool:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        return False
    try:
        return datetime.date.fromisoformat(raw) <= timezone.localdate()
    except ValueError:
        return False


def _email_valid(raw: str) -> bool:
    try:
        validate_email(raw)
    except ValidationError:
        return False
    return True


def provision_request_parse(body: bytes) -> ProvisionRequest:
    """A JSON object with every mandatory key of the table, each a string meeting its rule:
    a valid NHS number, an email address, a date of birth YYYY-MM-DD, the provisioner's ODS
    code and a mobile number with its country code. Anything else is ``11010``."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise ProvisioningRefusedError("11010") from error
    if not isinstance(parsed, dict) or not all(
        isinstance(parsed.get(name), str) for name in REQUEST_FIELDS
    ):
        raise ProvisioningRefusedError("11010")
    request = ProvisionRequest(**{name: parsed[name].strip() for name in REQUEST_FIELDS})
    if not (
        nhs_number_is_valid(request.nhs_number)
        and _email_valid(request.email_address)
        and _real_past_date(request.date_of_birth)
        and ods_code_is_valid(request.ods_code)
        and _PHONE_NUMBER.fullmatch(request.phone_number)
    ):
        raise ProvisioningRefusedError("11010")
    return request


def _accounts_of(request: ProvisionRequest) -> tuple[list[SimulatedUser], SimulatedUser | None]:
    users = simulated_users()
    by_nhs_number = [u for u in users if u.claims.get("nhs_number") == request.nhs_number]
    email = request.email_address.lower()
    by_email = next((u for u in users if u.email.lower() == email), None)
    return by_nhs_number, by_email


def _outcome(client: Client, request: ProvisionRequest) -> tuple[str, SimulatedUser | None]:
    """The answer the rules give (this module's docstring), and the account to uplift."""
    if client.provisioning_ods_codes and request.ods_code not in client.provisioning_ods_codes:
        raise ProvisioningRefusedError("11021")
    record = pds_record(request.nhs_number)
    if record is None:
        raise ProvisioningRefusedError("11001")
    if record.birthdate != request.date_of_birth:
        raise ProvisioningRefusedError("11002")
    by_nhs_number, by_email = _accounts_of(request)
    if any(u.identity_proofing_level == "P9" for u in by_nhs_number):
        raise ProvisioningRefusedError("11005")
    if by_email is not None and by_email.claims.get("nhs_number", request.nhs_number) != (
        request.nhs_number
    ):
        raise ProvisioningRefusedError("11004")
    if ProvisionedAccount.objects.filter(
        nhs_number=request.nhs_number,
        claimed_at__isnull=True,
        created_at__gte=timezone.now() - PENDING_FOR,
    ).exists():
        raise ProvisioningRefusedError("11003")
    existing = by_email or (by_nhs_number[0] if by_nhs_number else None)
    return ("uplift", existing) if existing is not None else ("create", None)


@transaction.atomic
def account_provision(*, client: Client, request: ProvisionRequest, claim_url_base: str) -> str:
    """Answer the request with ``create`` or ``uplift``, keep the account for its user to
    claim and send them the email with the claim link; or raise ProvisioningRefusedError."""
    kind, existing = _outcome(client, request)
    claim_token = secrets.token_urlsafe(32)
    account = ProvisionedAccount.objects.create(
        client=client,
        kind=kind,
        existing_user_id=existing.id if existing else "",
        sub=existing.sub if existing else str(uuid.uuid4()),
        nhs_number=request.nhs_number,
        email=request.email_address,
        phone_number=request.phone_number,
        date_of_birth=request.date_of_birth,
        ods_code=request.ods_code,
        claim_token_hash=token_hash(claim_token),
    )
    link = f"{claim_url_base}/{claim_token}"
    verb = "Set up" if kind == "create" else "Upgrade"
    SentMessage.objects.create(
        account=account,
        channel=SentMessage.Channel.EMAIL,
        recipient=request.email_address,
        subject=f"{verb} your NHS login",
        body=(
            f"Your GP practice ({request.ods_code}) has asked NHS login to "
            f"{'set up' if kind == 'create' else 'upgrade'} an NHS login for you, so that you "
            "can use health services online without proving who you are again. Follow the "
            "link within 7 days. We will send a security code to your mobile phone."
        ),
        link=link,
    )
    return kind


def account_to_claim(claim_token: str) -> ProvisionedAccount | None:
    """The account the link names, if it is still waiting to be claimed within 7 days."""
    return ProvisionedAccount.objects.filter(
        claim_token_hash=token_hash(claim_token),
        claimed_at__isnull=True,
        created_at__gte=timezone.now() - PENDING_FOR,
    ).first()


def passcode_send(account: ProvisionedAccount) -> None:
    """A new six-digit passcode to the mobile the practice gave: the text message is shown on
    the provisioning messages page."""
    passcode = f"{secrets.randbelow(1_000_000):06d}"
    account.passcode_hash = token_hash(passcode)
    account.passcode_expires_at = timezone.now() + PASSCODE_LIFETIME
    account.passcode_attempts = 0
    account.save(update_fields=["passcode_hash", "passcode_expires_at", "passcode_attempts"])
    SentMessage.objects.create(
        account=account,
        channel=SentMessage.Channel.SMS,
        recipient=account.phone_number,
        subject="NHS login security code",
        body=f"Your NHS login security code is {passcode}. It expires in 10 minutes.",
    )


def passcode_check(account: ProvisionedAccount, passcode: str) -> bool:
    """Whether it is the last passcode sent, within its 10 minutes and first 3 tries."""
    if not account.passcode_hash or account.passcode_expires_at is None:
        return False
    if account.passcode_expires_at <= timezone.now():
        return False
    if account.passcode_attempts >= PASSCODE_ATTEMPTS:
        return False
    account.passcode_attempts += 1
    account.save(update_fields=["passcode_attempts"])
    return secrets.compare_digest(account.passcode_hash, token_hash(passcode.strip()))


def phone_number_ending(account: ProvisionedAccount) -> str:
    return account.phone_number[-3:]
