"""The practice register, linkage keys, API clients and the audit trail (docs/adr/0007)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.utils import timezone

from accounts.presenters import date_display
from linkage.api_clients.state import api_client_state_forget
from linkage.staff_presenters import (
    audit_action_display,
    audit_outcome_display,
    person_display,
    staff_member_display,
)


class Practice(models.Model):
    ods_code = models.CharField("ODS code", max_length=6, unique=True)
    name = models.CharField(max_length=255)
    # Off: the practice is on this system but offers no online services (PRACTICE_NOT_LIVE).
    online_services_live = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ods_code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", "Registered"
    ENDED = "ended", "Registration ended"


class RegisteredPatient(models.Model):
    """A patient on a practice's register, as the GP system holds them."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="patients")
    nhs_number = models.CharField("NHS number", max_length=10)
    surname = models.CharField(max_length=255)
    given_name = models.CharField(max_length=255, blank=True)
    date_of_birth = models.DateField()
    registration_status = models.CharField(
        max_length=20, choices=RegistrationStatus, default=RegistrationStatus.REGISTERED
    )
    registered_on = models.DateField(null=True, blank=True)
    registration_ended_on = models.DateField(null=True, blank=True)
    deceased = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "nhs_number"], name="linkage_patient_once_per_practice"
            )
        ]
        ordering = ["practice", "surname", "given_name"]

    def __str__(self) -> str:
        """As staff look for them, in titles, lists and breadcrumbs: Ava Thompson (999 000 0018)."""
        return person_display(f"{self.given_name} {self.surname}", self.nhs_number)


class LinkageKeyStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REVOKED = "revoked", "Revoked"


class LinkageKey(models.Model):
    """One linkage key for one patient at one practice. The key is encrypted at rest (never
    hashed: it must be served back) with the newest of LINKAGE_ENCRYPTION_KEYS."""

    patient = models.ForeignKey(
        RegisteredPatient, on_delete=models.PROTECT, related_name="linkage_keys"
    )
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="linkage_keys")
    account_id = models.CharField("Account ID", max_length=20)
    encrypted_key = models.TextField()
    status = models.CharField(
        max_length=10, choices=LinkageKeyStatus, default=LinkageKeyStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=255)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=255, blank=True)
    revoked_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # Two concurrent creates can never both succeed: the database refuses the second.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="active"),
                name="linkage_one_active_key_per_patient",
            ),
            models.UniqueConstraint(
                fields=["practice", "account_id"],
                condition=Q(status="active"),
                name="linkage_account_id_unique_in_practice",
            ),
        ]
        ordering = ["-created_at"]
        # Each staff action on keys is its own permission (docs/adr/0013), held as well as a
        # membership of the patient's practice: a practice can let some staff see keys
        # without letting them issue, reissue or revoke one.
        permissions = [
            ("issue_linkagekey", "Can issue a linkage key to a registered patient"),
            ("reissue_linkagekey", "Can reissue a linkage key"),
            ("revoke_linkagekey", "Can revoke a linkage key"),
        ]

    def __str__(self) -> str:
        """Linkage key for Ava Thompson (999 000 0018), active. Reads the patient: a list of
        keys selects them with it (linkage/admin/linkage_keys.py)."""
        return f"Linkage key for {self.patient}, {self.get_status_display().lower()}"


# im1:pair is an IM1 partner's: it pairs with a patient's record by their linkage information
# (docs/im1-api.md); the IM1 app owns what it allows.
API_SCOPES = ("linkage:read", "linkage:create", "im1:pair")


class ApiClientQuerySet(models.QuerySet["ApiClient"]):
    def update(self, **kwargs: Any) -> int:
        """Also forget the cached state of every client changed (linkage.api_clients.state)."""
        client_ids = list(self.values_list("client_id", flat=True))
        count = super().update(**kwargs)
        api_client_state_forget(client_ids)
        return count


