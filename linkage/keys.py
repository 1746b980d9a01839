"""What linkage information is (IDS68 NL01; docs/linkage-api.md, "Terms"): an Account ID, a
linkage key and the practice's ODS code, and how a new key and Account ID are made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from linkage.models import LinkageKey, Practice

# No 0 O 1 I l: keys are read aloud and typed from paper.
LINKAGE_KEY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
LINKAGE_KEY_LENGTH = 15
ACCOUNT_ID_DIGITS = 10


@dataclass(frozen=True)
class LinkageInformation:
    account_id: str
    linkage_key: str = ""  # empty where a caller must not see it
    ods_code: str = ""

    def __repr__(self) -> str:  # never print the key, even in a traceback
        return f"LinkageInformation(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


# What a stored key may be, made here or loaded from another GP system: generated keys are 15
# characters, keys migrated in up to 64, punctuation allowed; an Account ID is up to 20 digits.
LINKAGE_KEY_MAX_LENGTH = 64
ACCOUNT_ID_MAX_DIGITS = 20


def linkage_key_is_well_formed(linkage_key: str) -> bool:
    """1 to 64 printable characters: what any stored key can be."""
    return 1 <= len(linkage_key) <= LINKAGE_KEY_MAX_LENGTH and linkage_key.isprintable()


def account_id_is_well_formed(account_id: str) -> bool:
    """1 to 20 ASCII digits: what any stored Account ID can be."""
    return (
        account_id.isascii() and account_id.isdigit() and len(account_id) <= ACCOUNT_ID_MAX_DIGITS
    )


def new_account_id(practice: Practice) -> str:
    """A new Account ID, unique at the practice: ten digits, read aloud like a phone number."""
    while True:
        candidate = "".join(secrets.choice("0123456789") for _ in range(ACCOUNT_ID_DIGITS))
        if not LinkageKey.objects.filter(practice=practice, account_id=candidate).exists():
            return candidate


def linkage_key_generate() -> str:
    """A new key from a secure random source: 15 of 56 characters, about 87 bits."""
    return "".join(secrets.choice(LINKAGE_KEY_ALPHABET) for _ in range(LINKAGE_KEY_LENGTH))
