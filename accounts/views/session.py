"""The session's limits as the patient meets them (the warning before the inactivity limit,
"Stay signed in") and signing out."""

from __future__ import annotations

from django.contrib import auth
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.middleware import seconds_until_session_ends, session_activity_exempt
from accounts.presenters import minutes_left_display
from accounts.session_timer import session_timer
from accounts.sign_in_flow import sign_in_next_or_home
from core.form_posts import require_post_from


@require_GET
@session_activity_exempt
def session_expiring(request: HttpRequest) -> HttpResponse:
    """The warning before the inactivity limit for a browser without JavaScript (with it, a
    dialog over the page: accounts/session_timer.py); when the time is up the page moves itself
    into NHS login. Visiting it is not activity, so it cannot keep the session alive on its own;
    only "Stay signed in" does."""
    return render(
        request,
        "accounts/session_expiring.jinja",
        {
            "next": sign_in_next_or_home(request, request.GET.get("next")),
            "time_left": minutes_left_display(seconds_until_session_ends(request)),
        },
    )


@require_post_from("accounts:home")
def stay_signed_in(request: HttpRequest) -> HttpResponse:
    """Posting here is activity: the middleware has already reset the inactivity clock. The
    warning page's form goes back to the page before it; the dialog over a page, whose script
    asks for JSON and stays where it is, gets its timer's new delays."""
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return JsonResponse(session_timer(request).times())
    return HttpResponseRedirect(sign_in_next_or_home(request, request.POST.get("next")))


@require_GET
def sign_out_confirm(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/sign_out.jinja")


@require_post_from("accounts:sign_out_confirm")
def sign_out(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return HttpResponseRedirect(reverse("accounts:signed_out"))


@login_not_required
@require_GET
def signed_out(request: HttpRequest) -> HttpResponse:
    """After the patient chose to sign out. A session that ends by itself never comes here:
    it goes straight to NHS login to sign in again (accounts/middleware.py). A patient who is
    still signed in is not told they have signed out: they go to their page."""
    if request.user.is_authenticated:
        return HttpResponseRedirect(reverse("accounts:home"))
    return render(request, "accounts/signed_out.jinja")
