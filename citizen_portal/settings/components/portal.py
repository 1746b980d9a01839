"""What every other component builds on: how the environment is read, and the portal's own
name, public address and data directory."""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent.parent

env = environ.Env()

_TRUE_WORDS = {"1", "true", "yes", "on"}
_FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, *, default: bool) -> bool:
    """Read a yes/no variable, refusing anything unrecognised.

    django-environ reads any unknown word as False; for switches such as DEBUG a typo should
    stop the start-up, not silently pick a side.
    """
    raw = env.str(name, default="").strip().lower()
    if not raw:
        return default
    if raw in _TRUE_WORDS:
        return True
    if raw in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of {sorted(_TRUE_WORDS | _FALSE_WORDS)}, not {raw!r}."
    )


# Where the portal keeps what it makes at run time: the SQLite database, generated keys,
# collected static files. Never committed (see .gitignore).
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data"))).resolve()


# Listeners on every interface are reached from this machine at its loopback address. (Names
# that mean every interface, read from the address given, not an address bound here.)
_ANY_INTERFACE = {"", "0.0.0.0", "::"}  # noqa: S104


def listening_address_url(host: str, port: str) -> str:
    """The address a browser on this machine opens for a server listening on ``host:port``:
    how `make run` (Makefile: ``HOST``, ``PORT``) gives the portal its own address, so that the
    NHS login redirect URI and the built-in simulator's issuer follow the port it serves on.

    A listener on every interface (0.0.0.0, ::) is reached at 127.0.0.1; an IPv6 address is
    written in brackets (RFC 3986, 3.2.2). A port that is not a number stops the start-up.
    """
    name = host.strip().removeprefix("[").removesuffix("]")
    if name in _ANY_INTERFACE:
        name = "127.0.0.1"
    if ":" in name:
        name = f"[{name}]"
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ImproperlyConfigured(f"PORT must be a port number from 1 to 65535, not {port!r}.")
    return f"http://{name}:{int(port)}"


# Where `make run` serves the portal: the Makefile passes its HOST and PORT (its own, which
# win over any in .env), so the portal's address below follows them.
RUN_HOST = env.str("HOST", default="127.0.0.1")
RUN_PORT = env.str("PORT", default="8000")

# The portal's public address, used to build absolute URLs (the NHS login redirect URI).
# Unset, the address `make run` serves on; production requires it.
PORTAL_BASE_URL = (
    env.str("PORTAL_BASE_URL", default="").strip() or listening_address_url(RUN_HOST, RUN_PORT)
).rstrip("/")

# The service as patients see it, set by each supplier that runs it: its name (the header, page
# titles, the client name on NHS login's pages), the organisation that runs it for the practices
# (the footer, the privacy notice, the terms of use, the accessibility statement) and the email
# address patients write to about the website itself. Production refuses to start without the
# organisation and the address (start_up_checks.py); elsewhere these are the demo's.
SERVICE_NAME = env.str("SERVICE_NAME", default="Citizen portal")
SERVICE_ORGANISATION_NAME = env.str(
    "SERVICE_ORGANISATION_NAME", default="Citizen portal demo supplier"
)
SERVICE_CONTACT_EMAIL = env.str("SERVICE_CONTACT_EMAIL", default="citizen-portal@example.org")
