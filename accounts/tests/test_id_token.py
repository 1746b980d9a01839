"""The token checks the simulator cannot be made to break: each rule against tokens signed here
with a key generated for the test and published as the provider's JWKS."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts import id_token
from accounts.id_token import (
    AccessTokenInvalidError,
    IdTokenInvalidError,
    VotNotRequestedError,
    access_token_verify,
    id_token_verify,
)
from accounts.nhs_login_client import ProviderMetadata
from core.rsa_keys import b64url, jwk_thumbprint, private_key_generate, public_jwk

ISSUER = "https://auth.sandpit.signin.nhs.uk"
CLIENT_ID = "citizen-portal"
NONCE = "n-0S6_WzA2Mj-nonce-for-this-test"
VTR = ("P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", "P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm")
TRUSTMARK = f"{ISSUER}/trustmark/auth.sandpit.signin.nhs.uk"
SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"
DELETE = object()
# A whole second, for the tests that stop the clock.
NOW = 1_900_000_000


@dataclass(frozen=True)
class Ago:
    """An ``iat`` this many seconds before the token is made (not when the test is collected)."""

    seconds: int


@dataclass(frozen=True)
class Provider:
    private_key: rsa.RSAPrivateKey
    kid: str
    # What the provider's JWKS URL serves; a test may change it.
    jwks: dict[str, Any]
    # A key the provider does not publish.
    other_key: rsa.RSAPrivateKey

    def sign(self, claims: dict[str, Any], *, algorithm: str = "RS512", **headers: Any) -> str:
        return jwt.encode(
            claims, self.private_key, algorithm=algorithm, headers={"kid": self.kid, **headers}
        )


@pytest.fixture(scope="session")
def provider_private_key() -> rsa.RSAPrivateKey:
    """One key for the whole run: making a 2048-bit key for each test would be most of its
    time (and mutation testing runs these tests hundreds of times)."""
    return private_key_generate()


@pytest.fixture(scope="session")
def other_private_key() -> rsa.RSAPrivateKey:
    return private_key_generate()


@pytest.fixture
def provider(
    monkeypatch: pytest.MonkeyPatch,
    settings: SettingsWrapper,
    provider_private_key: rsa.RSAPrivateKey,
    other_private_key: rsa.RSAPrivateKey,
) -> Provider:
    private_key = provider_private_key
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
    return Provider(private_key, kid, jwks, other_private_key)


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
            {"identity_proofing_level": "P7"},
            "identity_proofing_level 'P7' is not P0, P5 or P9",
            id="level-not-a-level",
        ),
        pytest.param({"identity_proofing_level": "p9"}, "is not P0, P5 or P9", id="level-lower"),
        pytest.param(
            {"identity_proofing_level": "P5"},
            "identity_proofing_level is below the vot's level",
            id="level-below-vot",
        ),
        pytest.param({"iat": Ago(331)}, "seconds ago, more than 330", id="issued-too-long-ago"),
        pytest.param({"iat": str(int(time.time()))}, "iat is not a number", id="iat-a-string"),
        *(
            pytest.param({claim: DELETE}, f'missing the "{claim}" claim', id=f"no-{claim}")
            for claim in ("iss", "sub", "aud", "exp", "iat", "nonce", "vot", "vtm")
        ),
        pytest.param({"exp": Ago(31)}, "ExpiredSignatureError", id="expired-beyond-the-leeway"),
        pytest.param(
            {"aud": [CLIENT_ID, "another-client"]},
            "several audiences but no azp",
            id="two-audiences-without-azp",
        ),
        pytest.param(
            {"aud": [CLIENT_ID, "another-client"], "azp": "another-client"},
            "azp is another client",
            id="two-audiences-azp-another-client",
        ),
        pytest.param({"azp": "another-client"}, "azp is another client", id="azp-another-client"),
        pytest.param({"nonce": "another-nonce"}, "nonce does not match", id="another-nonce"),
        pytest.param({"nonce": 123}, "nonce does not match", id="nonce-not-a-string"),
        pytest.param({"sub": ""}, "sub is not a string of 1 to 255 characters", id="sub-empty"),
        pytest.param(
            {"sub": "s" * 256}, "sub is not a string of 1 to 255 characters", id="sub-256-long"
        ),
        pytest.param({"sub": 123}, "InvalidSubjectError", id="sub-a-number"),
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
        pytest.param({"exp": Ago(29)}, id="expired-within-the-leeway"),
        pytest.param({"aud": [CLIENT_ID]}, id="one-audience-in-a-list"),
        pytest.param({"aud": [CLIENT_ID, "another-client"], "azp": CLIENT_ID}, id="two-with-azp"),
        pytest.param({"azp": CLIENT_ID}, id="azp-this-client"),
        pytest.param({"sub": "s"}, id="sub-one-character"),
        pytest.param({"sub": "s" * 255}, id="sub-255-characters"),
    ],
)
def test_id_token_accepted(provider: Provider, changes: dict[str, Any]) -> None:
    claims = id_claims(**changes)

    assert verify_id_token(provider, claims)["sub"] == claims["sub"]


def test_max_age_is_the_setting(provider: Provider, settings: SettingsWrapper) -> None:
    settings.NHS_LOGIN_ID_TOKEN_MAX_AGE_SECONDS = 30

    with pytest.raises(IdTokenInvalidError, match="more than 60"):
        verify_id_token(provider, id_claims(iat=Ago(90)))


def _other_key_token(provider: Provider, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims, provider.other_key, algorithm="RS512", headers={"kid": "not-published"}
    )


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(lambda p: "opaque-access-token-value", "not a JWS", id="opaque"),
        pytest.param(
            lambda p: p.sign(access_claims(), algorithm="RS256"),
            "alg 'RS256' is not RS512",
            id="rs256",
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
        pytest.param(
            lambda p: _other_key_token(p, access_claims()),
            "no RS512 key with kid 'not-published' in the provider's JWKS",
            id="unknown-kid",
        ),
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
            for claim in ("vot", "vtm", "jti", "scope", "iat", "sub", "exp", "iss", "aud")
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


def test_id_token_issued_exactly_the_longest_age_ago_is_accepted(provider: Provider) -> None:
    """The limit is the setting plus the leeway (300 + 30 s here), and a token of exactly that
    age is still in time; time stands still, so the age is exact."""
    with time_machine.travel(NOW, tick=False):
        claims = verify_id_token(provider, id_claims(iat=NOW - 330, exp=NOW + 3600))

    assert claims["iat"] == NOW - 330


@pytest.mark.parametrize(
    ("header", "value"),
    [
        pytest.param("jku", "https://attacker.example/jwks", id="jku"),
        pytest.param("jwk", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}, id="jwk"),
        pytest.param("x5u", "https://attacker.example/cert.pem", id="x5u"),
        pytest.param("x5c", ["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"], id="x5c"),
    ],
)
def test_a_token_naming_its_own_key_in_its_header_is_refused(
    provider: Provider, header: str, value: Any
) -> None:
    """Keys come from the provider's JWKS only (RFC 8725, 3.10): a header that carries a key,
    or says where to fetch one, is refused even when the token is signed with the right key."""
    token = provider.sign(id_claims(), **{header: value})

    with pytest.raises(IdTokenInvalidError, match=f"header carries {header}$"):
        id_token_verify(token, nonce=NONCE, requested_vtr=VTR)


def _token_with_header(header: dict[str, Any], claims: dict[str, Any]) -> str:
    """A JWS whose header PyJWT would not write; its signature is never reached."""
    encoded = [b64url(json.dumps(part).encode()) for part in (header, claims)]
    return ".".join([*encoded, b64url(b"not-a-signature")])


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        pytest.param(
            lambda p: jwt.encode(id_claims(), p.private_key, algorithm="RS512"),
            "header has no kid",
            id="no-kid",
        ),
        pytest.param(lambda p: p.sign(id_claims(), kid=""), "header has no kid", id="empty"),
        pytest.param(
            lambda p: _token_with_header({"alg": "RS512", "kid": 7}, id_claims()),
            "not a JWS",
            id="a-number",
        ),
    ],
)
def test_a_token_whose_header_names_no_key_is_refused(
    provider: Provider, token: Any, reason: str
) -> None:
    with pytest.raises(IdTokenInvalidError, match=reason):
        id_token_verify(token(provider), nonce=NONCE, requested_vtr=VTR)


def _rsa_jwk(provider: Provider, **members: Any) -> dict[str, Any]:
    jwk = public_jwk(provider.private_key.public_key(), kid=provider.kid)
    jwk.update(members)
    return {name: value for name, value in jwk.items() if value is not DELETE}


def _other_rsa_jwk(provider: Provider, kid: str) -> dict[str, Any]:
    return public_jwk(provider.other_key.public_key(), kid=kid)


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(
            lambda p: [_other_rsa_jwk(p, "next-key"), _rsa_jwk(p)],
            id="listed-after-another-key-as-during-rotation",
        ),
        pytest.param(
            lambda p: [{"kty": "EC", "kid": p.kid, "crv": "P-256"}, _rsa_jwk(p)],
            id="after-an-ec-key-with-the-same-kid",
        ),
        pytest.param(
            lambda p: [_rsa_jwk(p, n="not-base64url!"), _rsa_jwk(p)],
            id="after-a-malformed-key-with-the-same-kid",
        ),
        pytest.param(
            lambda p: ["not-a-key", _rsa_jwk(p)],
            id="after-an-entry-that-is-not-a-key",
        ),
        pytest.param(lambda p: [_rsa_jwk(p, alg=DELETE)], id="naming-no-algorithm"),
    ],
)
def test_the_signing_key_is_found_wherever_the_jwks_lists_it(provider: Provider, keys: Any) -> None:
    provider.jwks["keys"] = keys(provider)

    assert verify_id_token(provider, id_claims())["sub"] == SUB


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(lambda p: [_rsa_jwk(p, alg="RS256")], id="the-kids-key-is-for-rs256"),
        pytest.param(lambda p: [_rsa_jwk(p, kty="oct")], id="the-kids-key-is-not-rsa"),
        pytest.param(lambda p: [_other_rsa_jwk(p, p.kid)], id="the-kids-key-is-another-key"),
        pytest.param(lambda p: [], id="no-keys"),
    ],
)
def test_no_other_key_of_the_jwks_verifies_the_token(provider: Provider, keys: Any) -> None:
    provider.jwks["keys"] = keys(provider)

    with pytest.raises(IdTokenInvalidError):
        verify_id_token(provider, id_claims())


class _RotatingJwks:
    """A JWKS cache: the cached set until a refresh is asked for, then the provider's new one."""

    def __init__(self, cached: list[dict[str, Any]], current: list[dict[str, Any]]) -> None:
        self.cached, self.current = cached, current
        self.refreshes: list[bool] = []

    def __call__(self, refresh: bool = False) -> dict[str, Any]:
        self.refreshes.append(refresh)
        if refresh is True:
            self.cached = self.current
        return {"keys": self.cached}


