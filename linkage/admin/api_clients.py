"""API clients: the systems allowed to call the linkage API, registered, bound to practices and
disabled by superusers only (docs/adr/0007)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from core.rsa_keys import rsa_public_key_pem_from
from linkage.admin.scoping import SuperuserOnlyAdmin, staff_actor
from linkage.models import API_SCOPES, ApiClient
from linkage.services import api_client_disable


class ApiClientForm(forms.ModelForm):  # type: ignore[type-arg]
    jwks_url = forms.URLField(required=False, assume_scheme="https", label="JWKS URL")
    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in API_SCOPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = (
            "name",
            "client_id",
            "public_key_pem",
            "jwks_url",
            "scopes",
            "all_practices",
            "practices",
            "enabled",
        )
        help_texts: ClassVar[dict[str, str]] = {
            "client_id": "Leave as it is: it is what the client puts in iss and sub.",
            "public_key_pem": "The client's RSA public key (PEM). Or give a JWKS URL instead.",
        }

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        pem, jwks_url = cleaned.get("public_key_pem", ""), cleaned.get("jwks_url", "")
        if bool(pem) == bool(jwks_url):
            raise forms.ValidationError("Give either a public key or a JWKS URL")
        if pem:
            try:
                cleaned["public_key_pem"] = rsa_public_key_pem_from(pem.encode())
            except ValueError as error:
                self.add_error("public_key_pem", str(error))
        if jwks_url and not jwks_url.startswith("https://"):
            self.add_error("jwks_url", "The JWKS URL must use https")
        # Bound to its practices or, explicitly, to all of them (docs/adr/0007).
        if bool(cleaned.get("all_practices")) == bool(cleaned.get("practices")):
            self.add_error(
                "practices", "Choose the practices the client serves, or tick all practices"
            )
        return cleaned


@admin.register(ApiClient)
class ApiClientAdmin(SuperuserOnlyAdmin):
    """System-wide: only superusers register or disable API clients."""

    form = ApiClientForm
    list_display = ("name", "client_id", "scopes", "practices_served", "enabled", "created_at")
    list_filter = ("enabled", "all_practices")
    filter_horizontal = ("practices",)
    actions = ("disable_clients",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        return super().get_queryset(request).prefetch_related("practices")

    @admin.display(description="practices")
    def practices_served(self, client: ApiClient) -> str:
        """Which practices' patients the client may ask about (docs/adr/0007)."""
        if client.all_practices:
            return "All practices"
        codes = [practice.ods_code for practice in client.practices.all()]
        return ", ".join(codes) or "None (every call refused)"

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"client_id": str(uuid.uuid4())}

    @admin.action(description="Disable selected API clients")
    def disable_clients(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        count = api_client_disable(actor=staff_actor(request), clients=queryset)
        self.message_user(request, f"Disabled {count} API client(s): their tokens stop working now")
