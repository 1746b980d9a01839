"""Sign-in views."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST


@login_not_required
@require_POST
def nhs_login_start(request: HttpRequest) -> HttpResponse:
    """Where the start page's NHS login button posts.

    Until the OpenID Connect flow is connected (issue 5) it tells the patient plainly that
    sign-in is not available, with 503 so monitoring does not count it as working.
    """
    return render(request, "accounts/sign_in_unavailable.jinja", status=503)
