"""NHS login account provisioning (docs/provisioning.md, docs/adr/0027): the portal as a
service consumer of NHS login's Provision Account interface, which practice staff use from the
admin to give a registered patient a P9 NHS login.

Off until ``NHS_LOGIN_PROVISIONING_URL`` is set; local and test settings point it at the
simulator (``{issuer}/provisioning`` and its token endpoint), with the key and client that
`make run` makes and registers (demo/management/commands/local_setup.py).
"""

from __future__ import annotations

from citizen_portal.settings.components.portal import env

# The base of the interface: the call goes to {NHS_LOGIN_PROVISIONING_URL}/provision-account.
NHS_LOGIN_PROVISIONING_URL = env.str("NHS_LOGIN_PROVISIONING_URL", default="").rstrip("/")
# NHS login's token endpoint for the client_credentials grant; also the aud of our assertion.
NHS_LOGIN_PROVISIONING_TOKEN_URL = env.str("NHS_LOGIN_PROVISIONING_TOKEN_URL", default="")
NHS_LOGIN_PROVISIONING_CLIENT_ID = env.str("NHS_LOGIN_PROVISIONING_CLIENT_ID", default="")
# The RSA private key (PEM) whose public half NHS login registered for that client.
NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH = env.str(
    "NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH", default=""
)
# Seconds one provisioning may spend on NHS login in all: the token request, when a new token
# is needed, and the provision-account call share it (core/outbound.py). No retries.
NHS_LOGIN_PROVISIONING_TIMEOUT_SECONDS = env.float(
    "NHS_LOGIN_PROVISIONING_TIMEOUT_SECONDS", default=10.0
)
