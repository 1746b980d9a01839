"""A practice's online services, switched on and off by staff (docs/adr/0013): while off,
every retrieve and create at the practice is refused with PRACTICE_NOT_LIVE."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from linkage.audit import SUCCESS, Actor, AuditAction, audit_event_record
from linkage.models import Practice


def practice_online_services_switch(
    *, actor: Actor, practices: QuerySet[Practice], live: bool
) -> int:
    """Switch the practices' online services on or off: while off, every retrieve and create
    at the practice is refused with PRACTICE_NOT_LIVE. Each practice changed gets one audit
    event, in the same transaction as the change; one already so is left alone, unrecorded.
    Returns how many changed."""
    action = AuditAction.ONLINE_SERVICES_ON if live else AuditAction.ONLINE_SERVICES_OFF
    with transaction.atomic():
        changing = list(
            Practice.objects.select_for_update()
            .filter(pk__in=list(practices.values_list("pk", flat=True)))
            .exclude(online_services_live=live)
        )
        Practice.objects.filter(pk__in=[practice.pk for practice in changing]).update(
            online_services_live=live
        )
        for practice in changing:
            audit_event_record(
                actor=actor, action=action, outcome=SUCCESS, ods_code=practice.ods_code
            )
    return len(changing)
