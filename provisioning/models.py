"""What the portal keeps of each provisioning request a member of staff sent to NHS login
(docs/provisioning.md): whose, by whom, when, and NHS login's answer. Never the email address
or mobile number given: NHS login holds them, and the portal needs them for the one call only.
"""

from __future__ import annotations

from django.db import models

from linkage.models import Practice, RegisteredPatient


class ProvisioningRequestQuerySet(models.QuerySet["ProvisioningRequest"]):
    def accepted(self) -> ProvisioningRequestQuerySet:
        """Requests NHS login accepted (``create`` or ``uplift``): an email is on its way."""
        return self.filter(outcome__in=ACCEPTED_OUTCOMES)


ACCEPTED_OUTCOMES = ("create", "uplift")


class ProvisioningRequest(models.Model):
    """One request answered by NHS login. A request NHS login never answered (it was down, or
    too slow) is not one: only its audit event records it."""

    patient = models.ForeignKey(
        RegisteredPatient, on_delete=models.PROTECT, related_name="provisioning_requests"
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="provisioning_requests"
    )
    requested_at = models.DateTimeField(auto_now_add=True, db_index=True)
    requested_by = models.CharField(max_length=255)
    # NHS login's code: create, uplift or one of the error codes (docs/provisioning.md).
    outcome = models.CharField(max_length=10)

    objects = ProvisioningRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        permissions = [
            (
                "provision_nhs_login",
                "Can provision an NHS login account for a registered patient",
            )
        ]

    def __str__(self) -> str:
        return f"NHS login provisioning for {self.patient}: {self.outcome}"
