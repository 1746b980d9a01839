"""A linkage key's page in the admin: staff revoke the key, or reissue it, with a reason and
after a page that says what will happen (docs/adr/0024).

Both go through the audited services (``linkage_key_revoke``, ``linkage_key_reissue``), as the
list actions do. A reissue's new key goes to the patient's letter page, shown once
(linkage/admin/key_handover.py, linkage/admin/key_issue.py).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from linkage.admin.key_handover import new_key_hand_over
from linkage.admin.key_permissions import KeyAction, ReissueForm, RevokeForm, staff_may
from linkage.admin.scoping import PracticeScopedAdmin, staff_actor
from linkage.errors import LinkageError
from linkage.models import LinkageKey, LinkageKeyStatus
from linkage.services import linkage_key_reissue, linkage_key_revoke
from linkage.staff_key_presenters import staff_key_refusal


class KeyActionsAdmin(PracticeScopedAdmin):
    """The key's page, with its "Reissue key" and "Revoke key" buttons."""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                f"<path:object_id>/{action}/",
                self.admin_site.admin_view(view),
                name=f"linkage_linkagekey_{action}",
            )
            for action, view in (("revoke", self.revoke_view), ("reissue", self.reissue_view))
        ]
        return own + super().get_urls()

    def has_revoke_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Staff of the key's practice with ``linkage.revoke_linkagekey``."""
        return staff_may(request, "revoke") and self.has_view_permission(request, obj)

    def has_reissue_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Staff of the key's practice with ``linkage.reissue_linkagekey``."""
        return staff_may(request, "reissue") and self.has_view_permission(request, obj)

    def change_page_context(self, request: HttpRequest, obj: Any) -> dict[str, Any]:
        """The Revoke and Reissue buttons, for staff who may use them."""
        return {
            "can_revoke": obj is not None and self.has_revoke_permission(request, obj),
            "can_reissue": obj is not None and self.has_reissue_permission(request, obj),
        }

    def _key_for(self, request: HttpRequest, object_id: str, action: KeyAction) -> LinkageKey:
        """One of the staff member's practice's keys, if they may take ``action``; else 403,
        as for a key that does not exist."""
        key = self.get_object(request, object_id)
        allowed = {"revoke": self.has_revoke_permission, "reissue": self.has_reissue_permission}
        if key is None or action not in allowed or not allowed[action](request, key):
            raise PermissionDenied
        return key  # type: ignore[no-any-return]

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET says what will happen and asks why; POST revokes the key, or says why not."""
        key = self._key_for(request, object_id, "revoke")
        form = RevokeForm(request.POST if request.method == "POST" else None)
        if key.status != LinkageKeyStatus.ACTIVE or not form.is_valid():
            return self._confirm_page(request, key, form, "revoke")
        try:
            linkage_key_revoke(
                actor=staff_actor(request), linkage_key=key, reason=form.cleaned_data["reason"]
            )
        except LinkageError as error:
            messages.error(request, staff_key_refusal(error.error_code, action="revoke"))
        else:
            messages.success(
                request,
                f"Linkage key for Account ID {key.account_id} revoked. Apps connected with it "
                "have stopped working.",
            )
        return HttpResponseRedirect(reverse("admin:linkage_linkagekey_change", args=[key.pk]))

    def reissue_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET says what will happen and asks why; POST replaces the key and goes to the new
        key's letter, or says why not."""
        key = self._key_for(request, object_id, "reissue")
        form = ReissueForm(request.POST if request.method == "POST" else None)
        if key.status != LinkageKeyStatus.ACTIVE or not form.is_valid():
            return self._confirm_page(request, key, form, "reissue")
        try:
            information = linkage_key_reissue(
                actor=staff_actor(request), patient=key.patient, reason=form.cleaned_data["reason"]
            )
        except LinkageError as error:
            messages.error(request, staff_key_refusal(error.error_code, action="reissue"))
            return HttpResponseRedirect(reverse("admin:linkage_linkagekey_change", args=[key.pk]))
        new_key_hand_over(
            request.session, patient_id=key.patient_id, information=information, reissued=True
        )
        return HttpResponseRedirect(
            reverse("admin:linkage_registeredpatient_key_letter", args=[key.patient_id])
        )

    def _confirm_page(
        self, request: HttpRequest, key: LinkageKey, form: forms.Form, action: KeyAction
    ) -> TemplateResponse:
        title = f"{action.capitalize()} the linkage key"
        context = self.patient_page_context(request, key.patient, title)
        context.update(action=action, key=key, form=form)
        return TemplateResponse(request, "admin/linkage/linkagekey/key_action.html", context)
