"""The NHS login account settings page a relying party links to (docs/nhs-login-conformance.md):
the user's details and the services they have shared them with."""

from __future__ import annotations

import time

from django.contrib.auth.decorators import login_not_required
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from nhs_login_simulator.models import Client
from nhs_login_simulator.users import (
    simulated_user_get,
    simulated_users,
)
from nhs_login_simulator.views.journey import Pending, origin, page, remember, session_user


@login_not_required
@require_GET
@never_cache
def account_settings(request: HttpRequest) -> HttpResponse:
    """NHS login's settings page (its "NHS login user settings" page): the account of whoever
    is signed in to NHS login in this browser, with no second sign-in. Without a session it
    says so and offers to sign in."""
    session = session_user(request)
    if session is None:
        return page(
            request,
            "nhs_login_simulator/settings.jinja",
            {"user": None, "users": simulated_users()},
        )
    values, user = session
    client = Client.objects.filter(client_id=values.get("client_id", "")).first()
    return page(
        request,
        "nhs_login_simulator/settings.jinja",
        {
            "user": user,
            "level": values["level"],
            "back": (client.name, origin(client.redirect_uris[0]) + "/")
            if client and client.redirect_uris
            else None,
        },
    )


@login_not_required
@require_POST
def account_settings_sign_in(request: HttpRequest) -> HttpResponse:
    """Sign in to NHS login from its settings page, with a test user."""
    user = simulated_user_get(request.POST.get("user", ""))
    if user is None:
        return page(
            request,
            "nhs_login_simulator/settings.jinja",
            {"user": None, "users": simulated_users(), "choice_error": True},
            status=400,
        )
    response = HttpResponseRedirect(reverse("nhs_login_simulator:account_settings"))
    return remember(
        response, request, Pending(user.id, user.identity_proofing_level, int(time.time())), ""
    )
