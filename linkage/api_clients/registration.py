"""Registering, changing and disabling the systems allowed to call the linkage API
(docs/adr/0007): the rules every client keeps, wherever it is registered (the command line,
the admin, the local set-up). A change made by staff writes one audit event per client, in the
change's own transaction, and forgets the client's cached state (linkage/api_clients/state.py)
once it commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Required, TypedDict

from django.db import transaction
from django.db.models import QuerySet
from typing_extensions import Unpack

from core.nhs_identifiers import InvalidValueError, ods_code_normalise
from core.rsa_keys import rsa_public_key_pem_from
from linkage.api_clients.state import api_client_state_forget
from linkage.audit import SUCCESS, Actor, AuditAction, audit_event_record
from linkage.models import API_SCOPES, ApiClient, Practice


@dataclass(frozen=True)
class BrokenRule:
    """A rule an API client breaks, and the field at fault (the service's parameter, the admin
    form's field; for a rule about two fields, the first)."""

    field: str
    message: str


class ApiClientRulesError(ValueError):
    """Every rule an API client breaks, each with its field: a form shows each by its field, a
    command prints them all."""

    def __init__(self, broken: Sequence[BrokenRule]) -> None:
        self.broken = tuple(broken)
        super().__init__("; ".join(rule.message for rule in self.broken))


@dataclass(frozen=True)
class CheckedApiClient:
    """An API client's details once they keep the rules, as they are to be stored."""

    name: str
    public_key_pem: str
    jwks_url: str
    scopes: list[str]
    practices: list[Practice]
    all_practices: bool

    def stored_fields(self) -> dict[str, Any]:
        """The ApiClient fields these set; the practices, a many-to-many, are set apart."""
        return {
            "name": self.name,
            "public_key_pem": self.public_key_pem,
            "jwks_url": self.jwks_url,
            "scopes": self.scopes,
            "all_practices": self.all_practices,
        }


class ApiClientDetails(TypedDict, total=False):
    """What is registered of an API client, as the register and change services and the rules
    take it: a name, a public key or a JWKS URL, scopes, and the practices it serves (their
    ODS codes) or all of them."""

    name: Required[str]
    public_key_pem: Required[str]
    jwks_url: Required[str]
    scopes: Required[Sequence[str]]
    ods_codes: Sequence[str]
    all_practices: bool


def api_client_rules_check(**details: Unpack[ApiClientDetails]) -> CheckedApiClient:
    """The rules of every API client, registered on the command line or in admin, or changed in
    admin (docs/adr/0007): a name; one source of its signing keys, either a public key (RSA
    of at least 2048 bits, as RS512 needs: RFC 7518 3.3) or a JWKS URL over https, never both;
    scopes among ``API_SCOPES``; and a binding to the practices it serves or, explicitly, to
    all of them. Raises ApiClientRulesError naming every rule broken."""
    name, scopes = details["name"], details["scopes"]
    public_key_pem, jwks_url = details["public_key_pem"], details["jwks_url"]
    all_practices = details.get("all_practices", False)
    broken: list[BrokenRule] = []
    if not name.strip():
        broken.append(BrokenRule("name", "A client needs a name"))
    if bool(public_key_pem) == bool(jwks_url):
        broken.append(BrokenRule("public_key_pem", "Give either a public key or a JWKS URL"))
    elif public_key_pem:
        try:
            public_key_pem = rsa_public_key_pem_from(public_key_pem.encode())
        except ValueError as error:
            broken.append(BrokenRule("public_key_pem", str(error)))
    elif not jwks_url.startswith("https://"):
        broken.append(BrokenRule("jwks_url", "The JWKS URL must use https"))
    if not scopes or set(scopes) - set(API_SCOPES):
        broken.append(BrokenRule("scopes", f"Scopes must be some of {', '.join(API_SCOPES)}"))
    practices: list[Practice] = []
    try:
        practices = _practices_named(details.get("ods_codes", ()))
    except ValueError as error:
        broken.append(BrokenRule("practices", str(error)))
    else:
        if all_practices == bool(practices):
            broken.append(
                BrokenRule(
                    "practices", "Bind the client either to its practices or to all practices"
                )
            )
    if broken:
        raise ApiClientRulesError(broken)
    return CheckedApiClient(
        name=name.strip(),
        public_key_pem=public_key_pem,
        jwks_url=jwks_url,
        scopes=sorted(set(scopes)),
        practices=practices,
        all_practices=all_practices,
    )


def _client_id_free(client_id: str, *, other_than: ApiClient | None = None) -> None:
    taken = ApiClient.objects.filter(client_id=client_id)
    if other_than is not None:
        taken = taken.exclude(pk=other_than.pk)
    if taken.exists():
        raise ValueError(f"A client with the id {client_id} is registered already")


def _api_client_audited(
    actor: Actor, action: AuditAction, client_id: str, *, previous_client_id: str = ""
) -> None:
    """One audit event naming the client (in the caller's transaction), and its cached state
    forgotten once the change commits: forgotten earlier, a call in between could read the row
    as it was and cache it again for a minute (linkage/api_clients/state.py)."""
    audit_event_record(actor=actor, action=action, outcome=SUCCESS, client_id=client_id)
    forgotten = [client_id, previous_client_id] if previous_client_id else [client_id]
    transaction.on_commit(lambda: api_client_state_forget(forgotten))


def api_client_register(
    *,
    client_id: str,
    enabled: bool = True,
    actor: Actor | None = None,
    **details: Unpack[ApiClientDetails],
) -> ApiClient:
    """Register a system allowed to call the linkage API, bound to the practices it serves
    (``ods_codes``) or, explicitly, to all of them (docs/adr/0007). Raises ValueError naming
    the rule (ApiClientRulesError for those of api_client_rules_check).

    Registered by an ``actor`` (a staff member, in admin), the registration is audited in its
    own transaction. The command line and the local set-up give none: they are run by whoever
    runs manage.py on the server, not through the portal."""
    _client_id_free(client_id)
    checked = api_client_rules_check(**details)
    with transaction.atomic():
        client = ApiClient.objects.create(
            client_id=client_id, enabled=enabled, **checked.stored_fields()
        )
        client.practices.set(checked.practices)
        if actor is not None:
            _api_client_audited(actor, AuditAction.API_CLIENT_REGISTER, client_id)
    return client


def api_client_change(
    *,
    actor: Actor,
    client: ApiClient,
    client_id: str,
    enabled: bool = True,
    **details: Unpack[ApiClientDetails],
) -> ApiClient:
    """Change a registered client, under the rules it was registered under: its keys, scopes,
    binding, name, id, or whether it is enabled. One audit event, in the change's own
    transaction, and none for a save that changes nothing; the client's cached state is
    forgotten under its old id and its new one, so a token issued to the old id is refused on
    its next call."""
    _client_id_free(client_id, other_than=client)
    checked = api_client_rules_check(**details)
    fields = {"client_id": client_id, "enabled": enabled, **checked.stored_fields()}
    practice_pks = {practice.pk for practice in checked.practices}
    with transaction.atomic():
        stored = ApiClient.objects.select_for_update().get(pk=client.pk)
        if all(getattr(stored, field) == value for field, value in fields.items()) and (
            set(stored.practices.values_list("pk", flat=True)) == practice_pks
        ):
            return stored
        previous_client_id = stored.client_id
        for field, value in fields.items():
            setattr(stored, field, value)
        stored.save()
        stored.practices.set(checked.practices)
        _api_client_audited(
            actor, AuditAction.API_CLIENT_CHANGE, client_id, previous_client_id=previous_client_id
        )
    return stored


def _practices_named(ods_codes: Sequence[str]) -> list[Practice]:
    codes = set()
    for raw in ods_codes:
        try:
            codes.add(ods_code_normalise(raw))
        except InvalidValueError as error:
            raise ValueError(f"{raw!r} is not an ODS code") from error
    practices = list(Practice.objects.filter(ods_code__in=codes))
    missing = sorted(codes - {practice.ods_code for practice in practices})
    if missing:
        raise ValueError(f"No practice with the ODS code {', '.join(missing)} uses this system")
    return practices


def api_client_disable(*, actor: Actor, clients: QuerySet[ApiClient]) -> int:
    """Disable the API clients: their tokens are refused from their very next call. Each
    client disabled gets one audit event, in the same transaction; one already disabled is left
    alone, unrecorded. Returns how many were disabled. Their cached state is forgotten once the
    change commits (``_api_client_audited``)."""
    with transaction.atomic():
        disabling = list(
            ApiClient.objects.select_for_update().filter(
                pk__in=list(clients.values_list("pk", flat=True)), enabled=True
            )
        )
        ApiClient.objects.filter(pk__in=[client.pk for client in disabling]).update(enabled=False)
        for client in disabling:
            _api_client_audited(actor, AuditAction.API_CLIENT_DISABLE, client.client_id)
    return len(disabling)
