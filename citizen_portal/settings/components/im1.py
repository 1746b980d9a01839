"""IM1 pairing (docs/im1-api.md, docs/adr/0025): how many failed pairings are allowed, and
when an account's pairing locks."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.portal import env

# Failed pairings in a row for one account (Account ID at a practice) before its pairing is
# locked, until staff or the patient's next P9 sign-in unlock it.
IM1_PAIRING_LOCK_AFTER_FAILURES = env.int("IM1_PAIRING_LOCK_AFTER_FAILURES", default=5)
# Failed pairings a minute before 429 RATE_LIMITED: for one account, from one partner, and
# from one client address (a partner's servers, or several partners behind one address).
IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE = env.int(
    "IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE", default=3
)
IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE = env.int(
    "IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE", default=30
)
IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE = env.int(
    "IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE", default=30
)
for _name, _value in (
    ("IM1_PAIRING_LOCK_AFTER_FAILURES", IM1_PAIRING_LOCK_AFTER_FAILURES),
    ("IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE", IM1_PAIRING_FAILURES_PER_ACCOUNT_PER_MINUTE),
    ("IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE", IM1_PAIRING_FAILURES_PER_PARTNER_PER_MINUTE),
    ("IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE", IM1_PAIRING_FAILURES_PER_ADDRESS_PER_MINUTE),
):
    if _value < 1:  # zero would refuse every pairing
        raise ImproperlyConfigured(f"{_name} must be at least 1, not {_value}")
