"""Addresses only a form posts to, and what a person who opens one in the browser meets instead
of a blank "405 Method Not Allowed" page.

A browser asks for such an address with a GET more often than one would think: Back and
Forward, a reload, a bookmark, a link someone shared, or a redirect to "the page you were on"
after the session warning when that page was the answer to a form. A patient's form address
therefore answers a GET by sending the browser to the page its form is on
(``require_post_from``). Any other 405 a browser's navigation meets (the admin's sign-out, an
API address opened in a browser) is a page that says what to do
(``MethodNotAllowedPageMiddleware``); machines, which do not ask for HTML, still get the bare
405 with its Allow header (RFC 9110, 15.5.6).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import admin
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin_host import on_admin_host
from core.middleware import portal_middleware_exempt

View = TypeVar("View", bound=Callable[..., HttpResponseBase])

# The URL name of the page whose form posts to a view, kept on the view (``require_post_from``).
FORM_PAGE_ATTRIBUTE = "form_page"


def require_post_from(form_page: str) -> Callable[[View], View]:
    """Django's ``require_POST``, except that a GET (or HEAD) of the address is sent to the page
    named ``form_page`` (a URL name, e.g. ``"linkage:details"``), where the form is: the page
    the patient was on, never a blank one. Other methods are refused with 405."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method in ("GET", "HEAD"):
                return HttpResponseRedirect(reverse(form_page))
            if request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, *args, **kwargs)

        setattr(wrapped, FORM_PAGE_ATTRIBUTE, form_page)
        return wrapped  # type: ignore[return-value]

    return decorate


def form_page_of(view: Callable[..., Any] | None) -> str | None:
    """The URL name of the page whose form posts to ``view``, if it is such a view."""
    form_page: str | None = getattr(view, FORM_PAGE_ATTRIBUTE, None)
    return form_page


def page_to_return_to(request: HttpRequest) -> str:
    """Where to bring the browser back to after this request (signing in again, "Stay signed
    in"): the page itself for a GET; for a form's post, the page the form is on, as the address
    posted to shows nothing to a GET; "" when there is no such page."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    match = request.resolver_match
    form_page = form_page_of(match.func if match is not None else None)
    return reverse(form_page) if form_page else ""


def _asks_for_a_page(request: HttpRequest) -> bool:
    """A browser's navigation names text/html; machines (curl, the API's clients) do not."""
    return "text/html" in request.headers.get("Accept", "")


def _for_staff(request: HttpRequest) -> bool:
    match = request.resolver_match
    return on_admin_host(request) or (match is not None and match.namespace == "admin")


class MethodNotAllowedPageMiddleware:
    """Turns a bare 405 answer to a browser into a page that says what to do, in the portal's
    look, or the admin's for the admin's addresses; its status and Allow header stay."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or not isinstance(response, HttpResponse)
            or response.content
            or portal_middleware_exempt(request)
            or not _asks_for_a_page(request)
        ):
            return response
        page = self._page(request)
        page["Allow"] = response.get("Allow", "")
        return page

    @staticmethod
    def _page(request: HttpRequest) -> HttpResponseBase:
        if _for_staff(request):
            page = TemplateResponse(
                request,
                "admin/method_not_allowed.html",
                {**admin.site.each_context(request), "title": "This page cannot be opened"},
                status=405,
            )
            return page.render()
        return render(request, "errors/405.jinja", status=405)