class ApiClient(models.Model):
    """A system allowed to call the linkage API, NHS login above all."""

    client_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    public_key_pem = models.TextField(blank=True)
    jwks_url = models.URLField(blank=True)
    scopes = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # The practices whose patients the client may ask about: those listed, or every practice
    # when all_practices is set. Neither, and the client reaches no practice (docs/adr/0007).
    all_practices = models.BooleanField(
        "all practices",
        default=False,
        help_text="Every practice on this system, present and future (NHS login, say).",
    )
    practices = models.ManyToManyField(
        Practice,
        blank=True,
        related_name="api_clients",
        help_text="The practices the client serves, when it does not serve all of them.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(public_key_pem="") | ~Q(jwks_url=""),
                name="linkage_api_client_has_a_key",
            )
        ]

    def __str__(self) -> str:
        return self.name


@receiver(post_save, sender=ApiClient)
@receiver(post_delete, sender=ApiClient)
def _api_client_changed(sender: type[ApiClient], instance: ApiClient, **kwargs: Any) -> None:
    api_client_state_forget([instance.client_id])


@receiver(m2m_changed, sender=ApiClient.practices.through)
def _api_client_practices_changed(
    sender: type[models.Model],
    instance: ApiClient | Practice,
    action: str,
    pk_set: set[int] | None,
    **kwargs: Any,
) -> None:
    """A practice bound or unbound, from either side: the clients concerned are asked again."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if isinstance(instance, ApiClient):
        api_client_state_forget([instance.client_id])
    elif action == "pre_clear":
        api_client_state_forget(instance.api_clients.values_list("client_id", flat=True))
    elif pk_set:
        clients = ApiClient.objects.filter(pk__in=pk_set).values_list("client_id", flat=True)
        api_client_state_forget(clients)


@receiver(post_save, sender=Practice)
@receiver(pre_delete, sender=Practice)
def _bound_practice_changed(sender: type[Practice], instance: Practice, **kwargs: Any) -> None:
    """The cached state names practices by ODS code: a practice whose code changes, or that
    goes, is forgotten by the clients bound to it (before a delete, while the binding is
    still there to be read)."""
    if instance.pk is None or kwargs.get("created"):
        return
    api_client_state_forget(instance.api_clients.values_list("client_id", flat=True))


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be changed")

    def delete(self) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted")


class AuditEvent(models.Model):
    """One access to linkage information: append-only (docs/adr/0007, "The audit")."""

    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_type = models.CharField(max_length=20)  # api_client, patient, staff, system
    actor = models.CharField(max_length=255)
    action = models.CharField(max_length=30)
    outcome = models.CharField(max_length=40)  # SUCCESS or the errorCode
    ods_code = models.CharField(max_length=10, blank=True, db_index=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    # The API client a staff member registered, changed or disabled, by its client id; empty
    # in every other event (an API client's own calls name it as the actor).
    client_id = models.CharField("API client", max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        """Linkage key shown: Success, 5 March 2026 at 14:03:07 (local time)."""
        occurred = timezone.localtime(self.occurred_at)
        return (
            f"{audit_action_display(self.action)}: {audit_outcome_display(self.outcome)}, "
            f"{date_display(occurred.date())} at {occurred:%H:%M:%S}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError("Audit events cannot be deleted")


class IdempotentCreate(models.Model):
    """A create that carried an Idempotency-Key: a retry with the same key and body gets the
    first reply again instead of LINKAGE_KEY_EXISTS."""

    client_id = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    linkage_key = models.ForeignKey(LinkageKey, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client_id", "idempotency_key"], name="linkage_idempotency_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"Idempotent create {self.pk}"


class PracticeStaff(models.Model):
    """A member of a practice's staff: they see and act on that practice's data in the admin."""

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="practice_memberships"
    )
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="staff")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "practice"], name="linkage_staff_once")
        ]
        verbose_name = "practice staff member"

    def __str__(self) -> str:
        staff = staff_member_display(
            full_name=self.user.get_full_name(), username=self.user.get_username()
        )
        return f"{staff} at {self.practice}"
