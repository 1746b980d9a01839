"""Registering relying parties, and finding the key a client signs with.

NHS login registers each partner's redirect URIs, public key, scopes and vectors of trust from
its environment request form, and sets up single sign-on between partners on request (NHS
login's "Single Sign On" page). A key sent as a PEM has no ``kid``; a JWK carries one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import transaction

from core.nhs_identifiers import ods_code_is_valid
from core.rsa_keys import public_key_pem, rsa_public_key_pem_from
from nhs_login_simulator import vectors
from nhs_login_simulator.claims import IM1_ONLY_SCOPES, SUPPORTED_SCOPES
from nhs_login_simulator.models import Client

MAX_REDIRECT_URIS = 10


class RegistrationError(ValueError):
    """The registration cannot be accepted; the message says why."""


class UnknownKeyError(ValueError):
    """A JWT's ``kid`` names no key registered for the client."""


@dataclass(frozen=True)
class ClientKey:
    """A client's public key as registered: a PEM (no kid) or a JWK with its kid."""

    public_key_pem: str
    key_id: str = ""


def client_key_from_pem(content: bytes) -> ClientKey:
    """Only the public half of a PEM, public or private, is kept."""
    return ClientKey(rsa_public_key_pem_from(content))


def client_key_from_jwk(content: bytes) -> ClientKey:
    """An RSA JWK with a ``kid``; any private members are dropped."""
    try:
        jwk = json.loads(content)
    except ValueError as error:
        raise ValueError("not a JSON Web Key") from error
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
        raise ValueError("not an RSA JSON Web Key")
    kid = jwk.get("kid")
    if not isinstance(kid, str) or not kid:
        raise ValueError("the JWK has no kid: register a key without one as a PEM")
    try:
        key = jwt.algorithms.RSAAlgorithm.from_jwk(jwk)
    except (jwt.PyJWTError, ValueError, KeyError) as error:
        raise ValueError("not a valid RSA JSON Web Key") from error
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return ClientKey(rsa_public_key_pem_from(public_key_pem(public).encode()), kid)


def redirect_uri_check(uri: str) -> str:
    """Exact URIs without wildcards, query strings or fragments, as NHS login registers them."""
    if "*" in uri:
        raise RegistrationError(f"{uri!r}: wildcards are not allowed in redirect URIs")
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise RegistrationError(f"{uri!r} is not an absolute redirect URI without a query string")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost"):
        raise RegistrationError(f"{uri!r}: only local development addresses may use http")
    return uri


def _scopes_check(scopes: list[str], *, im1_enabled: bool) -> list[str]:
    unknown = [scope for scope in scopes if scope not in SUPPORTED_SCOPES]
    if unknown:
        raise RegistrationError(f"NHS login offers no scope {', '.join(unknown)}")
    if "openid" not in scopes:
        raise RegistrationError("every client is registered for the openid scope")
    im1_only = [scope for scope in scopes if scope in IM1_ONLY_SCOPES]
    if im1_only and not im1_enabled:
        raise RegistrationError(
            f"{', '.join(im1_only)} is only for IM1-enabled clients (--im1): NHS login's "
            "'Scopes and claims', note 6"
        )
    return list(dict.fromkeys(scopes))


def _vtr_sets_check(vtr_sets: list[str]) -> list[list[str]]:
    parsed: list[list[str]] = []
    for raw in vtr_sets:
        if not raw.strip():
            raise RegistrationError("a registered vtr is a JSON array of vectors, not empty")
        try:
            vtr = list(vectors.vtr_parse(raw))
        except vectors.VtrError as error:
            raise RegistrationError(f"{raw!r}: {error}") from error
        if set(vtr) not in [set(known) for known in parsed]:
            parsed.append(vtr)
    return parsed


def client_register(
    *,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    key: ClientKey,
    im1_enabled: bool,
    scopes: list[str],
    vtr_sets: list[str],
    sso_with: list[str],
) -> tuple[Client, bool]:
    """Register a client, or replace everything registered for it. No ``vtr`` means the one
    set NHS login assumes when a request sends none (Federation specification 3.4.1)."""
    checked_uris = [redirect_uri_check(uri) for uri in redirect_uris]
    if len(checked_uris) > MAX_REDIRECT_URIS:
        raise RegistrationError(
            f"NHS login accepts at most {MAX_REDIRECT_URIS} redirect URIs per client"
        )
    checked_scopes = _scopes_check(scopes, im1_enabled=im1_enabled)
    checked_vtr = _vtr_sets_check(vtr_sets) or [list(vectors.DEFAULT_VTR)]
    partners = [partner for partner in dict.fromkeys(sso_with) if partner != client_id]
    found = {c.client_id: c for c in Client.objects.filter(client_id__in=partners)}
    missing = [partner for partner in partners if partner not in found]
    if missing:
        raise RegistrationError(
            f"single sign-on with {', '.join(missing)}: register that client first"
        )
    with transaction.atomic():
        client, created = Client.objects.update_or_create(
            client_id=client_id,
            defaults={
                "name": name or client_id,
                "redirect_uris": checked_uris,
                "public_key_pem": key.public_key_pem,
                "key_id": key.key_id,
                "im1_enabled": im1_enabled,
                "scopes": checked_scopes,
                "vtr_sets": checked_vtr,
            },
        )
        client.sso_partners.set(
            [found[p] for p in partners] + ([client] if client_id in sso_with else [])
        )
    return client, created


@lru_cache(maxsize=256)
def _public_key(pem: str) -> rsa.RSAPublicKey:
    public_key = serialization.load_pem_public_key(pem.encode())
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key


def client_signing_key(*, client: Client, header: dict[str, object]) -> rsa.RSAPublicKey:
    """The key a JWT from this client must verify with. A header without ``kid`` means the
    client's key; a ``kid`` must name the key registered for it, and a PEM has none."""
    if "kid" in header and (not client.key_id or header["kid"] != client.key_id):
        raise UnknownKeyError("kid names no key registered for this client")
    return _public_key(client.public_key_pem)


def sso_configured(*, asserting: Client, requesting: Client) -> bool:
    """Whether single sign-on is set up between the two clients (one client with itself, as in
    an uplift journey, counts only if it was registered so)."""
    return requesting.sso_partners.filter(pk=asserting.pk).exists()


def provisioning_client_register(
    *, client_id: str, name: str, key: ClientKey, ods_codes: list[str]
) -> tuple[Client, bool]:
    """Register a service consumer of the Provision Account interface (its section 3.2): a
    client that takes client_credentials tokens with its private_key_jwt assertion and
    provisions accounts for the ODS codes listed, or for any when none is. It has no redirect
    URI and no scope: it never signs a user in. A client registered already for sign-in keeps
    that registration and may provision too."""
    checked = []
    for raw in ods_codes:
        code = raw.strip().upper()
        if not ods_code_is_valid(code):
            raise RegistrationError(f"{raw!r} is not an ODS code (6 letters or digits)")
        checked.append(code)
    client, created = Client.objects.update_or_create(
        client_id=client_id,
        defaults={
            "public_key_pem": key.public_key_pem,
            "key_id": key.key_id,
            "provisioning_enabled": True,
            "provisioning_ods_codes": list(dict.fromkeys(checked)),
        },
        create_defaults={
            "name": name or client_id,
            "public_key_pem": key.public_key_pem,
            "key_id": key.key_id,
            "provisioning_enabled": True,
            "provisioning_ods_codes": list(dict.fromkeys(checked)),
        },
    )
    return client, created
