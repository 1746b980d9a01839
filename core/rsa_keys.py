"""RSA signing keys: generated as NHS login asks (RSA 2048, PEM), published as JSON Web Keys
(RFC 7517) named by their RFC 7638 thumbprint."""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.secret_files import secret_file_write


def private_key_generate() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM: the file's mode (0600) and location are what protect it."""
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_write(path: Path, private_key: rsa.RSAPrivateKey) -> None:
    """Write the key as PEM into a file of mode 0600 (core/secret_files.py), so it is never
    readable by others, not even for a moment."""
    secret_file_write(path, private_key_pem(private_key))


def public_key_pem(public_key: rsa.RSAPublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JOSE uses it (RFC 7515, section 2)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _integer(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def rsa_jwk_members(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    return {"e": _integer(numbers.e), "kty": "RSA", "n": _integer(numbers.n)}


def jwk_thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """The SHA-256 thumbprint of the key's required members: a stable, public ``kid``."""
    canonical = json.dumps(rsa_jwk_members(public_key), separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def public_jwk(public_key: rsa.RSAPublicKey, *, kid: str, alg: str = "RS512") -> dict[str, Any]:
    return {**rsa_jwk_members(public_key), "kid": kid, "use": "sig", "alg": alg}


def rsa_public_key_pem_from(content: bytes) -> str:
    """The public half of a PEM key, public or private: only the public half is ever kept.

    Raises ValueError for anything but an unencrypted RSA key of at least 2048 bits.
    """
    try:
        if b"PRIVATE KEY" in content:
            public_key = serialization.load_pem_private_key(content, password=None).public_key()
        else:
            public_key = serialization.load_pem_public_key(content)
    except (ValueError, TypeError) as error:  # TypeError: an encrypted private key
        raise ValueError("not an unencrypted PEM key") from error
    if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
        raise ValueError("an RSA key of at least 2048 bits is needed")
    return public_key_pem(public_key)


@cache
def _private_key_read(path: str, modified: float, setting: str) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as error:
        raise ImproperlyConfigured(
            f"{setting} ({path}) is not a readable, unencrypted PEM key"
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ImproperlyConfigured(f"{setting} must hold an RSA private key")
    return key


def private_key_of_setting(setting: str) -> rsa.RSAPrivateKey:
    """The RSA private key in the file the setting names, read again when the file changes
    (key rotation); ImproperlyConfigured, naming the setting, when it cannot be used."""
    path = getattr(settings, setting)
    try:
        modified = Path(path).stat().st_mtime
    except OSError as error:
        raise ImproperlyConfigured(f"{setting} ({path}) cannot be read") from error
    return _private_key_read(path, modified, setting)
