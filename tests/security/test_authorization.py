"""Who may reach what, swept rather than sampled: every per-object admin URL of the linkage app
for staff of another practice, every route for changing an audit event, replayed patient POSTs,
and what the database holds of a linkage key (ciphertext, never the key)."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.test import Client
from django.urls import URLPattern

from accounts.tests.factories import PatientFactory
from linkage.audit import Actor, ActorType, AuditAction, audit_event_record
from linkage.models import AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.tests.conftest import ApiCaller, create_body
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory

pytestmark = pytest.mark.django_db

KEY = "Kp3nV8cT2wJsBqR"  # what LinkageKeyFactory stores


def _per_object_admin_urls() -> list[tuple[str, str]]:
    """(model name, URL template) for every admin URL of the linkage app that names an object."""
    found = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label != "linkage":
            continue
        for pattern in model_admin.get_urls():
            if isinstance(pattern, URLPattern) and "<path:object_id>" in str(pattern.pattern):
                route = str(pattern.pattern).replace("<path:object_id>", "{pk}")
                found.append(
                    (
                        model._meta.model_name or "",
                        f"/admin/linkage/{model._meta.model_name}/{route}",
                    )
                )
    return found


# The models that hold a practice's data; the others (API clients, staff memberships) are
# superuser-only, tested in linkage/tests/test_admin.py.
PRACTICE_DATA = {"practice", "registeredpatient", "linkagekey", "auditevent"}
PER_OBJECT_URLS = [case for case in _per_object_admin_urls() if case[0] in PRACTICE_DATA]


@pytest.fixture
def ours(this_practice: Practice) -> dict[str, models.Model]:
    patient = RegisteredPatientFactory.create(
        practice=this_practice, nhs_number="9990000018", date_of_birth=datetime.date(1985, 3, 5)
    )
    key = LinkageKeyFactory.create(patient=patient, account_id="5100000001")
    event = audit_event_record(
        actor=Actor(ActorType.API_CLIENT, "nhs-login"),
        action=AuditAction.RETRIEVE,
        outcome="SUCCESS",
        ods_code=this_practice.ods_code,
        nhs_number="9990000018",
    )
    return {
        "practice": this_practice,
        "registeredpatient": patient,
        "linkagekey": key,
        "auditevent": event,
    }


def test_the_sweep_found_the_admin_urls() -> None:
    assert len(PER_OBJECT_URLS) >= 10
    assert {name for name, _ in PER_OBJECT_URLS} == PRACTICE_DATA


@pytest.mark.parametrize(
    ("model_name", "url"),
    [pytest.param(*case, id=case[1].split("/", 3)[3]) for case in PER_OBJECT_URLS],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_of_another_practice_reach_none_of_ours_by_any_admin_url(
    other_practice_staff_client: Client,
    ours: dict[str, models.Model],
    model_name: str,
    url: str,
    method: str,
) -> None:
    target = ours[model_name]
    keys_before = list(LinkageKey.objects.values_list("status", "encrypted_key"))

    response = getattr(other_practice_staff_client, method)(url.format(pk=target.pk), follow=True)

    html = response.content.decode()
    for secret in ("9990000018", "999 000 0018", "5100000001", KEY):
        assert secret not in html
    assert list(LinkageKey.objects.values_list("status", "encrypted_key")) == keys_before


def test_no_route_changes_or_deletes_an_audit_event(
    superuser_client: Client, nhs_login_api: ApiCaller, ours: dict[str, models.Model]
) -> None:
    event = ours["auditevent"]
    before = list(AuditEvent.objects.order_by("pk").values())
    attempts = [
        (f"/admin/linkage/auditevent/{event.pk}/change/", {"outcome": "FORGED", "actor": "x"}),
        (f"/admin/linkage/auditevent/{event.pk}/delete/", {"post": "yes"}),
        (
            "/admin/linkage/auditevent/",
            {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
        ),
        ("/admin/linkage/auditevent/add/", {"outcome": "FORGED"}),
    ]

    for url, form in attempts:
        superuser_client.post(url, form)
    for method in ("put", "patch", "delete"):
        for path in ("/api/v1/linkage", "/api/v1/linkage/retrieve"):
            getattr(nhs_login_api.http, method)(path, headers={"Authorization": "Bearer x"})

    after = list(AuditEvent.objects.order_by("pk").values())
    assert after[: len(before)] == before  # only ever appended to
    assert not AuditEvent.objects.filter(outcome="FORGED").exists()


def _patient_client(nhs_number: str, registered: RegisteredPatient) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(
        PatientFactory.create(
            nhs_number=nhs_number,
            family_name=registered.surname,
            birthdate=registered.date_of_birth,
            gp_ods_code=registered.practice.ods_code,
        ).user,
        backend="accounts.backends.NhsLoginBackend",
    )
    return client


def test_a_replayed_or_tampered_patient_post_acts_only_for_whoever_is_signed_in(
    this_practice: Practice,
) -> None:
    alice = RegisteredPatientFactory.create(
        practice=this_practice, nhs_number="9990000018", date_of_birth=datetime.date(1985, 3, 5)
    )
    bob = RegisteredPatientFactory.create(
        practice=this_practice, nhs_number="9990000026", date_of_birth=datetime.date(1990, 1, 1)
    )
    LinkageKeyFactory.create(patient=alice, account_id="5100000001")
    # Alice's POSTs, naming her in every way a form or URL could, replayed by Bob.
    naming_alice = {"nhsNumber": "9990000018", "nhs_number": "9990000018", "patient": alice.pk}
    bob_client = _patient_client("9990000026", bob)

    shown = bob_client.post(f"/home/linkage-details/show-key/?patient={alice.pk}", naming_alice)
    created = bob_client.post(
        "/home/linkage-details/create/confirm/?nhs_number=9990000018", naming_alice
    )
    signed_out = Client().post("/home/linkage-details/show-key/", naming_alice)

    assert KEY not in shown.content.decode()
    assert "5100000001" not in shown.content.decode() + created.content.decode()
    assert LinkageKey.objects.filter(patient=bob).count() == 1  # Bob's own, made for Bob
    assert LinkageKey.objects.filter(patient=alice).count() == 1
    assert signed_out.status_code == 302
    assert KEY not in signed_out.content.decode()


def test_the_database_holds_linkage_keys_only_as_ciphertext(
    nhs_login_api: ApiCaller, registered_patient: RegisteredPatient
) -> None:
    linkage_key = nhs_login_api.create(create_body(), **{"Idempotency-Key": "once"}).json()[
        "linkageKey"
    ]
    nhs_login_api.retrieve({"nhsNumber": "9990000018", "odsCode": "A12345"})

    with connection.cursor() as cursor:
        cursor.execute("SELECT encrypted_key FROM linkage_linkagekey")
        (stored,) = cursor.fetchone()
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert linkage_key not in stored
    holding_it = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            for field in model._meta.concrete_fields:
                if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                    column = connection.ops.quote_name(field.column)
                    cursor.execute(
                        f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608
                        f"WHERE CAST({column} AS TEXT) LIKE %s",
                        [f"%{linkage_key}%"],
                    )
                    if cursor.fetchone()[0]:
                        holding_it.append(f"{table}.{field.column}")
    assert holding_it == []
