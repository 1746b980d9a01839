"""Linkage keys and their API (docs/linkage-api.md, docs/adr/0007)."""

from __future__ import annotations

from citizen_portal.settings.components.portal import env

# Keys are encrypted at rest with Fernet; the list lets them rotate: the first key encrypts,
# every key decrypts (docs/adr/0007). Required in production; local settings generate one under
# DATA_DIR.
LINKAGE_ENCRYPTION_KEYS: list[str] = env.list("LINKAGE_ENCRYPTION_KEYS", default=[])
# Patients younger than this cannot have a key created (their birthday counts).
LINKAGE_MINIMUM_AGE = env.int("LINKAGE_MINIMUM_AGE", default=16)
# Linkage API: bearer tokens' lifetime and each client's request budget per minute.
LINKAGE_API_TOKEN_SECONDS = env.int("LINKAGE_API_TOKEN_SECONDS", default=300)
LINKAGE_API_RATE_LIMIT_PER_MINUTE = env.int("LINKAGE_API_RATE_LIMIT_PER_MINUTE", default=300)
# Per client address, checked before a token is looked up or anything is written, so anonymous
# callers are bounded too. A supplier may run several clients from one egress address: four
# clients at their full budget fit in 1,200 a minute. A client needs a token every five
# minutes, so 60 token requests a minute from one address is many clients, or an attack.
LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = env.int(
    "LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default=1200
)
LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = env.int(
    "LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE", default=60
)

# What core.views.server_error answers, under these paths, when the database is unreachable:
# the linkage API's own 503 body (docs/linkage-api.md, "Errors"), not the patient's page.
SERVICE_UNAVAILABLE_ANSWERS = {"/api/": "linkage.api.service_unavailable_response"}
