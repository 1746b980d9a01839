"""A new key's one trip from the request that issued it to the page that shows it, once
(docs/adr/0024).

Issuing and reissuing are POSTs answered with a redirect to the letter page, so that reloading
the page can never issue another key. The key crosses in the staff member's own session,
encrypted as the database keeps it (linkage/crypto.py), so the session store never holds it
in clear, and the first read removes it: reloading the page, or going back to it, shows no
key. A handover nobody read within ``HANDOVER_SECONDS`` is dropped unread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.keys import LinkageInformation

SESSION_KEY = "linkage_new_keys"
HANDOVER_SECONDS = 10 * 60


@dataclass(frozen=True)
class NewKey:
    """A key just issued, on its way to the letter page."""

    account_id: str
    linkage_key: str
    ods_code: str
    issued_on: date
    reissued: bool

    def __repr__(self) -> str:  # never print the key, even in a traceback
        return f"NewKey(account_id={self.account_id!r}, ods_code={self.ods_code!r})"


def _fresh(pending: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        patient: handed
        for patient, handed in pending.items()
        if 0 <= now.timestamp() - handed["issued_at"] < HANDOVER_SECONDS
    }


def new_key_hand_over(
    session: SessionBase, *, patient_id: int, information: LinkageInformation, reissued: bool
) -> None:
    """Keep the patient's new key for the letter page. One per patient: a later key for the
    same patient replaces an earlier one not yet shown (it was revoked by the later one)."""
    now = timezone.now()
    pending = _fresh(dict(session.get(SESSION_KEY, {})), now)
    pending[str(patient_id)] = {
        "account_id": information.account_id,
        "encrypted_key": linkage_key_encrypt(information.linkage_key),
        "ods_code": information.ods_code,
        "issued_at": now.timestamp(),
        "reissued": reissued,
    }
    session[SESSION_KEY] = pending


def new_key_take(session: SessionBase, *, patient_id: int) -> NewKey | None:
    """The patient's new key, removed from the session as it is read; None once it has been
    read, when it is too old, or when this session issued none."""
    now = timezone.now()
    pending = dict(session.get(SESSION_KEY, {}))
    handed = _fresh(pending, now).get(str(patient_id))
    pending.pop(str(patient_id), None)
    pending = _fresh(pending, now)
    if pending:
        session[SESSION_KEY] = pending
    else:
        session.pop(SESSION_KEY, None)
    if handed is None:
        return None
    return NewKey(
        account_id=handed["account_id"],
        linkage_key=linkage_key_decrypt(handed["encrypted_key"]),
        ods_code=handed["ods_code"],
        issued_on=timezone.localdate(datetime.fromtimestamp(handed["issued_at"], tz=UTC)),
        reissued=bool(handed["reissued"]),
    )
