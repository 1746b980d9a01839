"""Linkage keys at rest: encrypted with Fernet, several keys so they can rotate (docs/adr/0007).

MultiFernet encrypts with the first key of LINKAGE_ENCRYPTION_KEYS and decrypts with any, so
a new key is added at the front, ``linkage_keys_rotate_encryption`` re-encrypts every stored key
under it, and the old key can then be removed.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("LINKAGE_ENCRYPTION_KEYS is empty")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "LINKAGE_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)"
        ) from error


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.LINKAGE_ENCRYPTION_KEYS))


def linkage_key_encrypt(linkage_key: str) -> str:
    return _fernet().encrypt(linkage_key.encode()).decode()


def linkage_key_decrypt(encrypted: str) -> str:
    try:
        return _fernet().decrypt(encrypted.encode()).decode()
    except InvalidToken as error:
        raise ImproperlyConfigured(
            "A linkage key cannot be decrypted with any of LINKAGE_ENCRYPTION_KEYS"
        ) from error


def linkage_key_reencrypt(encrypted: str) -> str:
    """The same key, encrypted under the newest encryption key."""
    return _fernet().rotate(encrypted.encode()).decode()
