"""What linkage information is (IDS68 NL01; docs/linkage-api.md, "Terms"): an Account ID, a
linkage key and the practice's ODS code, and how a new key and Account ID are made."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models.signals import post_save
from django.utils import timezone

from linkage.models import LinkageKey, LinkageKeyStatus, Practice, RegisteredPatient

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


def _account_id_candidate() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(ACCOUNT_ID_DIGITS))


_KEY_COLUMNS = ["patient_id", "practice_id", "account_id", "encrypted_key", "status", "created_at"]
_KEY_COLUMNS += ["created_by", "revoked_by", "revoked_reason"]
_KEY_VALUES = ", ".join(["%s"] * len(_KEY_COLUMNS))
_KEY_TABLE = LinkageKey._meta.db_table
ACTIVE = LinkageKeyStatus.ACTIVE.value
# A first key's new Account ID is checked unused at the practice by the insert itself: one
# statement where a look-up and an insert were two round trips (docs/adr/0008). None inserted:
# the candidate was taken, and another is drawn.
_KEY_INSERT_NEW_ACCOUNT_ID = (
    f'INSERT INTO "{_KEY_TABLE}" ({", ".join(_KEY_COLUMNS)}) SELECT {_KEY_VALUES} '  # noqa: S608
    f'WHERE NOT EXISTS (SELECT 1 FROM "{_KEY_TABLE}" WHERE practice_id = %s AND account_id = %s) '
    "RETURNING id"
)
_KEY_INSERT = (
    f'INSERT INTO "{_KEY_TABLE}" ({", ".join(_KEY_COLUMNS)}) '  # noqa: S608
    f"VALUES ({_KEY_VALUES}) RETURNING id"
)


def linkage_key_insert(
    *,
    patient: RegisteredPatient,
    practice: Practice,
    account_id: str | None,
    encrypted_key: str,
    created_by: str,
) -> LinkageKey:
    """A new active key row: under ``account_id``, or a new Account ID unique at the practice
    (ten digits, read aloud like a phone number) when it is None. Raises IntegrityError when the
    patient has an active key already (the database's constraint)."""
    while True:
        chosen = account_id or _account_id_candidate()
        values: list[Any] = [patient.pk, practice.pk, chosen, encrypted_key, ACTIVE]
        values += [timezone.now(), created_by[:255], "", ""]
        with connection.cursor() as cursor:
            if account_id is None:
                cursor.execute(_KEY_INSERT_NEW_ACCOUNT_ID, [*values, practice.pk, chosen])
            else:
                cursor.execute(_KEY_INSERT, values)
            row = cursor.fetchone()
        if row is not None:
            break
    return _key_built(row[0], values, patient, practice)


def _key_built(
    pk: int, values: list[Any], patient: RegisteredPatient, practice: Practice
) -> LinkageKey:
    """The inserted row as a saved model instance, without reading it back."""
    key = LinkageKey(
        pk=pk,
        patient=patient,
        practice=practice,
        account_id=values[2],
        encrypted_key=values[3],
        status=values[4],
        created_at=values[5],
        created_by=values[6],
    )
    key._state.adding = False
    key._state.db = DEFAULT_DB_ALIAS
    # As Model.save would: whatever listens for new keys still hears of this one.
    post_save.send(sender=LinkageKey, instance=key, created=True, raw=False, using=key._state.db)
    return key


def linkage_key_generate() -> str:
    """A new key from a secure random source: 15 of 56 characters, about 87 bits."""
    return "".join(secrets.choice(LINKAGE_KEY_ALPHABET) for _ in range(LINKAGE_KEY_LENGTH))
