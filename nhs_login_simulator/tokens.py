"""The token endpoint's rules and the tokens it signs (Federation specification 3.5 and 4;
RFC 7523 for the client assertion; RFC 7636 for the PKCE verifier)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from core.client_assertion import (
    JWT_BEARER,
    ClientAssertionError,
    client_assertion_issuer,
    client_assertion_verify,
)
from core.rsa_keys import b64url
from nhs_login_simulator import keys
from nhs_login_simulator.claims import ID_TOKEN_PROFILE_CLAIMS, user_claims
from nhs_login_simulator.clients import UnknownKeyError, client_signing_key
from nhs_login_simulator.faults import fault_effective
from nhs_login_simulator.models import (
    AuthorizationCode,
    Client,
    IssuedIdToken,
    RefreshToken,
    UsedClientAssertion,
    token_hash,
)
from nhs_login_simulator.token_signing import ID_TOKEN_LIFETIME, id_token_sign, jwt_sign
from nhs_login_simulator.users import simulated_user_get

ACCESS_TOKEN_LIFETIME = timedelta(minutes=5)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
CLOCK_LEEWAY = timedelta(seconds=30)
# RFC 7636, 4.1: 43 to 128 of the unreserved characters.
_CODE_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


class TokenError(Exception):
    """An OAuth error answered as HTTP 400 JSON."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


class InvalidAccessTokenError(Exception):
    pass


def issuer() -> str:
    return str(settings.NHS_LOGIN_SIMULATOR_ISSUER)


def endpoint(name: str) -> str:
    return f"{issuer()}/{name}"


def trustmark_host() -> str:
    return urlsplit(issuer()).hostname or ""


def vtm() -> str:
    """The trustmark URL on the issuer's own origin, as NHS login's
    ``https://auth.login.nhs.uk/trustmark/auth.login.nhs.uk`` (Federation specification 5.1.5)."""
    return endpoint(f"trustmark/{trustmark_host()}")


@dataclass(frozen=True)
class Grant:
    """What a code or refresh token entitles the client to."""

    client: Client
    user_id: str
    scope: tuple[str, ...]
    vtr: tuple[str, ...]
    vot: str
    identity_proofing_level: str
    auth_time: datetime
    fault: str
    nonce: str | None


def client_authenticate(form: QueryDict) -> Client:
    """Verify the private_key_jwt client assertion; the only client authentication accepted."""
    if form.get("client_assertion_type") != JWT_BEARER:
        raise TokenError("invalid_client", f"client_assertion_type must be {JWT_BEARER}")
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise TokenError("invalid_client", "client_assertion is required")
    try:
        client_id = client_assertion_issuer(assertion)
        client = Client.objects.filter(client_id=client_id).first()
        if client is None:
            raise ClientAssertionError("client_assertion iss is not a registered client")
        if form.get("client_id") and form["client_id"] != client.client_id:
            raise ClientAssertionError("client_id does not match the client assertion")
        try:
            public_key = client_signing_key(
                client=client, header=jwt.get_unverified_header(assertion)
            )
        except UnknownKeyError as error:
            raise ClientAssertionError(f"client_assertion {error}") from error
        claims = client_assertion_verify(
            assertion, public_key=public_key, client_id=client.client_id, audience=endpoint("token")
        )
    except ClientAssertionError as error:
        raise TokenError("invalid_client", str(error)) from error
    now = timezone.now()
    expires_at = datetime.fromtimestamp(claims["exp"], tz=now.tzinfo)
    UsedClientAssertion.objects.filter(expires_at__lt=now - CLOCK_LEEWAY).delete()
    try:
        with transaction.atomic():
            UsedClientAssertion.objects.create(
                client=client, jti=claims["jti"], expires_at=expires_at
            )
    except IntegrityError as error:
        raise TokenError("invalid_client", "client_assertion jti has been used before") from error
    return client


