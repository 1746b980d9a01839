"""Settings for real deployments: refuses to start without what it needs
(citizen_portal/settings/start_up_checks.py), and never with the one-machine stack's defaults:
an http or local address, the NHS login simulator, DEBUG, the benchmark view or the demo
practice's seed.
"""

from __future__ import annotations

from citizen_portal.settings.start_up_checks import REQUIRED_VARIABLES as REQUIRED_VARIABLES
from citizen_portal.settings.start_up_checks import refuse_to_start_unless_ready

refuse_to_start_unless_ready("Production", on_this_machine=False)

from citizen_portal.settings.deployed import *  # noqa: E402, F403

# The demo practice and its synthetic patients (demo/practice.py) never reach a real register:
# the demo app is not installed, and its seed refused should it be.
DEMO_SEED_ALLOWED = False
