"""The token checks the simulator cannot be made to break: each rule against tokens signed here
with a key generated for the test and published as the provider's JWKS."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import id_token
from accounts.id_token import (
    AccessTokenInvalidError,
    IdTokenInvalidError,
    access_token_verify,
    id_token_verify,
)
from accounts.nhs_login_client import ProviderMetadata
from core.rsa_keys import jwk_thumbprint, private_key_generate, public_jwk

ISSUER = "https://auth.sandpit.signin.nhs.uk"
CLIENT_ID = "citizen-portal"
NONCE = "n-0S6_WzA2Mj-nonce-for-this-test"
VTR = ("P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")
TRUSTMARK = f"{ISSUER}/trustmark/auth.sandpit.signin.nhs.uk"
SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
DELETE = object()


@dataclass(frozen=True)
class Ago:
    """An ``iat`` this many seconds before the token is made (not when the test is collected)."""

    seconds: int


@dataclass(frozen=True)
class Provider:
    private_key: rsa.RSAPrivateKey
    kid: str

    def sign(self, claims: dict[str, Any], *, algorithm: str = "RS512", **headers: Any) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=algorithm, headers={"kid": self.kid, **headers}
        )


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch, settings: SettingsWrapper) -> Provider:
    private_key = private_key_generate()
    kid = jwk_thumbprint(private_key.public_key())
    jwks = {"keys": [public_jwk(private_key.public_key(), kid=kid)]}
    metadata = ProviderMetadata(
        issuer=ISSUER,
        authorization_endpoint=f"{ISSUER}/authorize",
        token_endpoint=f"{ISSUER}/token",
        userinfo_endpoint=f"{ISSUER}/userinfo",
        jwks_uri=f"{ISSUER}/.well-known/jwks.json",
    )
    monkeypatch.setattr(id_token, "provider_jwks", lambda refresh=False: jwks)
    monkeypatch.setattr(id_token, "provider_metadata", lambda: metadata)
    settings.NHS_LOGIN_CLIENT_ID = CLIENT_ID
    settings.NHS_LOGIN_CLOCK_LEEWAY_SECONDS = 30
    settings.NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS = 300
    return Provider(private_key, kid)


def _claims(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **changes}
    now = int(time.time())
    return {
        name: now - value.seconds if isinstance(value, Ago) else value
        for name, value in merged.items()
        if value is not DELETE
    }


def id_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": SUB,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "jti": "id-token-jti",
        "nonce": NONCE,
        "vot": "P9.Cp.Cd",
        "vtm": TRUSTMARK,
        "identity_proofing_level": "P9",
    }
    return _claims(base, changes)


def access_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "sub": SUB,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "jti": "access-token-jti",
        "scope": "openid profile",
        "vot": "P9.Cp.Cd",
        "vtm": TRUSTMARK,
        "identity_proofing_level": "P9",
    }
    return _claims(base, changes)


def verify_id_token(provider: Provider, claims: dict[str, Any]) -> dict[str, Any]:
    return id_token_verify(provider.sign(claims), nonce=NONCE, requested_vtr=VTR)


def test_a_token_as_nhs_login_issues_it_is_accepted(provider: Provider) -> None:
    claims = verify_id_token(provider, id_claims())

    assert claims["vtm"] == TRUSTMARK
    assert access_token_verify(provider.sign(access_claims()), id_token_claims=claims)["vot"] == (
        "P9.Cp.Cd"
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"vtm": DELETE}, "vtm", id="no-vtm"),
        pytest.param(
            {"vtm": "https://trustmark.attacker.example/auth.login.nhs.uk"},
            "vtm is not a URL on the issuer's origin",
            id="vtm-on-another-host",
        ),
        pytest.param(
            {"vtm": "http://auth.sandpit.signin.nhs.uk/trustmark/x"},
            "vtm is not a URL on the issuer's origin",
            id="vtm-over-http",
        ),
        pytest.param(
            {"vtm": "https://auth.sandpit.signin.nhs.uk:8443/trustmark/x"},
            "vtm is not a URL on the issuer's origin",
            id="vtm-on-another-port",
        ),
        pytest.param(
            {"vtm": "https://auth.sandpit.signin.nhs.uk@attacker.example/trustmark"},
            "vtm is not a URL on the issuer's origin",
            id="vtm-with-userinfo",
        ),
        pytest.param(
            {"vtm": "https://auth.sandpit.signin.nhs.uk:port/trustmark"},
            "vtm is not a URL on the issuer's origin",
            id="vtm-port-not-a-number",
        ),
        pytest.param({"vtm": 5}, "vtm is not a URL", id="vtm-not-a-string"),
        pytest.param(
            {"identity_proofing_level": "P7"}, "is not P0, P5 or P9", id="level-not-a-level"
        ),
        pytest.param({"identity_proofing_level": "p9"}, "is not P0, P5 or P9", id="level-lower"),
        pytest.param(
            {"identity_proofing_level": "P5"},
            "identity_proofing_level is below the vot's level",
            id="level-below-vot",
        ),
        pytest.param({"iat": Ago(331)}, "seconds ago, more than 330", id="issued-too-long-ago"),
        pytest.param({"iat": str(int(time.time()))}, "iat is not a number", id="iat-a-string"),
    ],
)
def test_id_token_refused(provider: Provider, changes: dict[str, Any], reason: str) -> None:
    with pytest.raises(IdTokenInvalidError, match=reason):
        verify_id_token(provider, id_claims(**changes))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"iat": Ago(320)}, id="older-than-the-limit-within-leeway"),
        pytest.param({"identity_proofing_level": DELETE}, id="no-level-without-profile-scope"),
        pytest.param(
            {"vot": "P5.Cp.Cd", "identity_proofing_level": "P9"}, id="level-above-the-vot"
        ),
        pytest.param({"vtm": "HTTPS://auth.sandpit.signin.nhs.uk/trustmark"}, id="vtm-scheme-case"),
    ],
)
def test_id_token_accepted(provider: Provider, changes: dict[str, Any]) -> None:
    assert verify_id_token(provider, id_claims(**changes))["sub"] == SUB


def test_max_age_is_the_setting(provider: Provider, settings: SettingsWrapper) -> None:
    settings.NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS = 30

    with pytest.raises(IdTokenInvalidError, match="more than 60"):
        verify_id_token(provider, id_claims(iat=Ago(90)))


def _other_key_token(claims: dict[str, Any]) -> str:
    other = private_key_generate()
    return jwt.encode(claims, other, algorithm="RS512", headers={"kid": "not-published"})


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(lambda p: "opaque-access-token-value", "not a JWS", id="opaque"),
        pytest.param(
            lambda p: p.sign(access_claims(), algorithm="RS256"), "is not RS512", id="rs256"
        ),
        pytest.param(
            lambda p: jwt.encode(
                access_claims(),
                "shared-secret-" * 5,
                algorithm="HS512",
                headers={"kid": p.kid},
            ),
            "is not RS512",
            id="hs512",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(), jku="https://attacker.example/jwks"),
            "header carries jku",
            id="jku-header",
        ),
        pytest.param(lambda p: _other_key_token(access_claims()), "no RS512 key", id="unknown-kid"),
        pytest.param(
            lambda p: p.sign(access_claims(iss="https://auth.login.nhs.uk.attacker.example")),
            "InvalidIssuerError",
            id="another-issuer",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(aud="another-client")),
            "InvalidAudienceError",
            id="another-client",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(exp=Ago(60))),
            "ExpiredSignatureError",
            id="expired",
        ),
        *(
            pytest.param(
                lambda p, claim=claim: p.sign(access_claims(**{claim: DELETE})),
                f'"{claim}"',
                id=f"no-{claim}",
            )
            for claim in ("vot", "vtm", "jti", "scope", "iat", "sub")
        ),
        pytest.param(
            lambda p: p.sign(access_claims(sub="someone-else")),
            "sub differs from the ID token's",
            id="another-patient",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(vot="P5.Cp.Cd", identity_proofing_level="P5")),
            "vot 'P5.Cp.Cd' differs from the ID token's",
            id="vot-differs",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(vtm="https://attacker.example/trustmark")),
            "vtm is not a URL on the issuer's origin",
            id="vtm-elsewhere",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(identity_proofing_level="P6")),
            "is not P0, P5 or P9",
            id="level-not-a-level",
        ),
        pytest.param(
            lambda p: p.sign(access_claims(identity_proofing_level="P0")),
            "below the vot's level",
            id="level-below-vot",
        ),
    ],
)
def test_access_token_refused(provider: Provider, token: Any, reason: str) -> None:
    id_token_claims = verify_id_token(provider, id_claims())

    with pytest.raises(AccessTokenInvalidError, match=reason):
        access_token_verify(token(provider), id_token_claims=id_token_claims)


def test_access_token_level_must_agree_with_the_id_tokens(provider: Provider) -> None:
    id_token_claims = verify_id_token(
        provider, id_claims(vot="P5.Cp.Cd", identity_proofing_level="P5")
    )
    access_token = provider.sign(access_claims(vot="P5.Cp.Cd", identity_proofing_level="P9"))

    with pytest.raises(AccessTokenInvalidError, match="differs from the ID token's"):
        access_token_verify(access_token, id_token_claims=id_token_claims)


def test_access_token_without_a_level_is_accepted(provider: Provider) -> None:
    id_token_claims = verify_id_token(provider, id_claims(identity_proofing_level=DELETE))
    access_token = provider.sign(access_claims(identity_proofing_level=DELETE))

    assert access_token_verify(access_token, id_token_claims=id_token_claims)["sub"] == SUB


def test_reasons_never_carry_the_token(provider: Provider) -> None:
    token = provider.sign(access_claims(aud="another-client"))

    with pytest.raises(AccessTokenInvalidError) as refused:
        access_token_verify(token, id_token_claims=verify_id_token(provider, id_claims()))

    assert token not in str(refused.value)
    assert "eyJ" not in str(refused.value)