def test_a_key_rotated_in_since_the_jwks_was_cached_is_found_by_one_refresh(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = _RotatingJwks(cached=[_other_rsa_jwk(provider, "old-key")], current=[_rsa_jwk(provider)])
    monkeypatch.setattr(id_token, "provider_jwks", jwks)

    assert verify_id_token(provider, id_claims())["sub"] == SUB
    assert jwks.refreshes == [False, True]


def test_a_key_the_cached_jwks_holds_is_used_without_a_refresh(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = _RotatingJwks(cached=[_rsa_jwk(provider)], current=[])
    monkeypatch.setattr(id_token, "provider_jwks", jwks)

    assert verify_id_token(provider, id_claims())["sub"] == SUB
    assert jwks.refreshes == [False]


def test_an_unknown_kid_costs_one_refresh_and_is_refused(
    provider: Provider, monkeypatch: pytest.MonkeyPatch
) -> None:
    jwks = _RotatingJwks(cached=[], current=[_other_rsa_jwk(provider, "new-key")])
    monkeypatch.setattr(id_token, "provider_jwks", jwks)

    with pytest.raises(IdTokenInvalidError, match="no RS512 key with kid"):
        verify_id_token(provider, id_claims())
    assert jwks.refreshes == [False, True]


def test_a_reason_shows_a_claims_value_cut_to_40_characters(provider: Provider) -> None:
    vot = "P9.Cp.Cd" + ".Cx" * 30

    with pytest.raises(VotNotRequestedError) as refused:
        verify_id_token(provider, id_claims(vot=vot))

    assert str(refused.value) == f"vot {repr(vot)[:40]} was not requested"
