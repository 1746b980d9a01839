"""A pytest plugin: the whole test run logs at DEBUG, every record is kept, and none may carry a
secret (docs/security.md, "Secrets in logs"): a linkage key, an access, ID or refresh token, an
authorization code, a PKCE code verifier, a client assertion, a private key or an NHS number.

Loaded for every run from the root conftest.py. Each record is checked as the code emitted
it, before the console handler's redaction filter (core/log_redaction.py), which is a safety
net, not a licence: code must not log secrets in the first place. A record is a leak if

- the redaction patterns would change it (JWTs, so ID and access tokens and client
  assertions; PEM blocks; bearer values; code=, code_verifier=, code_challenge=, state=,
  token= and similar parameters; NHS numbers with or without spaces), or
- it contains a value the tests registered with ``secret_register`` as they made it: every
  linkage key saved (caught as it is saved), every PKCE code verifier the portal makes (caught
  as mozilla-django-oidc keeps it in the session), the linkage API's bearer tokens and the
  authorization codes NHS login hands the browser, which have no recognisable shape.

A leak fails the test during which it was logged (at teardown, naming the logger and the kind
of secret, never the value); records logged between tests are checked when the run ends.

Records from urllib3 outside the live server's request threads are the test's own HTTP client
(playing the browser or the API caller, whose URLs carry codes by design), not the portal: the
portal's outbound calls over HTTP run in the live server's request threads, and are checked.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.log_redaction import redact

# socketserver.ThreadingMixIn names each request's thread after this method.
LIVE_SERVER_THREAD = "process_request_thread"
SHORTEST_SECRET = 8  # shorter registered values would match ordinary words by chance


@dataclass
class _Registry:
    secrets: set[str] = field(default_factory=set)


_REGISTRY = _Registry()


def secret_register(value: str) -> None:
    """A value that must never appear in a log record (a token or key a test just made)."""
    if len(value) >= SHORTEST_SECRET:
        _REGISTRY.secrets.add(value)


def secret_is_registered(value: str) -> bool:
    """Whether the check looks for this value in every record."""
    return value in _REGISTRY.secrets


@dataclass(frozen=True)
class Leak:
    logger: str
    level: str
    kind: str
    where: str

    def __str__(self) -> str:
        return f"{self.level} {self.logger}: {self.kind} ({self.where})"


def leaks_in(line: str, *, logger: str, level: str, where: str) -> list[Leak]:
    """What is secret in one formatted log line: the kinds found, never the values."""
    found = []
    if redact(line) != line:
        found.append(
            Leak(logger, level, "a secret-shaped value (see core/log_redaction.py)", where)
        )
    if any(secret in line for secret in _REGISTRY.secrets):
        found.append(Leak(logger, level, "a token, code or key a test registered", where))
    return found


class _CapturingHandler(logging.Handler):
    """Checks every record, with the messages of its exceptions, as the test runs."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.current_test = "between tests"
        self.leaks: dict[str, list[Leak]] = {}
        self.records_seen = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records_seen += 1
        if record.name.startswith("urllib3") and LIVE_SERVER_THREAD not in (
            record.threadName or ""
        ):
            return
        try:
            line = record.getMessage()
        except Exception:  # a record whose arguments do not fit its message
            line = f"{record.msg!r} {record.args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            line += "\n" + _exception_messages(record.exc_info[1])
        found = leaks_in(line, logger=record.name, level=record.levelname, where=self.current_test)
        if found:
            self.leaks.setdefault(self.current_test, []).extend(found)


def _exception_messages(error: BaseException) -> str:
    """Each exception's type and message down the chain: where a secret in a traceback would
    be. The source lines a traceback quotes are code, and would only match by accident
    (``token_request(code=payload["code"])``)."""
    lines: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        lines.extend(traceback.format_exception_only(type(current), current))
        current = current.__cause__ or current.__context__
    return "".join(lines)


_HANDLER = _CapturingHandler()


def _loggers_to_watch() -> list[logging.Logger]:
    """The root, and every configured logger that does not pass records up to it ("django")."""
    loggers = [logging.getLogger()]
    for candidate in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(candidate, logging.Logger) and not candidate.propagate:
            loggers.append(candidate)
    return loggers


def _attach() -> None:
    """First among each logger's handlers: the console handler's redaction filter rewrites the
    record it is given, and the check must see the record as the code emitted it."""
    for logger in _loggers_to_watch():
        if _HANDLER in logger.handlers:
            logger.removeHandler(_HANDLER)
        logger.handlers.insert(0, _HANDLER)
        logger.setLevel(logging.DEBUG)


def _record_registered_linkage_keys(sender: Any, instance: Any, **kwargs: Any) -> None:
    from linkage.crypto import linkage_key_decrypt

    try:
        secret_register(linkage_key_decrypt(instance.encrypted_key))
    except Exception:  # a key encrypted under keys a test has since swapped out
        return


# The function mozilla-django-oidc's authorization request view hands each new sign-in's
# state, nonce and PKCE code verifier to, to keep them in the session.
_KEEP_IN_SESSION = "add_state_and_verifier_and_nonce_to_session"


def _record_pkce_code_verifiers() -> None:
    """Register every PKCE code verifier the portal makes, as it is kept in the session: a
    random string with no shape of its own, so only the registry can recognise it in a log.

    The hook is on the library's own step, so every way into sign-in is covered, whatever
    the test drives it with. If a new mozilla-django-oidc renames that step, the run stops here
    rather than silently checking less."""
    from mozilla_django_oidc import views

    keep = getattr(views, _KEEP_IN_SESSION, None)
    if not callable(keep):
        raise RuntimeError(
            f"mozilla_django_oidc.views.{_KEEP_IN_SESSION} is gone: the secrets check can no "
            "longer see the PKCE code verifiers it makes"
        )
    if getattr(keep, "registers_code_verifiers", False):
        return

    def keep_and_register(
        request: Any, state: str, params: dict[str, Any], code_verifier: str | None = None
    ) -> None:
        if code_verifier:
            secret_register(code_verifier)
        keep(request, state, params, code_verifier)

    keep_and_register.registers_code_verifiers = True  # type: ignore[attr-defined]
    setattr(views, _KEEP_IN_SESSION, keep_and_register)


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.db.models.signals import post_save

    from linkage.models import LinkageKey

    post_save.connect(
        _record_registered_linkage_keys, sender=LinkageKey, dispatch_uid="secrets_in_logs"
    )
    _record_pkce_code_verifiers()
    _attach()


@pytest.fixture(autouse=True)
def _no_secret_is_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    _attach()  # again: a test may have reconfigured logging
    _HANDLER.current_test = request.node.nodeid
    yield
    _HANDLER.current_test = "between tests"
    leaks = _HANDLER.leaks.pop(request.node.nodeid, [])
    if leaks:
        pytest.fail(
            "secrets reached the log:\n" + "\n".join(f"  {leak}" for leak in leaks),
            pytrace=False,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    leaks = [leak for found in _HANDLER.leaks.values() for leak in found]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line("Secrets reached the log outside any test:", red=True)
            for leak in leaks:
                reporter.write_line(f"  {leak}", red=True)
    elif reporter is not None and reporter.verbosity >= 0:
        reporter.write_line(
            f"secrets_in_logs: {_HANDLER.records_seen} log records at DEBUG, no secret in any"
        )
