"""The patient's GP practice as this system knows it: its name, and whether it offers online
services here.

NHS login gives only the practice's code (``gp_registration_details``, at P5 and P9: NHS
login's "Scopes and claims"). The practices themselves are linkage's (the register), and
``accounts`` does not import ``linkage`` (CONTRIBUTING.md, "The boundaries are checked"), so the
look-up is a seam: the app that holds the practices registers a function here when Django
starts (``linkage.apps.LinkageConfig.ready``), and the patient's pages ask through it
(docs/adr/0021-practice-check-before-the-step-up.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GpPractice:
    """A practice on this system: ``online_services_live`` is off while it is here but offers
    no online services."""

    ods_code: str
    name: str
    online_services_live: bool


class GpPracticesUnavailableError(Exception):
    """The practices could not be read (the database is briefly unreachable): the page goes
    on without them rather than guess."""


GpPracticeLookup = Callable[[str], GpPractice | None]

_lookup: GpPracticeLookup | None = None


def gp_practice_lookup_register(lookup: GpPracticeLookup) -> None:
    """Called once at start-up by the app that holds the practices."""
    global _lookup
    _lookup = lookup


def gp_practice_find(ods_code: str) -> GpPractice | None:
    """The practice with this code, or None if it is not on this system (or there is no code).

    Raises GpPracticesUnavailableError when the practices cannot be read just now.
    """
    if _lookup is None:
        raise ImproperlyConfigured("No GP practice look-up is registered (linkage.apps)")
    if not ods_code:
        return None
    try:
        return _lookup(ods_code)
    except DatabaseError as error:
        raise GpPracticesUnavailableError from error


def gp_practice_shown(ods_code: str) -> GpPractice | None:
    """The practice to name on a page, or None: a page that only shows the practice goes on
    without its name when the practices cannot be read (as the home page does through a
    database outage, accounts/session_user.py)."""
    try:
        return gp_practice_find(ods_code)
    except GpPracticesUnavailableError:
        logger.warning("GP practices unavailable: the page goes on without the practice's name")
        return None
