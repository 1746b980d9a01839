"""A request id on every log line, and on every response, so one request can be followed
through the logs of any app server (and quoted by a patient or NHS login to support)."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
current_request_id: ContextVar[str] = ContextVar("request_id", default="-")


def request_id_from(request: HttpRequest) -> str:
    """The caller's X-Request-ID when it is well formed, else a new one."""
    given = request.headers.get("X-Request-ID", "")
    return given if _REQUEST_ID.fullmatch(given) else str(uuid.uuid4())


def request_id_of(request: HttpRequest) -> str:
    """This request's id, as its log lines and its X-Request-ID answer carry it: what an audit
    row records, so that every row can be traced to its log lines."""
    request_id = getattr(request, "request_id", None)
    if isinstance(request_id, str):
        return request_id
    request_id = request_id_from(request)
    request.request_id = request_id  # type: ignore[attr-defined]
    return request_id


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True
