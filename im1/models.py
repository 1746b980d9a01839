"""IM1 connections and the guard on pairing (docs/im1-api.md, docs/adr/0025)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from linkage.models import ApiClient, LinkageKey, LinkageKeyStatus, RegisteredPatient


class ConnectionQuerySet(models.QuerySet["Connection"]):
    def valid(self) -> ConnectionQuerySet:
        """Connections that may still be used: not ended, and made with a key that is still
        active. Asked of the key's own row at every use, so revoking or reissuing a key ends
        the connections made with it without the linkage services knowing of IM1."""
        return self.filter(ended_at__isnull=True, linkage_key__status=LinkageKeyStatus.ACTIVE)


class Connection(models.Model):
    """One IM1 partner's connection to one patient's record, made with the linkage key the
    patient gave it. The partner holds the connection token; only its SHA-256 is kept."""

    partner = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="im1_connections")
    patient = models.ForeignKey(
        RegisteredPatient, on_delete=models.PROTECT, related_name="im1_connections"
    )
    linkage_key = models.ForeignKey(
        LinkageKey, on_delete=models.PROTECT, related_name="im1_connections"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=255, blank=True)
    ended_reason = models.TextField(blank=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | ~Q(ended_reason=""),
                name="im1_connection_ended_with_a_reason",
            )
        ]

    def __str__(self) -> str:
        return f"IM1 connection {self.pk}"


class PairingGuard(models.Model):
    """Failed pairings in a row for one account (Account ID at a practice), and its lock once
    there are ``IM1_PAIRING_LOCK_AFTER_FAILURES``. Kept for any account named, whether or not
    it exists, so that locking tells a guesser nothing. In the database, not the cache: a lock
    must outlive a cache flush or outage until staff, or the patient's next P9 sign-in, lift
    it."""

    ods_code = models.CharField("ODS code", max_length=6)
    account_id = models.CharField("Account ID", max_length=20)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlocked_by = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ods_code", "account_id"], name="im1_pairing_guard_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return f"Pairing guard {self.pk}"
