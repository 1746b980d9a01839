"""API clients: the systems allowed to call the linkage API, registered, bound to practices and
disabled by superusers only (docs/adr/0007), always through the audited services of
linkage/api_clients/registration.py and under its rules."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar, TypedDict

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from linkage.admin.scoping import SuperuserOnlyAdmin, staff_actor
from linkage.api_clients.registration import (
    ApiClientRulesError,
    api_client_change,
    api_client_disable,
    api_client_register,
    api_client_rules_check,
)
from linkage.models import API_SCOPES, ApiClient


class ApiClientValues(TypedDict):
    """The form's values as the registration and change services take them."""

    name: str
    client_id: str
    public_key_pem: str
    jwks_url: str
    scopes: list[str]
    ods_codes: list[str]
    all_practices: bool
    enabled: bool


class ScopesField(forms.MultipleChoiceField):
    """A checkbox for each of ``API_SCOPES``. Which scopes a client may hold is the service's
    rule, reported in its words, so the field itself accepts whatever is sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=[(scope, scope) for scope in API_SCOPES],
            widget=forms.CheckboxSelectMultiple,
            required=False,
            **kwargs,
        )

    def valid_value(self, value: str) -> bool:
        return True


class ApiClientForm(forms.ModelForm):  # type: ignore[type-arg]
    """The fields of an API client, checked by the rules of linkage.services
    (api_client_rules_check), each broken rule shown by the field at fault."""

    jwks_url = forms.URLField(required=False, assume_scheme="https", label="JWKS URL")
    scopes = ScopesField()

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
        try:
            api_client_rules_check(
                name=cleaned.get("name", ""),
                public_key_pem=cleaned.get("public_key_pem", ""),
                jwks_url=cleaned.get("jwks_url", ""),
                scopes=cleaned.get("scopes", []),
                ods_codes=[practice.ods_code for practice in cleaned.get("practices", [])],
                all_practices=bool(cleaned.get("all_practices")),
            )
        except ApiClientRulesError as error:
            for rule in error.broken:
                if rule.field not in self.errors:
                    self.add_error(rule.field, rule.message)
        return cleaned

    def client_values(self) -> ApiClientValues:
        data = self.cleaned_data
        return ApiClientValues(
            name=data["name"],
            client_id=data["client_id"],
            public_key_pem=data["public_key_pem"],
            jwks_url=data["jwks_url"],
            scopes=list(data["scopes"]),
            ods_codes=[practice.ods_code for practice in data["practices"]],
            all_practices=data["all_practices"],
            enabled=data["enabled"],
        )


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

    def save_model(
        self, request: HttpRequest, obj: ApiClient, form: ApiClientForm, change: bool
    ) -> None:
        """Registered and changed by the services, under their rules, and audited."""
        if change:
            api_client_change(actor=staff_actor(request), client=obj, **form.client_values())
            return
        client = api_client_register(actor=staff_actor(request), **form.client_values())
        # The admin goes on to record the addition and open the client: the one registered.
        obj.pk = client.pk
        obj.refresh_from_db()
        obj._state.adding = False

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing left to save: the services set the client's practices."""

    @admin.action(description="Disable selected API clients")
    def disable_clients(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        count = api_client_disable(actor=staff_actor(request), clients=queryset)
        self.message_user(request, f"Disabled {count} API client(s): their tokens stop working now")
