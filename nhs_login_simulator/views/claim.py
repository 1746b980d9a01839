"""The claim journey (NHS login's "What is account provisioning?", "Patient claiming flow"):
the user follows the email's link, enters the passcode sent to the mobile the practice gave,
then sets a password (a new account) or enters their own (an uplift). The account is then P9
with the practice's details, and signs in as any other (nhs_login_simulator/users.py)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from nhs_login_simulator.models import ProvisionedAccount
from nhs_login_simulator.provisioning import (
    account_to_claim,
    passcode_check,
    passcode_send,
    phone_number_ending,
)
from nhs_login_simulator.users import file_user_password_matches, simulated_user_get
from nhs_login_simulator.views.journey import page

_TEMPLATE = "nhs_login_simulator/claim.jinja"
_VERIFIED_SALT = "nhs-login-simulator.claim-passcode-entered"
_VERIFIED_MAX_AGE = 15 * 60
PASSWORD_MIN_LENGTH = 8


def _step(
    request: HttpRequest,
    claim_token: str,
    account: ProvisionedAccount | None,
    step: str,
    *,
    status: int = 200,
    **context: object,
) -> HttpResponse:
    return page(
        request,
        _TEMPLATE,
        {
            "step": step if account is not None else "expired",
            "claim_token": claim_token,
            "account": account,
            "phone_ending": phone_number_ending(account) if account else "",
            **context,
        },
        status=status if account is not None else 400,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
@never_cache
def claim_start(request: HttpRequest, claim_token: str) -> HttpResponse:
    """GET says what will happen; POST sends the passcode (never a GET: a mail client that
    opens links ahead of the user must not spend it)."""
    account = account_to_claim(claim_token)
    if request.method == "POST" and account is not None:
        passcode_send(account)
        return _step(request, claim_token, account, "passcode")
    return _step(request, claim_token, account, "start")


@login_not_required
@require_POST
@never_cache
def claim_passcode(request: HttpRequest, claim_token: str) -> HttpResponse:
    account = account_to_claim(claim_token)
    if account is None or not passcode_check(account, request.POST.get("passcode", "")):
        return _step(request, claim_token, account, "passcode", status=400, passcode_error=True)
    verified = signing.dumps({"account": account.pk}, salt=_VERIFIED_SALT)
    return _step(request, claim_token, account, "password", verified=verified)


def _verified(request: HttpRequest, account: ProvisionedAccount) -> bool:
    try:
        values = signing.loads(
            request.POST.get("verified", ""), salt=_VERIFIED_SALT, max_age=_VERIFIED_MAX_AGE
        )
    except signing.BadSignature:
        return False
    return bool(values.get("account") == account.pk)


def _password_problem(request: HttpRequest, account: ProvisionedAccount) -> str:
    password = request.POST.get("password", "")
    if account.kind == ProvisionedAccount.Kind.UPLIFT:
        user = simulated_user_get(account.existing_user_id)
        if user is None or not file_user_password_matches(user, password):
            return "Enter the password of your NHS login"
        return ""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Enter a password of {PASSWORD_MIN_LENGTH} characters or more"
    if password != request.POST.get("password_again", ""):
        return "Enter the same password twice"
    return ""


@login_not_required
@require_POST
@never_cache
def claim_password(request: HttpRequest, claim_token: str) -> HttpResponse:
    """The passcode was entered: set the password (or enter it, for an uplift) and the
    account is claimed, at P9."""
    account = account_to_claim(claim_token)
    if account is None or not _verified(request, account):
        return _step(request, claim_token, None, "expired")
    problem = _password_problem(request, account)
    if problem:
        return _step(
            request,
            claim_token,
            account,
            "password",
            status=400,
            verified=request.POST.get("verified", ""),
            password_error=problem,
        )
    if account.kind == ProvisionedAccount.Kind.CREATE:
        account.password_hash = make_password(request.POST["password"])
    account.claimed_at = timezone.now()
    account.save(update_fields=["password_hash", "claimed_at"])
    return _step(request, claim_token, account, "done")
