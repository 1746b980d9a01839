"""An API client reaches only the practices it is bound to, or every practice when bound to
all, and names the patient by surname and date of birth on every call (docs/adr/0007)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from linkage.api_clients.state import ApiClientState, PracticeBinding, api_client_state_get
from linkage.audit import Actor, ActorType
from linkage.errors import (
    InvalidRequestError,
    PracticeNotServedError,
)
from linkage.models import ApiClient, AuditEvent, LinkageKey, Practice, RegisteredPatient
from linkage.services import linkage_key_create, linkage_key_retrieve
from linkage.tests.conftest import (
    DATE_OF_BIRTH,
    NHS_NUMBER,
    ODS_CODE,
    SURNAME,
    ApiCaller,
    create_body,
    retrieve_body,
)
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory

pytestmark = pytest.mark.django_db

CLIENT = Actor(ActorType.API_CLIENT, "practice-app", "req-1")
OTHER_ODS_CODE = "B23456"
OTHER_NHS_NUMBER = "9990000026"
FORBIDDEN_BODY = {
    "errorCode": "FORBIDDEN",
    "errorMessage": "This client is not bound to that practice",
}


@pytest.fixture
def other_patient(db: None) -> RegisteredPatient:
    """A patient with a key at a practice the bound client does not serve."""
    patient = RegisteredPatientFactory.create(
        practice=PracticeFactory.create(ods_code=OTHER_ODS_CODE),
        nhs_number=OTHER_NHS_NUMBER,
        surname=SURNAME,
        date_of_birth=datetime.date.fromisoformat(DATE_OF_BIRTH),
    )
    LinkageKeyFactory.create(patient=patient)
    return patient


@pytest.fixture
def bound_api(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> ApiCaller:
    """A client of the first practice only, where the patient has a key."""
    LinkageKeyFactory.create(patient=registered_patient)
    return api_client_for("linkage:read", "linkage:create", ods_codes=(ODS_CODE,))


# The service


def _retrieve(practices: PracticeBinding | None, **fields: Any) -> Any:
    named = {"surname": SURNAME, "date_of_birth": DATE_OF_BIRTH, **fields}
    return linkage_key_retrieve(
        actor=CLIENT,
        nhs_number=named.pop("nhs_number", NHS_NUMBER),
        ods_code=named.pop("ods_code", ODS_CODE),
        practices=practices,
        **named,
    )


def test_service_serves_a_practice_the_client_is_bound_to(
    registered_patient: RegisteredPatient,
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    information = _retrieve(PracticeBinding(ods_codes=frozenset({ODS_CODE})))

    assert information.ods_code == ODS_CODE
    assert information.linkage_key


@pytest.mark.parametrize(
    "practices",
    [
        pytest.param(PracticeBinding(ods_codes=frozenset({ODS_CODE})), id="bound-elsewhere"),
        pytest.param(PracticeBinding(), id="bound-to-none"),
        pytest.param(None, id="no-binding-given"),
    ],
)
def test_service_refuses_a_practice_the_client_is_not_bound_to_before_reading_the_register(
    other_patient: RegisteredPatient,
    practices: PracticeBinding | None,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_num_queries(1), pytest.raises(PracticeNotServedError):  # the audit only
        _retrieve(practices, nhs_number=OTHER_NHS_NUMBER, ods_code=OTHER_ODS_CODE)

    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.ods_code) == ("retrieve", "FORBIDDEN", "B23456")


def test_service_bound_to_all_practices_serves_any_of_them(
    other_patient: RegisteredPatient,
) -> None:
    information = _retrieve(
        PracticeBinding(all_practices=True), nhs_number=OTHER_NHS_NUMBER, ods_code=OTHER_ODS_CODE
    )

    assert information.ods_code == OTHER_ODS_CODE


def test_service_create_refuses_a_practice_the_client_is_not_bound_to_and_writes_no_key(
    practice: Practice,
) -> None:
    patient = RegisteredPatientFactory.create(
        practice=PracticeFactory.create(ods_code=OTHER_ODS_CODE), nhs_number=OTHER_NHS_NUMBER
    )

    with pytest.raises(PracticeNotServedError):
        linkage_key_create(
            actor=CLIENT,
            nhs_number=patient.nhs_number,
            ods_code=OTHER_ODS_CODE,
            surname=patient.surname,
            date_of_birth=patient.date_of_birth,
            practices=PracticeBinding(ods_codes=frozenset({ODS_CODE})),
        )

    assert not LinkageKey.objects.exists()
    assert AuditEvent.objects.get().outcome == "FORBIDDEN"


@pytest.mark.parametrize(
    "missing",
    [
        pytest.param({"surname": None}, id="no-surname"),
        pytest.param({"surname": " "}, id="blank-surname"),
        pytest.param({"date_of_birth": None}, id="no-date-of-birth"),
    ],
)
def test_service_refuses_an_api_client_that_does_not_name_the_patient_fully(
    registered_patient: RegisteredPatient, missing: dict[str, Any]
) -> None:
    LinkageKeyFactory.create(patient=registered_patient)

    with pytest.raises(InvalidRequestError):
        _retrieve(PracticeBinding(all_practices=True), **missing)

    assert AuditEvent.objects.get().outcome == "INVALID_REQUEST"


def test_a_patients_own_page_needs_neither_binding_nor_surname(
    registered_patient: RegisteredPatient,
) -> None:
    """The patient's pages name their own record from NHS login's signed ID token."""
    LinkageKeyFactory.create(patient=registered_patient)

    information = linkage_key_retrieve(
        actor=Actor(ActorType.PATIENT, "sub-1"), nhs_number=NHS_NUMBER, ods_code=ODS_CODE
    )

    assert information.linkage_key


# Over the API


@pytest.mark.parametrize(
    ("call", "body"),
    [
        pytest.param(
            "retrieve",
            retrieve_body(nhsNumber=OTHER_NHS_NUMBER, odsCode=OTHER_ODS_CODE),
            id="retrieve-registered-elsewhere",
        ),
        pytest.param(
            "retrieve",
            retrieve_body(nhsNumber="9990000034", odsCode=OTHER_ODS_CODE),
            id="retrieve-not-registered-elsewhere",
        ),
        pytest.param("retrieve", retrieve_body(odsCode="Z99999"), id="retrieve-no-such-practice"),
        pytest.param(
            "create",
            create_body(nhsNumber=OTHER_NHS_NUMBER, odsCode=OTHER_ODS_CODE),
            id="create-elsewhere",
        ),
    ],
)
def test_api_refuses_every_practice_the_client_is_not_bound_to_alike(
    bound_api: ApiCaller, other_patient: RegisteredPatient, call: str, body: dict[str, str]
) -> None:
    """The same answer whether the practice exists or the patient is on it: nothing about
    another practice's register is told."""
    keys_before = LinkageKey.objects.count()

    response = getattr(bound_api, call)(body)

    assert response.status_code == 403
    assert response.json() == FORBIDDEN_BODY
    assert LinkageKey.objects.count() == keys_before


