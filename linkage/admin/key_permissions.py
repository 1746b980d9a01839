"""Who may act on a linkage key in the admin (docs/adr/0024): staff of the patient's practice
who also hold the action's own permission (``linkage.issue_linkagekey``,
``linkage.reissue_linkagekey``, ``linkage.revoke_linkagekey``, linkage/models.py), and
superusers, who hold every permission. The practice is checked by the ModelAdmin's scoped
queryset (docs/adr/0013); this is the permission half."""

from __future__ import annotations

from typing import Literal

from django import forms
from django.http import HttpRequest

from linkage.admin.scoping import staff_of

KeyAction = Literal["issue", "reissue", "revoke"]

REASON_MAX_LENGTH = 500


def staff_may(request: HttpRequest, action: KeyAction) -> bool:
    """Whether the staff member holds the permission for ``action`` (not yet whether the
    patient is one of their practice's: the caller asks its scoped queryset)."""
    return staff_of(request).has_perm(f"linkage.{action}_linkagekey")


def _reason_field(help_text: str, required: str) -> forms.CharField:
    return forms.CharField(
        label="Reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
        error_messages={
            "required": required,
            "max_length": f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer",
        },
    )


class RevokeForm(forms.Form):
    """Why a key is revoked: required, kept with the key (``revoked_reason``)."""

    reason = _reason_field(
        "Why the key is being revoked, for example: the patient thinks someone else knows it. "
        "Kept with the key, with your name and the time.",
        "Enter why the key is being revoked",
    )


class ReissueForm(forms.Form):
    """Why a key is replaced: required, kept with the key it replaces."""

    reason = _reason_field(
        "Why the patient needs a new key, for example: they lost the letter. Kept with the "
        "key it replaces, with your name and the time.",
        "Enter why the key is being reissued",
    )
