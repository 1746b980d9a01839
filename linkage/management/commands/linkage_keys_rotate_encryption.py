"""Re-encrypt every stored linkage key under the newest of LINKAGE_ENCRYPTION_KEYS.

Rotation: put a new key first in LINKAGE_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this, then remove the old keys. Each batch is its own transaction, so the command can be
stopped and run again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from linkage.audit import SUCCESS, Actor, ActorType, AuditAction, audit_event_record
from linkage.crypto import linkage_key_reencrypt
from linkage.models import LinkageKey

BATCH_SIZE = 500


class Command(BaseCommand):
    help = "Re-encrypt every linkage key under the newest encryption key."

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = list(
                    LinkageKey.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")[:BATCH_SIZE]
                )
                if not batch:
                    break
                for key in batch:
                    key.encrypted_key = linkage_key_reencrypt(key.encrypted_key)
                LinkageKey.objects.bulk_update(batch, ["encrypted_key"])
            done += len(batch)
            last_pk = batch[-1].pk
        audit_event_record(
            actor=Actor(ActorType.SYSTEM, "manage.py linkage_keys_rotate_encryption"),
            action=AuditAction.ROTATE_ENCRYPTION,
            outcome=SUCCESS,
        )
        self.stdout.write(f"Re-encrypted {done} linkage keys under the newest encryption key")
