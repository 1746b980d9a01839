"""The project's URLs plus views that fail on purpose, to exercise the error handlers."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from citizen_portal import urls as project_urls


@login_not_required
def raises_an_error(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


@login_not_required
def refuses_permission(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def needs_a_signed_in_user(request: HttpRequest) -> HttpResponse:
    return HttpResponse("private")


urlpatterns = [
    path("boom/", raises_an_error),
    path("forbidden/", refuses_permission),
    path("private/", needs_a_signed_in_user),
    *project_urls.urlpatterns,
]

handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500
