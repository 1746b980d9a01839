"""Django admin for practice staff (docs/adr/0013).

Staff belong to practices (PracticeStaff); every queryset here is limited to those practices,
and a superuser sees all. Linkage keys change only through the services, so every revoke,
reissue and "show key" is audited; audit events can be read and exported, never changed.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from accounts.models import User
from accounts.presenters import nhs_number_display
from core.request_id import request_id_of
from core.rsa_keys import rsa_public_key_pem_from
from core.uploads import upload_size_check
from linkage.audit import SUCCESS, Actor, ActorType, AuditAction, audit_event_record
from linkage.errors import LinkageError
from linkage.models import (
    API_SCOPES,
    ApiClient,
    AuditEvent,
    LinkageKey,
    LinkageKeyStatus,
    Practice,
    PracticeStaff,
    RegisteredPatient,
)
from linkage.register_import import RegisterImportError, register_import_text
from linkage.selectors import ods_codes_of, practices_of
from linkage.services import (
    linkage_key_reissue,
    linkage_key_reveal,
    linkage_key_revoke,
)
from linkage.validation import InvalidValueError, nhs_number_normalise


def staff_actor(request: HttpRequest) -> Actor:
    return Actor(ActorType.STAFF, request.user.get_username(), request_id_of(request))


def _staff(request: HttpRequest) -> User | AnonymousUser:
    """The user asking. The admin's login page asks every ModelAdmin for its permissions
    before anyone has signed in, so this is often anonymous."""
    user = request.user
    assert isinstance(user, User | AnonymousUser)
    return user


class PracticeScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Staff of a practice may look at its data; nobody adds or deletes it here."""

    practice_field = "practice"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return practices_of(_staff(request)).exists()

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists()
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return queryset.filter(**{f"{self.practice_field}__in": practices_of(_staff(request))})


class NhsNumberSearchMixin:
    """A search box that takes an NHS number with or without spaces, or else the fields in
    search_fields."""

    nhs_number_lookup = "nhs_number"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        try:
            nhs_number = nhs_number_normalise(search_term)
        except InvalidValueError:
            results: tuple[QuerySet[Any], bool] = super().get_search_results(  # type: ignore[misc]
                request, queryset, search_term
            )
            return results
        return queryset.filter(**{self.nhs_number_lookup: nhs_number}), False


class SuperuserOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """System-wide records: superusers manage them; nobody deletes them here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _staff(request).is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _staff(request).is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _staff(request).is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _staff(request).is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ScopedPracticeFilter(admin.SimpleListFilter):
    title = "practice"
    parameter_name = "practice"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(p.ods_code, str(p)) for p in practices_of(_staff(request))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        field = getattr(self, "practice_ods_field", "practice__ods_code")
        return queryset.filter(**{field: self.value()})


class AuditPracticeFilter(ScopedPracticeFilter):
    practice_ods_field = "ods_code"


@admin.register(Practice)
class PracticeAdmin(PracticeScopedAdmin):
    list_display = ("ods_code", "name", "online_services_live")
    search_fields = ("ods_code", "name")
    actions = ("switch_online_services_on", "switch_online_services_off")
    fields = ("ods_code", "name", "online_services_live")
    practice_field = "pk"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return practices_of(_staff(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _staff(request).is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def get_readonly_fields(
        self, request: HttpRequest, obj: Model | None = None
    ) -> tuple[str, ...]:
        if _staff(request).is_superuser and obj is None:
            return ()
        return ("ods_code",) if _staff(request).is_superuser else ("ods_code", "name")

    @admin.action(description="Switch online services on")
    def switch_online_services_on(self, request: HttpRequest, queryset: QuerySet[Practice]) -> None:
        count = queryset.update(online_services_live=True)
        self.message_user(request, f"Online services switched on for {count} practice(s)")

    @admin.action(description="Switch online services off")
    def switch_online_services_off(
        self, request: HttpRequest, queryset: QuerySet[Practice]
    ) -> None:
        count = queryset.update(online_services_live=False)
        self.message_user(request, f"Online services switched off for {count} practice(s)")


class RegisterImportForm(forms.Form):
    practice = forms.ModelChoiceField(queryset=Practice.objects.none())
    file = forms.FileField(
        label="Register CSV",
        help_text="Header: nhs_number,surname,given_name,date_of_birth,registration_status",
        validators=[upload_size_check],
    )

    def __init__(self, *args: Any, practices: QuerySet[Practice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practice"].queryset = practices  # type: ignore[attr-defined]


@admin.register(RegisteredPatient)
class RegisteredPatientAdmin(NhsNumberSearchMixin, PracticeScopedAdmin):
    list_display = (
        "nhs_number_shown",
        "surname",
        "given_name",
        "date_of_birth",
        "registration_status",
        "deceased",
        "practice",
    )
    list_filter = (ScopedPracticeFilter, "registration_status", "deceased")
    search_fields = ("surname",)
    search_help_text = "Search by NHS number (with or without spaces) or surname"
    change_list_template = "admin/linkage/registeredpatient/change_list.html"

    @admin.display(description="NHS number", ordering="nhs_number")
    def nhs_number_shown(self, patient: RegisteredPatient) -> str:
        return nhs_number_display(patient.nhs_number)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="linkage_registeredpatient_import",
            )
        ]
        return own + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_module_permission(request):
            raise PermissionDenied
        practices = practices_of(_staff(request))
        form = RegisterImportForm(request.POST or None, request.FILES or None, practices=practices)
        errors: list[str] = []
        errors_not_shown = 0
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                text = upload.read().decode("utf-8-sig")
                result = register_import_text(
                    actor=staff_actor(request), practice=form.cleaned_data["practice"], text=text
                )
            except UnicodeDecodeError:
                errors = ["The file is not UTF-8 text"]
            except RegisterImportError as error:
                errors = [str(row_error) for row_error in error.errors]
                errors_not_shown = error.errors_not_shown
            else:
                messages.success(
                    request,
                    f"Imported {result.created + result.updated} patients: "
                    f"{result.created} new, {result.updated} updated",
                )
                return HttpResponseRedirect(reverse("admin:linkage_registeredpatient_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a practice register",
            "form": form,
            "import_errors": errors,
            "import_errors_not_shown": errors_not_shown,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/linkage/registeredpatient/import.html", context)


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the key is being cancelled. Kept with the key and in the audit.",
    )


class ReissueForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why a new key is being issued. Any active key is cancelled first.",
    )


@admin.register(LinkageKey)
class LinkageKeyAdmin(NhsNumberSearchMixin, PracticeScopedAdmin):
    list_display = (
        "account_id",
        "patient_shown",
        "masked_key",
        "status",
        "created_at",
        "revoked_at",
        "practice",
    )
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

    @admin.display(description="Patient")
    def patient_shown(self, key: LinkageKey) -> str:
        return f"{nhs_number_display(key.patient.nhs_number)} {key.patient.surname}"

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

    @admin.action(description="Revoke selected linkage keys")
    def revoke_keys(
        self, request: HttpRequest, queryset: QuerySet[LinkageKey]
    ) -> HttpResponse | None:
        active = queryset.filter(status=LinkageKeyStatus.ACTIVE)
        form = RevokeForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            revoked = 0
            for key in active:
                try:
                    linkage_key_revoke(
                        actor=staff_actor(request),
                        linkage_key=key,
                        reason=form.cleaned_data["reason"],
                    )
                    revoked += 1
                except LinkageError as error:
                    messages.error(request, f"Account ID {key.account_id}: {error.error_message}")
            self.message_user(request, f"Revoked {revoked} linkage key(s)")
            return None
        return self._confirm(
            request, queryset, "revoke_keys", form, "Revoke linkage keys", "Revoke", list(active)
        )

    @admin.action(description="Reissue a new key for the selected keys' patients")
    def reissue_keys(
        self, request: HttpRequest, queryset: QuerySet[LinkageKey]
    ) -> HttpResponse | None:
        patients = list({key.patient_id: key.patient for key in queryset}.values())
        form = ReissueForm(request.POST if "confirm" in request.POST else None)
        if "confirm" in request.POST and form.is_valid():
            issued = 0
            for patient in patients:
                try:
                    linkage_key_reissue(
                        actor=staff_actor(request),
                        patient=patient,
                        reason=form.cleaned_data["reason"],
                    )
                    issued += 1
                except LinkageError as error:
                    messages.error(
                        request, f"{nhs_number_display(patient.nhs_number)}: {error.error_message}"
                    )
            self.message_user(request, f"Issued {issued} new linkage key(s)")
            return None
        return self._confirm(
            request,
            queryset,
            "reissue_keys",
            form,
            "Reissue linkage keys",
            "Reissue",
            list(queryset),
        )

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


@admin.register(AuditEvent)
class AuditEventAdmin(PracticeScopedAdmin):
    """Read-only for everyone, superusers included; staff see their practices' events."""

    list_display = (
        "occurred_at",
        "actor_type",
        "actor",
        "action",
        "outcome",
        "ods_code",
        "nhs_number_shown",
        "request_id",
    )
    list_filter = (
        AuditPracticeFilter,
        "action",
        "outcome",
        "actor_type",
        ("occurred_at", admin.DateFieldListFilter),
    )
    change_list_template = "admin/linkage/auditevent/change_list.html"
    date_hierarchy = "occurred_at"

    @admin.display(description="NHS number", ordering="nhs_number")
    def nhs_number_shown(self, event: AuditEvent) -> str:
        return nhs_number_display(event.nhs_number) if event.nhs_number else ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        # Events name their practice by ODS code (the practice may not exist: a refused call),
        # so the scope is by code; a superuser also sees events with no practice at all.
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if _staff(request).is_superuser:
            return queryset
        return queryset.filter(ods_code__in=ods_codes_of(_staff(request)))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="linkage_auditevent_export",
            )
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest) -> StreamingHttpResponse:
        """The list as filtered on screen, as CSV. The export is itself audited."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        events = self.get_changelist_instance(request).get_queryset(request)
        audit_event_record(actor=staff_actor(request), action=AuditAction.EXPORT, outcome=SUCCESS)

        def rows() -> Iterator[str]:
            buffer = _Echo()
            writer = csv.writer(buffer)
            yield writer.writerow(
                [
                    "occurred_at",
                    "actor_type",
                    "actor",
                    "action",
                    "outcome",
                    "ods_code",
                    "nhs_number",
                    "request_id",
                ]
            )
            for event in events.iterator():
                yield writer.writerow(
                    [
                        spreadsheet_safe(value)
                        for value in (
                            event.occurred_at.isoformat(),
                            event.actor_type,
                            event.actor,
                            event.action,
                            event.outcome,
                            event.ods_code,
                            event.nhs_number,
                            event.request_id,
                        )
                    ]
                )

        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = StreamingHttpResponse(rows(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response


# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The value as a spreadsheet shows it, never runs it (OWASP, "CSV Injection"): a staff
    username or a caller's request id such as ``=HYPERLINK(...)`` or ``-2+3`` gets a leading
    apostrophe, so the practice manager who opens the export sees text, not a formula."""
    return f"'{value}" if value.startswith(_FORMULA_PREFIXES) else value


class _Echo:
    """A file-like object for csv.writer that hands back each row instead of storing it."""

    def write(self, value: str) -> str:
        return value


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
        help_texts = {
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
        count = queryset.update(enabled=False)
        self.message_user(request, f"Disabled {count} API client(s): their tokens stop working now")


@admin.register(PracticeStaff)
class PracticeStaffAdmin(SuperuserOnlyAdmin):
    """Who works for which practice: granted by superusers only."""

    list_display = ("user", "practice")
    list_filter = ("practice",)
    autocomplete_fields = ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return _staff(request).is_superuser