def code_verifier_check(*, code_challenge: str, code_verifier: str) -> None:
    """The token request proves the verifier behind the code's PKCE challenge (RFC 7636, 4.6:
    ``invalid_grant`` if it does not). A code issued without a challenge takes no verifier:
    RFC 9700 (2.1.1, 4.8.2) has an authorization server refuse one, or an attacker could pass a
    code whose challenge was stripped from the request as one that was checked."""
    if not code_challenge:
        if code_verifier:
            raise TokenError(
                "invalid_grant", "code_verifier sent, but the authorization request had no PKCE"
            )
        return
    if not code_verifier:
        raise TokenError(
            "invalid_grant", "code_verifier is required: the authorization request used PKCE"
        )
    if not _CODE_VERIFIER.fullmatch(code_verifier):
        raise TokenError("invalid_request", "code_verifier must be 43 to 128 unreserved characters")
    derived = b64url(hashlib.sha256(code_verifier.encode("ascii")).digest())
    if not hmac.compare_digest(derived, code_challenge):
        raise TokenError("invalid_grant", "code_verifier does not match the code_challenge")


def grant_from_code(*, client: Client, form: QueryDict) -> Grant:
    code = form.get("code", "")
    redirect_uri = form.get("redirect_uri", "")
    if not code or not redirect_uri:
        raise TokenError("invalid_request", "code and redirect_uri are required")
    now = timezone.now()
    found = AuthorizationCode.objects.filter(code_hash=token_hash(code), client=client).first()
    if found is None:
        raise TokenError("invalid_grant", "The code is not valid for this client")
    if found.redirect_uri != redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
    if found.expires_at <= now:
        raise TokenError("invalid_grant", "The code has expired")
    # Before the code is spent, as oidc-provider does: whoever holds a stolen code without its
    # verifier cannot use it up and so turn away the sign-in it belongs to.
    code_verifier_check(
        code_challenge=found.code_challenge, code_verifier=form.get("code_verifier", "")
    )
    # Single use, even when two requests race: only one update finds it unused.
    claimed = AuthorizationCode.objects.filter(pk=found.pk, used_at__isnull=True).update(
        used_at=now
    )
    if not claimed:
        raise TokenError("invalid_grant", "The code has already been used")
    return Grant(
        client=client,
        user_id=found.user_id,
        scope=tuple(found.scope.split()),
        vtr=tuple(found.vtr),
        vot=found.vot,
        identity_proofing_level=found.identity_proofing_level,
        auth_time=found.auth_time,
        fault=found.fault,
        nonce=found.nonce,
    )


def grant_from_refresh_token(*, client: Client, form: QueryDict) -> Grant:
    presented = form.get("refresh_token", "")
    if not presented:
        raise TokenError("invalid_request", "refresh_token is required")
    found = RefreshToken.objects.filter(token_hash=token_hash(presented), client=client).first()
    if found is None or found.expires_at <= timezone.now():
        raise TokenError("invalid_grant", "The refresh token is not valid for this client")
    granted = tuple(found.scope.split())
    asked = tuple(form.get("scope", "").split()) or granted
    if not set(asked) <= set(granted):
        raise TokenError("invalid_scope", "A refresh cannot widen the scope first granted")
    return Grant(
        client=client,
        user_id=found.user_id,
        scope=asked,
        vtr=tuple(found.vtr),
        vot=found.vot,
        identity_proofing_level=found.identity_proofing_level,
        auth_time=found.auth_time,
        fault=found.fault,
        nonce=None,  # OpenID Connect Core 12.2: no nonce in a refreshed ID token
    )


