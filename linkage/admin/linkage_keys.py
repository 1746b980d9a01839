"""Linkage keys: staff see them masked, and revoke, reissue or show one only through the audited
services of linkage/services.py, never through a form of admin's own. Revoking and reissuing
need the permissions of docs/adr/0024, here as on the key's own page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from accounts.presenters import nhs_number_display
from linkage.admin.key_actions import KeyActionsAdmin
from linkage.admin.key_permissions import ReissueForm, RevokeForm
from linkage.admin.scoping import NhsNumberSearchMixin, ScopedPracticeFilter, staff_actor
from linkage.errors import LinkageError
from linkage.models import LinkageKey, LinkageKeyStatus, RegisteredPatient
from linkage.services import linkage_key_reissue, linkage_key_reveal, linkage_key_revoke


@admin.register(LinkageKey)
class LinkageKeyAdmin(NhsNumberSearchMixin, KeyActionsAdmin):
    """Scoped to the staff member's practices; a key's page revokes or reissues it
    (linkage/admin/key_actions.py), and the list actions do the same for several keys."""

    list_display = (
        "account_id",
        "patient_shown",
        "masked_key",
        "status",
        "created_at",
        "revoked_at",
        "practice",
    )
    # The patient and practice of every key on the page in the list's one query.
    list_select_related = ("patient", "practice")
    list_filter = (ScopedPracticeFilter, "status")
    search_fields = ("account_id",)
    search_help_text = "Search by NHS number (with or without spaces) or Account ID"
    nhs_number_lookup = "patient__nhs_number"
    actions = ("revoke_keys", "reissue_keys")
    readonly_fields = (
        "account_id",
        "patient",
        "practice",
        "masked_key",
        "status",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
        "revoked_reason",
        "show_key_link",
    )
    fields = readonly_fields
    change_form_template = "admin/linkage/linkagekey/change_form.html"

    @admin.display(description="Patient", ordering="patient__surname")
    def patient_shown(self, key: LinkageKey) -> str:
        """Ava Thompson (999 000 0018)."""
        return str(key.patient)

    @admin.display(description="Linkage key")
    def masked_key(self, key: LinkageKey) -> str:
        return "•" * 15

    @admin.display(description="Show key")
    def show_key_link(self, key: LinkageKey) -> str:
        return "Use the Show key button: every look is recorded in the audit"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:key_id>/show-key/",
                self.admin_site.admin_view(self.show_key_view),
                name="linkage_linkagekey_show_key",
            )
        ]
        return own + super().get_urls()

    def _scoped_key(self, request: HttpRequest, key_id: int) -> LinkageKey:
        key = self.get_queryset(request).filter(pk=key_id).first()
        if key is None:
            raise PermissionDenied
        return key  # type: ignore[no-any-return]

    def show_key_view(self, request: HttpRequest, key_id: int) -> HttpResponse:
        """GET asks for confirmation; POST shows the key once, and records that it was seen."""
        key = self._scoped_key(request, key_id)
        linkage_key = None
        if request.method == "POST":
            try:
                linkage_key = linkage_key_reveal(
                    actor=staff_actor(request), linkage_key=key
                ).linkage_key
            except LinkageError as error:
                messages.error(request, error.error_message)
                return HttpResponseRedirect(
                    reverse("admin:linkage_linkagekey_change", args=[key.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Linkage key for Account ID {key.account_id}",
            "key": key,
            "linkage_key": linkage_key,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/linkage/linkagekey/show_key.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected linkage keys", permissions=["revoke"])
    def revoke_keys(
        self, request: HttpRequest, queryset: QuerySet[LinkageKey]
    ) -> HttpResponse | None:
        """First asks why; then revokes each active key selected, through the service."""
        active = list(queryset.filter(status=LinkageKeyStatus.ACTIVE))
        form = RevokeForm(request.POST if "confirm" in request.POST else None)
        if not ("confirm" in request.POST and form.is_valid()):
            return self._confirm(
                request, queryset, "revoke_keys", form, "Revoke linkage keys", "Revoke", active
            )
        reason = form.cleaned_data["reason"]
        revoked = sum(self._revoke(request, key, reason) for key in active)
        self.message_user(request, f"Revoked {revoked} linkage key(s)")
        return None

    def _revoke(self, request: HttpRequest, key: LinkageKey, reason: str) -> bool:
        try:
            linkage_key_revoke(actor=staff_actor(request), linkage_key=key, reason=reason)
        except LinkageError as error:
            messages.error(request, f"Account ID {key.account_id}: {error.error_message}")
            return False
        return True

    @admin.action(
        description="Reissue a new key for the selected keys' patients", permissions=["reissue"]
    )
    def reissue_keys(
        self, request: HttpRequest, queryset: QuerySet[LinkageKey]
    ) -> HttpResponse | None:
        """First asks why; then issues each selected key's patient a new key, through the
        service (which revokes any active one)."""
        patients = list({key.patient_id: key.patient for key in queryset}.values())
        form = ReissueForm(request.POST if "confirm" in request.POST else None)
        if not ("confirm" in request.POST and form.is_valid()):
            return self._confirm(
                request,
                queryset,
                "reissue_keys",
                form,
                "Reissue linkage keys",
                "Reissue",
                list(queryset),
            )
        reason = form.cleaned_data["reason"]
        issued = sum(self._reissue(request, patient, reason) for patient in patients)
        self.message_user(request, f"Issued {issued} new linkage key(s)")
        return None

    def _reissue(self, request: HttpRequest, patient: RegisteredPatient, reason: str) -> bool:
        try:
            linkage_key_reissue(actor=staff_actor(request), patient=patient, reason=reason)
        except LinkageError as error:
            messages.error(
                request, f"{nhs_number_display(patient.nhs_number)}: {error.error_message}"
            )
            return False
        return True

    def _confirm(
        self,
        request: HttpRequest,
        queryset: QuerySet[LinkageKey],
        action: str,
        form: forms.Form,
        title: str,
        verb: str,
        keys: list[LinkageKey],
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "verb": verb,
            "action": action,
            "form": form,
            "keys": keys,
            "selected": queryset.values_list("pk", flat=True),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/linkage/linkagekey/confirm_action.html", context)
