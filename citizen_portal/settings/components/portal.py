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

# The portal's public address, used to build absolute URLs (the NHS login redirect URI).
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

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