def token_response(*, grant: Grant, issue_refresh_token: bool) -> dict[str, Any]:
    user = simulated_user_get(grant.user_id)
    if user is None:
        raise TokenError("invalid_grant", "The user no longer exists")
    now = timezone.now()
    fault = fault_effective(grant.fault)
    trustmark = vtm()
    access_claims = {
        "iss": issuer(),
        "sub": user.sub,
        "aud": grant.client.client_id,
        "client_id": grant.client.client_id,
        "scope": " ".join(grant.scope),
        "vot": grant.vot,
        "vtm": trustmark,
        "identity_proofing_level": grant.identity_proofing_level,
        "token_use": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TOKEN_LIFETIME).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    if grant.fault:
        # Carries the flow's fault to the userinfo endpoint; clients never read access tokens.
        access_claims["simulator_fault"] = grant.fault
    profile = (
        user_claims(
            user=user,
            scopes=("profile",),
            identity_proofing_level=grant.identity_proofing_level,
            im1_enabled=grant.client.im1_enabled,
        )
        if "profile" in grant.scope
        else {}
    )
    id_claims: dict[str, Any] = {
        "iss": issuer(),
        "sub": user.sub,
        "aud": grant.client.client_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        "jti": str(uuid.uuid4()),
        "auth_time": int(grant.auth_time.timestamp()),
        "vot": grant.vot,
        "vtm": trustmark,
        **{claim: profile[claim] for claim in ID_TOKEN_PROFILE_CLAIMS if claim in profile},
    }
    if grant.nonce is not None:
        id_claims["nonce"] = grant.nonce
    # Kept so that an asserted_login_identity can name this ID token as its code.
    IssuedIdToken.objects.create(
        jti=id_claims["jti"],
        client=grant.client,
        user_id=grant.user_id,
        identity_proofing_level=grant.identity_proofing_level,
        auth_time=grant.auth_time,
        expires_at=now + ID_TOKEN_LIFETIME,
    )
    response: dict[str, Any] = {
        "access_token": jwt_sign(access_claims),
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
        "id_token": id_token_sign(id_claims, fault=fault, grant=grant),
    }
    if issue_refresh_token:
        refresh_token = secrets.token_urlsafe(32)
        RefreshToken.objects.create(
            token_hash=token_hash(refresh_token),
            client=grant.client,
            user_id=grant.user_id,
            scope=" ".join(grant.scope),
            vtr=list(grant.vtr),
            vot=grant.vot,
            identity_proofing_level=grant.identity_proofing_level,
            auth_time=grant.auth_time,
            fault=grant.fault,
            expires_at=now + REFRESH_TOKEN_LIFETIME,
        )
        response["refresh_token"] = refresh_token
    return response


PROVISIONING_TOKEN_USE = "provisioning"  # noqa: S105 (a claim's value, not a secret)


def provisioning_token_response(client: Client) -> dict[str, Any]:
    """A ``client_credentials`` grant for a client registered for provisioning (Provision
    Account interface 3.2.3 and 4.2): an RS512 access token whose ``sub`` and ``aud`` are the
    client, valid for 300 seconds."""
    if not client.provisioning_enabled:
        raise TokenError(
            "unauthorized_client", "The client is not registered for account provisioning"
        )
    now = timezone.now()
    claims = {
        "iss": issuer(),
        "sub": client.client_id,
        "aud": client.client_id,
        "client_id": client.client_id,
        "token_use": PROVISIONING_TOKEN_USE,
        "iat": int(now.timestamp()),
        "exp": int((now + ACCESS_TOKEN_LIFETIME).timestamp()),
        "jti": str(uuid.uuid4()),
    }
    return {
        "access_token": jwt_sign(claims),
        "token_type": "Bearer",
        "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
    }


def _signed_token_claims(token: str, *, required: list[str]) -> dict[str, Any]:
    """The claims of a token this simulator signed with one of its keys, still valid, with
    ``required`` present; InvalidAccessTokenError, saying why, for anything else."""
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as error:
        raise InvalidAccessTokenError("The access token is not a JWT") from error
    key = next((k for k in keys.signing_keys() if k.kid == kid), None)
    if key is None:
        raise InvalidAccessTokenError("The access token was not signed by this provider")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.private_key.public_key(),
            algorithms=["RS512"],
            issuer=issuer(),
            options={"verify_aud": False, "require": required},
        )
    except jwt.PyJWTError as error:
        raise InvalidAccessTokenError(f"The access token is not valid: {error}") from error
    return claims


def provisioning_token_verify(token: str) -> Client:
    """The client a provisioning access token was issued to, while it lives and the client is
    still registered for provisioning."""
    claims = _signed_token_claims(token, required=["iss", "sub", "exp"])
    if claims.get("token_use") != PROVISIONING_TOKEN_USE:
        raise InvalidAccessTokenError("The token is not a provisioning access token")
    client = Client.objects.filter(client_id=claims["sub"], provisioning_enabled=True).first()
    if client is None:
        raise InvalidAccessTokenError("The client is not registered for account provisioning")
    return client


def access_token_verify(token: str) -> dict[str, Any]:
    """The claims of an access token this simulator signed and that is still valid."""
    claims = _signed_token_claims(token, required=["iss", "sub", "exp", "scope"])
    if claims.get("token_use") != "access":
        raise InvalidAccessTokenError("The token is not an access token")
    return claims