def test_api_serves_the_practice_the_client_is_bound_to(bound_api: ApiCaller) -> None:
    response = bound_api.retrieve(retrieve_body())

    assert response.status_code == 200, response.content
    assert response.json()["odsCode"] == ODS_CODE


def test_api_replay_of_a_create_is_refused_once_the_practice_is_unbound(
    api_client_for: Callable[..., ApiCaller], registered_patient: RegisteredPatient
) -> None:
    api = api_client_for("linkage:create", ods_codes=(ODS_CODE,))
    token = api.token()
    first = api.create(create_body(), token=token, **{"Idempotency-Key": "once"})
    api.client.practices.clear()

    replayed = api.create(create_body(), token=token, **{"Idempotency-Key": "once"})

    assert first.status_code == 201
    assert replayed.status_code == 403
    assert replayed.json() == FORBIDDEN_BODY


# The cached client state follows every change to the binding


def _bind(client: ApiClient, other: Practice) -> None:
    client.practices.add(other)


def _bind_from_the_practice(client: ApiClient, other: Practice) -> None:
    other.api_clients.add(client)


def _bind_to_all(client: ApiClient, other: Practice) -> None:
    client.all_practices = True
    client.save()


def _bind_to_all_by_update(client: ApiClient, other: Practice) -> None:
    ApiClient.objects.filter(pk=client.pk).update(all_practices=True)


@pytest.mark.parametrize(
    "bind",
    [
        pytest.param(_bind, id="add"),
        pytest.param(_bind_from_the_practice, id="add-from-the-practice"),
        pytest.param(_bind_to_all, id="all-practices-saved"),
        pytest.param(_bind_to_all_by_update, id="all-practices-updated"),
    ],
)
def test_a_practice_bound_is_served_on_the_very_next_call(
    bound_api: ApiCaller,
    other_patient: RegisteredPatient,
    bind: Callable[[ApiClient, Practice], None],
) -> None:
    token = bound_api.token()
    body = retrieve_body(nhsNumber=OTHER_NHS_NUMBER, odsCode=OTHER_ODS_CODE)
    assert bound_api.retrieve(body, token=token).status_code == 403  # the state is now cached

    bind(ApiClient.objects.get(pk=bound_api.client.pk), other_patient.practice)

    assert bound_api.retrieve(body, token=token).status_code == 200


