"""NHS login, as this portal is registered with it as a relying party (docs/operations.md), and
mozilla-django-oidc, which accounts/ extends for private_key_jwt (docs/adr/0006); with the
patient's session limits NHS login asks its partners to keep.

Local settings point these at the built-in simulator; elsewhere they come from the NHS login
registration.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.portal import env, env_bool

NHS_LOGIN_ISSUER = env.str("NHS_LOGIN_ISSUER", default="").rstrip("/")
NHS_LOGIN_CLIENT_ID = env.str("NHS_LOGIN_CLIENT_ID", default="")
NHS_LOGIN_PRIVATE_KEY_PATH = env.str("NHS_LOGIN_PRIVATE_KEY_PATH", default="")
# A kid for our client assertions, only if the provider registered a JWK under it (NHS login
# registers a PEM, with no kid: leave it unset).
NHS_LOGIN_KEY_ID = env.str("NHS_LOGIN_KEY_ID", default="")
# ``profile`` gives the last name, date of birth and NHS number; the first name comes only with
# ``profile_extended`` (NHS login's "Scopes and claims"), both from P5. Each must be on the
# client's registration (docs/operations.md).
NHS_LOGIN_SCOPES = env.str(
    "NHS_LOGIN_SCOPES",
    default="openid profile profile_extended email phone gp_registration_details",
)
# Vectors of trust asked for at sign-in: P5 and P9, both with two factors. Features that need
# P9 step up with the P9 vectors of this list only.
NHS_LOGIN_VTR: list[str] = env.json(
    "NHS_LOGIN_VTR",
    default=["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"],
)
# Seconds each call to NHS login's back channel (discovery, JWKS, token, userinfo) may take in
# all, from connecting to the last byte of the answer (core/outbound.py). No retries.
NHS_LOGIN_TIMEOUT_SECONDS = env.float("NHS_LOGIN_TIMEOUT_SECONDS", default=10.0)
# Seconds the whole NHS login callback may spend on those calls together: each call gets what
# is left, so a slow provider gives the patient the "NHS login is not working" page before
# gunicorn kills the worker (GUNICORN_TIMEOUT_SECONDS, gunicorn.conf.py) and shows its own.
NHS_LOGIN_CALLBACK_BUDGET_SECONDS = env.float("NHS_LOGIN_CALLBACK_BUDGET_SECONDS", default=20.0)
# gunicorn reads this itself (gunicorn.conf.py); read here only to keep the budget below it,
# with time left to render the page.
GUNICORN_TIMEOUT_SECONDS = env.int("GUNICORN_TIMEOUT_SECONDS", default=30)
CALLBACK_BUDGET_MARGIN_SECONDS = 5
if NHS_LOGIN_CALLBACK_BUDGET_SECONDS > GUNICORN_TIMEOUT_SECONDS - CALLBACK_BUDGET_MARGIN_SECONDS:
    raise ImproperlyConfigured(
        f"NHS_LOGIN_CALLBACK_BUDGET_SECONDS ({NHS_LOGIN_CALLBACK_BUDGET_SECONDS:g}) must be at "
        f"least {CALLBACK_BUDGET_MARGIN_SECONDS} seconds below GUNICORN_TIMEOUT_SECONDS "
        f"({GUNICORN_TIMEOUT_SECONDS})."
    )
# Seconds discovery and the JWKS are cached; an unknown kid refreshes the JWKS once at once.
NHS_LOGIN_METADATA_CACHE_SECONDS = env.int("NHS_LOGIN_METADATA_CACHE_SECONDS", default=3600)
# Seconds each process uses what it last read of them from the cache before reading again
# (accounts/nhs_login_client.py); 0 reads the cache every time.
NHS_LOGIN_METADATA_MEMORY_SECONDS = env.float("NHS_LOGIN_METADATA_MEMORY_SECONDS", default=60.0)
# Clock skew allowed when checking exp and iat.
NHS_LOGIN_CLOCK_LEEWAY_SECONDS = env.int("NHS_LOGIN_CLOCK_LEEWAY_SECONDS", default=30)
# An ID token issued longer ago than this (plus the leeway) was not issued for the code just
# exchanged, and is refused.
NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS = env.int("NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS", default=300)
# NHS login's access tokens are RS512 JWTs with vot and vtm (Federation specification 4.3), and
# are checked as the ID token is; off only for a provider that issues opaque access tokens.
NHS_LOGIN_ACCESS_TOKEN_SIGNED = env_bool("NHS_LOGIN_ACCESS_TOKEN_SIGNED", default=True)
# Sign-ins each client address may start a minute (429 beyond it). Sized for a national
# service's Monday morning: a household behind one NAT or a GP practice's shared address, where
# several patients sign in and some press the button twice, stays well under 60; a script
# hammering the button from one address does not.
SIGN_IN_RATE_LIMIT_PER_MINUTE = env.int("SIGN_IN_RATE_LIMIT_PER_MINUTE", default=60)
# Sign-ins one browser session may have started and not finished (several tabs, a Back
# button); older ones are dropped, so the session store holds a bounded amount per session
# whatever the address (accounts/sign_in_flow.py).
NHS_LOGIN_MAX_PENDING_FLOWS = env.int("NHS_LOGIN_MAX_PENDING_FLOWS", default=10)
# mozilla-django-oidc keeps its own state, nonce and PKCE verifier per sign-in started: the
# same bound.
OIDC_MAX_STATES = NHS_LOGIN_MAX_PENDING_FLOWS
# How long the state of a sign-in the portal started stays usable. Not a limit on the time a
# patient spends at NHS login (proving who they are can take an hour): NHS login's code lives
# 10 minutes from its issue and state and nonce are single-use, so a session's 12 hours cannot
# discard a real answer (accounts/sign_in_flow.py).
NHS_LOGIN_FLOW_MAX_AGE_SECONDS = env.int("NHS_LOGIN_FLOW_MAX_AGE_SECONDS", default=12 * 60 * 60)
# NHS login's account settings page for the environment in use (NHS login's "NHS login user
# settings"), linked from signed-in pages; defaulted from the known issuers, no link otherwise.
NHS_LOGIN_SETTINGS_URLS_BY_ISSUER = {
    "https://auth.sandpit.signin.nhs.uk": "https://settings.sandpit.signin.nhs.uk",
    "https://auth.aos.signin.nhs.uk": "https://settings.aos.signin.nhs.uk",
    "https://auth.login.nhs.uk": "https://settings.login.nhs.uk",
}
NHS_LOGIN_SETTINGS_URL = env.str(
    "NHS_LOGIN_SETTINGS_URL", default=NHS_LOGIN_SETTINGS_URLS_BY_ISSUER.get(NHS_LOGIN_ISSUER, "")
).rstrip("/")

# mozilla-django-oidc, extended in accounts/ for private_key_jwt (docs/adr/0006); its
# authentication backend is listed in base's AUTHENTICATION_BACKENDS.
OIDC_RP_CLIENT_ID = NHS_LOGIN_CLIENT_ID
OIDC_RP_SCOPES = NHS_LOGIN_SCOPES
OIDC_RP_SIGN_ALGO = "RS512"
OIDC_USE_NONCE = True
OIDC_STATE_SIZE = 43
OIDC_NONCE_SIZE = 43
# PKCE (RFC 7636) on every authorization request, with S256, the one method that keeps the
# verifier out of the request (RFC 9700, 2.1.1): mozilla-django-oidc makes a verifier per
# sign-in, keeps it with that sign-in's state and nonce in the session and sends it with the
# code. Not a variable: nothing should turn it off (docs/adr/0012).
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
# 64 characters drawn from 62 (about 380 bits), within RFC 7636 4.1's 43 to 128.
OIDC_PKCE_CODE_VERIFIER_SIZE = 64
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:nhs_login_callback"

# NHS login keeps no session for us (NHS login's "Session management"): after 30 minutes
# without activity and after 12 hours in all the portal ends the session and sends the patient
# straight to NHS login to sign in again (prompt=login); a warning comes this many seconds
# (SESSION_WARNING_SECONDS) before the inactivity limit, and says so (accounts/session_timer.py).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
SESSION_WARNING_SECONDS = env.int("SESSION_WARNING_SECONDS", default=2 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
