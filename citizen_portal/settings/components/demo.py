"""The demo app (demo/): the demo practice with its synthetic patients, and a laptop's set-up
for `make run`. Only ``local``, ``test`` and ``stack`` install it, with ``demo_install``;
``production`` never does, so there its commands do not exist, and ``DEMO_SEED_ALLOWED`` stays
off should the app be installed there all the same."""

from __future__ import annotations

from typing import Any

_APP = "demo"

# Whether demo/practice.py may create the demo practice and its synthetic patients: a property of
# the settings module, not of the environment. On for a laptop, the tests and the one-machine
# stack; off in production, which never holds anyone but real patients.
DEMO_SEED_ALLOWED = False
# Whether `manage.py local_setup` (`make run`'s set-up: keys, the simulator's registration, the
# demo practice, collected static files with DEBUG off) may run: on a laptop's settings only,
# with DEBUG on or off; never the tests' (which turn it on to test it) or the stack's.
LOCAL_SETUP_ALLOWED = False


def demo_install(settings: dict[str, Any]) -> None:
    """Install the demo app into the settings module whose ``globals()`` are ``settings``, and
    allow its seed there. Does nothing a second time; builds a new INSTALLED_APPS rather than
    changing the one the module imported, which belongs to ``base``."""
    if _APP not in settings["INSTALLED_APPS"]:
        settings["INSTALLED_APPS"] = [*settings["INSTALLED_APPS"], _APP]
    settings["DEMO_SEED_ALLOWED"] = True
