"""The middleware an API call goes through: a short chain of its own, for the JSON APIs on
bearer tokens (the linkage API's, the IM1 API's), instead of the pages' (docs/adr/0028).

The pages' chain is for browsers: sessions, signed-in patients and staff, their two factors,
their time-outs, messages, sign-in lockouts, static files, a Content Security Policy built per
page. An API call uses none of them, yet paid for each on every call: a quarter of a
retrieve's CPU. So ``ApiMiddlewareChainMiddleware``, first in ``MIDDLEWARE``, hands a request
under ``API_PATH_PREFIXES`` to the chain ``API_MIDDLEWARE`` names, and any other request to the
rest of ``MIDDLEWARE``. A browser's navigation to an API address (it asks for text/html) is
still served by the pages' chain, so a person meets the same pages there as before (the 404
page, the 405 page of core/form_posts.py). The test client and gunicorn take the same path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.utils.module_loading import import_string

GetResponse = Callable[[HttpRequest], HttpResponseBase]


class _ApiHandler(BaseHandler):
    """Django's request handling after the middleware (URL resolving, the view middleware, the
    view, exception and template-response middleware: ``BaseHandler._get_response``), under
    the middleware named by ``paths`` instead of ``settings.MIDDLEWARE``.

    ``BaseHandler.load_middleware`` reads ``settings.MIDDLEWARE`` only, so its loop is written
    out here for one list, synchronously: the chain is entered from a synchronous middleware
    (under ASGI Django runs that one in a thread, as any synchronous middleware)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        # Not in django-stubs' BaseHandler: the handling under the middleware.
        inner: GetResponse = self._get_response  # type: ignore[attr-defined]
        handler: Any = convert_exception_to_response(inner)
        for path in reversed(paths):
            try:
                middleware = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler


def asks_for_a_page(request: HttpRequest) -> bool:
    """A browser's navigation names text/html in Accept; the APIs' clients do not. Read from
    the WSGI environ: ``request.headers`` would copy every header on each request to ask."""
    accept: str = request.META.get("HTTP_ACCEPT", "")
    return "text/html" in accept


def takes_the_api_chain(request: HttpRequest) -> bool:
    """Whether a request is an API call: under ``API_PATH_PREFIXES``, not a browser's
    navigation."""
    prefixes: tuple[str, ...] = tuple(settings.API_PATH_PREFIXES)
    return request.path_info.startswith(prefixes) and not asks_for_a_page(request)


class ApiMiddlewareChainMiddleware:
    """First in ``MIDDLEWARE``: an API call goes through ``API_MIDDLEWARE``, anything else
    through the rest of ``MIDDLEWARE``. Both chains are built once, when Django loads this
    middleware; Django's handler still sets the URLconf, logs 4xx and 5xx answers once, and
    closes the request, whichever chain answered."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.api_chain: GetResponse = _ApiHandler(list(settings.API_MIDDLEWARE))._middleware_chain

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if takes_the_api_chain(request):
            return self.api_chain(request)
        return self.get_response(request)


class ApiContentSecurityPolicyMiddleware:
    """The API's answers' Content Security Policy, fixed (``API_CONTENT_SECURITY_POLICY``):
    JSON is never a document with scripts, styles, frames or forms, so nothing is allowed. It
    stands for django-csp's middleware, which builds the pages' policy anew for each answer
    (a nonce, NHS login's origins in form-action); an answer with a policy of its own keeps
    it."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.policy: str = settings.API_CONTENT_SECURITY_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = self.policy
        return response
