"""Single sign-on between two relying parties by an asserted token (NHS login's "Single Sign
On" page; Federation specification 3.4.1, ``asserted_login_identity``).

RP1 (the NHS App, say) signs a JWT with its own client key whose ``code`` is the ``jti`` of an
ID token NHS login issued to RP1; RP2 passes it on in its authorization request. NHS login
signs the user in to RP2 without a sign-in page if the token holds and single sign-on is set
up between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.db import IntegrityError, transaction
from django.utils import timezone

from nhs_login_simulator.clients import UnknownKeyError, client_signing_key, sso_configured
from nhs_login_simulator.models import Client, IssuedIdToken, UsedAssertedLoginIdentity

ALGORITHM = "RS512"
# "Asserted tokens are one time tokens (TTL 60 sec)".
MAX_LIFETIME = timedelta(seconds=60)
CLOCK_LEEWAY = timedelta(seconds=30)


class AssertedIdentityError(Exception):
    """The asserted_login_identity is not valid or not permitted; the message says why."""


@dataclass(frozen=True)
class AssertedIdentity:
    """Who the asserted token signs in, as the ID token it names had them."""

    user_id: str
    identity_proofing_level: str
    auth_time: datetime


def asserted_login_identity_verify(*, token: str, requesting: Client) -> AssertedIdentity:
    """Check the token as the "Single Sign On" page says, and use it up: signed RS512 by a
    registered client with its registered key; ``iss`` that client; ``code`` the ``jti`` of an
    ID token issued to it and still valid; ``jti`` and ``iat`` present; ``exp`` at most 60
    seconds after ``iat`` and not passed; never used before; and single sign-on set up between
    that client and the one asking."""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AssertedIdentityError("asserted_login_identity is not a JWT") from error
    if header.get("alg") != ALGORITHM:
        raise AssertedIdentityError(f"asserted_login_identity must be signed {ALGORITHM}")
    issuer = unverified.get("iss")
    asserting = Client.objects.filter(client_id=issuer).first() if isinstance(issuer, str) else None
    if asserting is None:
        raise AssertedIdentityError("asserted_login_identity iss is not a registered client")
    try:
        claims = jwt.decode(
            token,
            client_signing_key(client=asserting, header=header),
            algorithms=[ALGORITHM],
            issuer=asserting.client_id,
            options={"require": ["iss", "code", "jti", "iat", "exp"], "verify_iat": False},
        )
    except UnknownKeyError as error:
        raise AssertedIdentityError(f"asserted_login_identity {error}") from error
    except jwt.PyJWTError as error:
        raise AssertedIdentityError(f"asserted_login_identity rejected: {error}") from error
    now = timezone.now()
    if not all(isinstance(claims[name], int) for name in ("iat", "exp")):
        raise AssertedIdentityError("asserted_login_identity iat and exp must be numbers")
    if claims["exp"] - claims["iat"] > MAX_LIFETIME.total_seconds():
        raise AssertedIdentityError("asserted_login_identity lives longer than 60 seconds")
    if claims["iat"] > (now + CLOCK_LEEWAY).timestamp():
        raise AssertedIdentityError("asserted_login_identity was issued in the future")
    if not sso_configured(asserting=asserting, requesting=requesting):
        raise AssertedIdentityError(
            "single sign-on is not set up between the asserting client and this one"
        )
    issued = IssuedIdToken.objects.filter(
        jti=str(claims["code"]), client=asserting, expires_at__gt=now
    ).first()
    if issued is None:
        raise AssertedIdentityError(
            "asserted_login_identity code is not an ID token issued to the asserting client"
        )
    UsedAssertedLoginIdentity.objects.filter(expires_at__lt=now - CLOCK_LEEWAY).delete()
    try:
        with transaction.atomic():
            UsedAssertedLoginIdentity.objects.create(
                client=asserting,
                jti=str(claims["jti"]),
                expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo),
            )
    except IntegrityError as error:
        raise AssertedIdentityError("asserted_login_identity has been used before") from error
    return AssertedIdentity(issued.user_id, issued.identity_proofing_level, issued.auth_time)
