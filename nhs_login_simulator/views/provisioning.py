"""NHS login's Provision Account endpoint (Provision Account interface, section 3.3), and the
simulator's two pages for it: the settings page that chooses the answer every request gets,
and the messages page that shows the emails and text messages NHS login would have sent."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from nhs_login_simulator.models import SentMessage
from nhs_login_simulator.provisioning import (
    ANSWER_DESCRIPTIONS,
    ERROR_DESCRIPTIONS,
    SUCCESS_DESCRIPTIONS,
    ProvisioningAnswer,
    ProvisioningRefusedError,
    account_provision,
    provision_request_parse,
    provisioning_answer_choose,
    provisioning_answer_chosen,
)
from nhs_login_simulator.tokens import (
    InvalidAccessTokenError,
    endpoint,
    provisioning_token_verify,
)
from nhs_login_simulator.views.back_channel import (
    bearer_error,
    drop_connection,
    no_store,
    oauth_error,
)
from nhs_login_simulator.views.journey import page


def _answer(code: str, description: str, status: int) -> JsonResponse:
    return no_store(JsonResponse({"code": code, "description": description}, status=status))


def _broken(request: HttpRequest, answer: str) -> HttpResponse | None:
    """The failure of the service the settings page chose, if any; a code chosen there is
    answered as the specification's error response."""
    if answer == ProvisioningAnswer.CONNECTION_DROPPED:
        return drop_connection(request)
    if answer == ProvisioningAnswer.SLOW:
        time.sleep(settings.NHS_LOGIN_SIMULATOR_SLOW_SECONDS)
    if answer == ProvisioningAnswer.SERVER_ERROR:
        return oauth_error("server_error", "Simulated failure", status=500)
    if answer == ProvisioningAnswer.NOT_JSON:
        return HttpResponse("<html><body><h1>Service unavailable</h1></body></html>", status=200)
    if answer in ERROR_DESCRIPTIONS:
        return _answer(answer, ERROR_DESCRIPTIONS[answer], 400)
    return None


@login_not_required
@csrf_exempt  # a back-channel call authenticated by its bearer token
@require_POST
def provision_account(request: HttpRequest) -> HttpResponse:
    """``POST /provision-account`` (3.3): the bearer token of a client_credentials grant in the
    Authorization header, the user's details as JSON; ``create`` or ``uplift`` with 200, an
    error code with 400, as the specification's examples answer."""
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = "Bearer"
        return no_store(response)
    try:
        client = provisioning_token_verify(presented.strip())
    except InvalidAccessTokenError as error:
        return no_store(bearer_error("invalid_token", str(error), 401))
    broken = _broken(request, provisioning_answer_chosen())
    if broken is not None:
        return no_store(broken)
    try:
        kind = account_provision(
            client=client,
            request=provision_request_parse(request.body),
            claim_url_base=endpoint("provisioning/claim"),
        )
    except ProvisioningRefusedError as refused:
        return _answer(refused.code, refused.description, 400)
    return _answer(kind, SUCCESS_DESCRIPTIONS[kind], 200)


@login_not_required
@require_http_methods(["GET", "POST"])
@never_cache
def provisioning_settings(request: HttpRequest) -> HttpResponse:
    """The answer every provisioning request gets until it is changed: as NHS login would,
    one of the specification's codes, or a failure."""
    if request.method == "POST":
        try:
            provisioning_answer_choose(request.POST.get("answer", ""))
        except ValueError:
            return page(
                request,
                "nhs_login_simulator/provisioning_settings.jinja",
                {"answers": ANSWER_DESCRIPTIONS, "chosen": "", "answer_error": True},
                status=400,
            )
        return HttpResponseRedirect(reverse("nhs_login_simulator:provisioning_settings"))
    return page(
        request,
        "nhs_login_simulator/provisioning_settings.jinja",
        {"answers": ANSWER_DESCRIPTIONS, "chosen": provisioning_answer_chosen()},
    )


@login_not_required
@require_GET
@never_cache
def provisioning_messages(request: HttpRequest) -> HttpResponse:
    """The emails and text messages NHS login would have sent, newest first: an email's link
    starts the claim journey; a text message carries its passcode."""
    return page(
        request,
        "nhs_login_simulator/provisioning_messages.jinja",
        {"sent": SentMessage.objects.all()[:50]},
    )
