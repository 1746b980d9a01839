"""The simulator's keys: RSA 2048, kept as PEM files in the key directory, made at run time
and never committed.

Its signing keys: two exist from the first start so that a relying party's key rotation can
be tested: both are published in the JWKS and the newest signs. ``keys_rotate`` adds a key and
retires the oldest, as a real provider does.

Its linkage client key: the one key it signs its client assertions to GP systems' linkage APIs
with, as NHS login has a key registered with each GP system (docs/adr/0026).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

from core.rsa_keys import jwk_thumbprint, private_key_generate, private_key_write, public_jwk

KEYS_KEPT = 2
_lock = threading.Lock()
_cache: dict[tuple[Path, tuple[tuple[str, float], ...]], list[SigningKey]] = {}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    @property
    def public_jwk(self) -> dict[str, Any]:
        return public_jwk(self.private_key.public_key(), kid=self.kid)


def _key_dir() -> Path:
    return Path(settings.NHS_LOGIN_SIMULATOR_KEY_DIR) / "signing-keys"


def _linkage_client_key_path() -> Path:
    return Path(settings.NHS_LOGIN_SIMULATOR_KEY_DIR) / "linkage-client" / "private_key.pem"


def _write_new_key(directory: Path) -> Path:
    existing = sorted(directory.glob("*.pem"))
    number = int(existing[-1].stem) + 1 if existing else 1
    path = directory / f"{number:06d}.pem"
    private_key_write(path, private_key_generate())
    return path


def _ensure_keys(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    while len(list(directory.glob("*.pem"))) < KEYS_KEPT:
        _write_new_key(directory)


def signing_keys() -> list[SigningKey]:
    """Every published key, newest first; created on first use."""
    directory = _key_dir()
    with _lock:
        _ensure_keys(directory)
        files = sorted(directory.glob("*.pem"), reverse=True)
        fingerprint = (directory, tuple((f.name, f.stat().st_mtime) for f in files))
        if fingerprint not in _cache:
            loaded = []
            for path in files:
                private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
                assert isinstance(private_key, rsa.RSAPrivateKey)
                loaded.append(SigningKey(jwk_thumbprint(private_key.public_key()), private_key))
            _cache.clear()
            _cache[fingerprint] = loaded
        return _cache[fingerprint]


def current_signing_key() -> SigningKey:
    return signing_keys()[0]


def jwks() -> dict[str, Any]:
    return {"keys": [key.public_jwk for key in signing_keys()]}


def keys_rotate() -> SigningKey:
    """Add a new signing key and retire the oldest beyond the two that are published."""
    directory = _key_dir()
    with _lock:
        _ensure_keys(directory)
        _write_new_key(directory)
        for retired in sorted(directory.glob("*.pem"))[:-KEYS_KEPT]:
            retired.unlink()
    return current_signing_key()


def linkage_client_private_key() -> rsa.RSAPrivateKey:
    """The key the simulator signs its linkage API client assertions with: made on first use
    (mode 0600, core/secret_files.py), read from its file after."""
    path = _linkage_client_key_path()
    with _lock:
        if not path.exists():
            private_key_write(path, private_key_generate())
        private_key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    return private_key
