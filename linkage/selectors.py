"""Reads that decide whose data a staff member may reach (docs/adr/0008)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from linkage.models import Practice


def practices_of(user: User | AnonymousUser) -> QuerySet[Practice]:
    """The practices a staff member works for; every practice for a superuser; none for
    anyone else, signed in or not."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return Practice.objects.none()
    if user.is_superuser:
        return Practice.objects.all()
    return Practice.objects.filter(staff__user=user)


def ods_codes_of(user: User | AnonymousUser) -> list[str]:
    return list(practices_of(user).values_list("ods_code", flat=True))
