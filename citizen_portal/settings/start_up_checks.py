"""What a deployed portal refuses to start without, shared by ``production`` and ``stack``.

Every problem is found before any is reported, so an operator fixes the deployment in one pass
rather than one restart per variable. ``production`` serves patients on the internet: https
addresses only, never this machine's, never the NHS login simulator. ``stack`` is
compose.yaml's production-like stack on one computer: the same checks, except that its own
addresses must be this machine's (so it can never be put in front of the public) and it may sign
in through the simulator.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.http.request import validate_host

from citizen_portal.settings.base import env, env_bool
from citizen_portal.settings.components.simulator import SIMULATOR_ISSUER_PATH
from core.this_machine import host_is_this_machine

REQUIRED_VARIABLES = (
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "PORTAL_BASE_URL",
    "NHS_LOGIN_ISSUER",
    "NHS_LOGIN_CLIENT_ID",
    "NHS_LOGIN_PRIVATE_KEY_PATH",
    "LINKAGE_ENCRYPTION_KEYS",
    # Replay records, tokens, rate limits and sessions must be shared by every worker and
    # server: without Redis each worker keeps its own, and one client assertion buys a token
    # from each of them.
    "REDIS_URL",
)

# Production serves patients: its pages must name who runs the service and how to reach them
# (the footer, the privacy notice, the accessibility statement), never the demo's defaults. The
# one-machine stack keeps those.
PATIENT_FACING_VARIABLES = ("SERVICE_ORGANISATION_NAME", "SERVICE_CONTACT_EMAIL")


def _address_problem(name: str, *, on_this_machine: bool) -> str | None:
    """NHS login registers https redirect URIs only (Federation specification 7.3) and its
    issuers are https (4.2, iss): an http issuer would let anyone on the path answer for it."""
    value = env.str(name, default="").strip()
    if not value:
        return None  # reported as missing
    try:
        address = urlsplit(value)
        host = address.hostname
    except ValueError:
        return f"{name} ({value}) is not a URL"
    if not host or address.scheme not in ("http", "https"):
        return f"{name} must be an https:// address, not {value}"
    if on_this_machine:
        if name == "PORTAL_BASE_URL" and not host_is_this_machine(host):
            return (
                f"{name} must be this machine (localhost or *.localhost) in the one-machine "
                f"stack, not {value}: a portal for patients runs with production settings"
            )
        if address.scheme == "http" and not host_is_this_machine(host):
            return f"{name} must be an https:// address, not {value}"
        return None
    if address.scheme != "https":
        return f"{name} must be an https:// address, not {value}"
    if host_is_this_machine(host):
        return (
            f"{name} must not be this machine ({value}) in production; the one-machine stack "
            "runs with citizen_portal.settings.stack"
        )
    if name == "NHS_LOGIN_ISSUER" and address.path.rstrip("/").endswith(SIMULATOR_ISSUER_PATH):
        return f"{name} is the NHS login simulator ({value}); production signs in with NHS login"
    return None


def _allowed_hosts_problem() -> str | None:
    hosts = [host.strip() for host in env.list("ALLOWED_HOSTS", default=[]) if host.strip()]
    public = [host for host in hosts if not host_is_this_machine(host.lstrip("."))]
    if public:
        return (
            "ALLOWED_HOSTS may name only this machine (localhost or *.localhost) in the "
            f"one-machine stack, not {', '.join(public)}"
        )
    return None


def _admin_host_problem() -> str | None:
    """The admin on a host of its own (docs/operations.md) must be a host Django serves."""
    admin_host = env.str("ADMIN_HOST", default="").strip().lower()
    allowed = [host.strip() for host in env.list("ALLOWED_HOSTS", default=[]) if host.strip()]
    if admin_host and not validate_host(admin_host, allowed):
        return f"ADMIN_HOST ({admin_host}) must be one of ALLOWED_HOSTS too"
    return None


def _contact_email_problem() -> str | None:
    email = env.str("SERVICE_CONTACT_EMAIL", default="").strip()
    try:
        if email:
            validate_email(email)
    except ValidationError:
        return f"SERVICE_CONTACT_EMAIL ({email}) is not an email address"
    return None


PROVISIONING_VARIABLES = (
    "NHS_LOGIN_PROVISIONING_TOKEN_URL",
    "NHS_LOGIN_PROVISIONING_CLIENT_ID",
    "NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH",
)


def _provisioning_problems(*, on_this_machine: bool) -> list[str]:
    """Account provisioning is optional; once its URL is set, it needs its client, and its
    two addresses are https as every flow of the interface is (Provision Account interface,
    2.1: "HTTP is not supported"; docs/provisioning.md)."""
    if not env.str("NHS_LOGIN_PROVISIONING_URL", default="").strip():
        return []
    problems = [
        f"{name} is missing or empty (NHS_LOGIN_PROVISIONING_URL is set)"
        for name in PROVISIONING_VARIABLES
        if not env.str(name, default="").strip()
    ]
    return problems + [
        problem
        for name in ("NHS_LOGIN_PROVISIONING_URL", "NHS_LOGIN_PROVISIONING_TOKEN_URL")
        if (problem := _address_problem(name, on_this_machine=on_this_machine))
    ]


def start_up_problems(*, on_this_machine: bool) -> list[str]:
    problems = [
        f"{name} is missing or empty"
        for name in REQUIRED_VARIABLES
        if not env.str(name, default="").strip()
    ]
    if not on_this_machine:
        problems += [
            f"{name} is missing or empty"
            for name in PATIENT_FACING_VARIABLES
            if not env.str(name, default="").strip()
        ]
        if problem := _contact_email_problem():
            problems.append(problem)
    problems += [
        problem
        for name in ("PORTAL_BASE_URL", "NHS_LOGIN_ISSUER")
        if (problem := _address_problem(name, on_this_machine=on_this_machine))
    ]
    problems += _provisioning_problems(on_this_machine=on_this_machine)
    if on_this_machine and (problem := _allowed_hosts_problem()):
        problems.append(problem)
    if problem := _admin_host_problem():
        problems.append(problem)
    for switch in ("DEBUG", "BENCHMARK_BASELINE_ENABLED", "NHS_LOGIN_SIMULATOR_ENABLED"):
        if env_bool(switch, default=False):
            problems.append(f"{switch} must not be on in production")
    return problems


def refuse_to_start_unless_ready(settings_name: str, *, on_this_machine: bool) -> None:
    problems = start_up_problems(on_this_machine=on_this_machine)
    if problems:
        raise ImproperlyConfigured(
            f"{settings_name} settings cannot start: " + "; ".join(problems) + ". See .env.example."
        )
