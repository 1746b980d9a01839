"""Whether NHS login must ask the user to share their information with a client, and what
they agreed to.

NHS login's "Sharing a user's NHS login information with your service" page: the user is asked
"when they register a new level of verification", "when they sign into your service using
their NHS login for the first time" and when "your service has an update to the user
information required". Federation specification 3.6.2.1: claims are only released with consent.
"""

from __future__ import annotations

from nhs_login_simulator import vectors
from nhs_login_simulator.models import Client, Consent


def consent_needed(
    *, user_id: str, client: Client, identity_proofing_level: str, scopes: tuple[str, ...]
) -> bool:
    """True on a first sign-in to the client, at a level above the one agreed, or when the
    client asks for a scope the user has not agreed to share with it."""
    given = Consent.objects.filter(user_id=user_id, client=client).first()
    if given is None:
        return True
    if vectors.level_rank(identity_proofing_level) > vectors.level_rank(
        given.identity_proofing_level
    ):
        return True
    return not set(scopes) <= set(given.scopes)


def consent_record(
    *, user_id: str, client: Client, identity_proofing_level: str, scopes: tuple[str, ...]
) -> Consent:
    """The user agreed: remember the highest level agreed at and every scope agreed to."""
    given, _ = Consent.objects.get_or_create(
        user_id=user_id,
        client=client,
        defaults={"identity_proofing_level": identity_proofing_level, "scopes": list(scopes)},
    )
    if vectors.level_rank(identity_proofing_level) > vectors.level_rank(
        given.identity_proofing_level
    ):
        given.identity_proofing_level = identity_proofing_level
    given.scopes = list(dict.fromkeys([*given.scopes, *scopes]))
    given.save()
    return given