def _unbind(client: ApiClient, practice: Practice) -> None:
    client.practices.remove(practice)


def _unbind_from_the_practice(client: ApiClient, practice: Practice) -> None:
    practice.api_clients.remove(client)


def _clear(client: ApiClient, practice: Practice) -> None:
    client.practices.clear()


def _clear_from_the_practice(client: ApiClient, practice: Practice) -> None:
    practice.api_clients.clear()


def _recode_the_practice(client: ApiClient, practice: Practice) -> None:
    """The binding is cached by ODS code: the old code must stop working."""
    practice.ods_code = "C34567"
    practice.save()


@pytest.mark.parametrize(
    "unbind",
    [
        pytest.param(_unbind, id="remove"),
        pytest.param(_unbind_from_the_practice, id="remove-from-the-practice"),
        pytest.param(_clear, id="clear"),
        pytest.param(_clear_from_the_practice, id="clear-from-the-practice"),
        pytest.param(_recode_the_practice, id="practice-recoded"),
    ],
)
def test_a_practice_unbound_is_refused_on_the_very_next_call(
    bound_api: ApiCaller,
    practice: Practice,
    unbind: Callable[[ApiClient, Practice], None],
) -> None:
    token = bound_api.token()
    assert bound_api.retrieve(retrieve_body(), token=token).status_code == 200

    unbind(ApiClient.objects.get(pk=bound_api.client.pk), Practice.objects.get(pk=practice.pk))

    assert api_client_state_get(bound_api.client.client_id) is None
    response = bound_api.retrieve(retrieve_body(), token=token)
    assert response.status_code == 403
    assert response.json() == FORBIDDEN_BODY


def test_the_cached_state_carries_the_binding(bound_api: ApiCaller) -> None:
    token = bound_api.token()
    bound_api.retrieve(retrieve_body(), token=token)

    state = api_client_state_get(bound_api.client.client_id)

    assert state is not None
    assert state.practices == PracticeBinding(ods_codes=frozenset({ODS_CODE}))
    assert set(state.scopes) == {"linkage:read", "linkage:create"}


def test_the_client_state_is_read_in_one_query_whatever_the_binding(
    api_client_for: Callable[..., ApiCaller],
    registered_patient: RegisteredPatient,
    other_patient: RegisteredPatient,
) -> None:
    api = api_client_for("linkage:read", ods_codes=(ODS_CODE, OTHER_ODS_CODE))
    token = api.token()

    with CaptureQueriesContext(connection) as captured:
        api.retrieve(retrieve_body(), token=token)

    client_reads = [q for q in captured.captured_queries if "linkage_apiclient" in q["sql"]]
    assert len(client_reads) == 1
    state = api_client_state_get(api.client.client_id)
    assert state is not None
    assert state.practices.ods_codes == {ODS_CODE, OTHER_ODS_CODE}


def test_the_client_state_read_from_the_database_is_the_clients_own(
    api_client_for: Callable[..., ApiCaller],
    registered_patient: RegisteredPatient,
    other_patient: RegisteredPatient,
) -> None:
    """Another client, with other scopes and another practice, is registered first: none of
    its rows may become this client's."""
    api_client_for("linkage:create", name="Other", ods_codes=(OTHER_ODS_CODE,))
    api = api_client_for("linkage:read", ods_codes=(ODS_CODE,))
    token = api.token()
    assert api_client_state_get(api.client.client_id) is None  # so the call reads the database

    # Served (the patient has no key yet), neither unauthorized nor forbidden.
    assert api.retrieve(retrieve_body(), token=token).json()["errorCode"] == "LINKAGE_KEY_NOT_FOUND"

    assert api_client_state_get(api.client.client_id) == ApiClientState(
        scopes=("linkage:read",), practices=PracticeBinding(ods_codes=frozenset({ODS_CODE}))
    )


# The migration


@pytest.mark.django_db(transaction=True)
def test_migration_binds_existing_clients_to_no_practice() -> None:
    """The safe default: a client registered before bindings reaches nothing until a
    superuser binds it (docs/adr/0007)."""
    executor = MigrationExecutor(connection)
    before = [("linkage", "0002_practice_staff")]
    after = [("linkage", "0003_api_client_practices")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    old_apps.get_model("linkage", "ApiClient").objects.create(
        client_id=str(uuid.uuid4()), name="Old", public_key_pem="pem", scopes=["linkage:read"]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    new_apps = executor.loader.project_state(after).apps
    client = new_apps.get_model("linkage", "ApiClient").objects.get(name="Old")

    assert client.all_practices is False
    assert not client.practices.exists()
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
