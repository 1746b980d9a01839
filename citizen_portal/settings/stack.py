"""compose.yaml's production-like stack on one computer: production's settings and checks, with
the two differences a stack needs to be tried without NHS login. It may sign in through the NHS
login simulator over http on this machine, and it may seed the demo practice. In exchange its
own addresses (``PORTAL_BASE_URL``, ``ALLOWED_HOSTS``) must be this machine's, so these defaults
can never serve patients: production settings refuse every one of them
(citizen_portal/settings/start_up_checks.py).
"""

from __future__ import annotations

from citizen_portal.settings.start_up_checks import refuse_to_start_unless_ready

refuse_to_start_unless_ready("One-machine stack", on_this_machine=True)

from citizen_portal.settings.components.demo import demo_install  # noqa: E402
from citizen_portal.settings.deployed import *  # noqa: E402, F403

# The demo app and its seed, for `docker compose run --rm migrate python manage.py
# demo_practice_seed` (compose.yaml).
demo_install(globals())
