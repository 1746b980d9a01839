"""The signed-in request's user read, written out (accounts/selectors.py): it must build
exactly what the ORM's ``select_related("patient")`` builds, on whichever database runs the
tests (PostgreSQL in CI, SQLite by default), in one query."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Patient, User
from accounts.selectors import active_user_with_patient, patient_with_user_locked
from accounts.tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def _values(instance: Any) -> dict[str, Any]:
    return {
        field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields
    }


def test_a_patient_and_their_profile_are_the_orm_s_own_in_one_query() -> None:
    patient = PatientFactory.create(email="ava@example.org", phone_number="+447700900123")
    User.objects.filter(pk=patient.user.pk).update(last_login=timezone.now() - timedelta(days=1))
    expected = User.objects.select_related("patient").get(pk=patient.user.pk)

    with CaptureQueriesContext(connection) as queries:
        user = active_user_with_patient(patient.user.pk)
        assert user is not None
        read = user.patient
        assert read.user is user  # each cached on the other, as select_related leaves them

    assert len(queries.captured_queries) == 1
    assert _values(user) == _values(expected)
    assert _values(read) == _values(expected.patient)
    assert user.date_joined.tzinfo is not None
    assert user.last_login is not None
    assert user.last_login.tzinfo is not None
    assert read.last_signed_in_at.tzinfo is not None
    assert not user._state.adding
    assert user._state.db == "default"
    assert read.pk == patient.pk


def test_a_member_of_staff_has_no_profile_and_asking_costs_no_query() -> None:
    staff = UserFactory.create(is_staff=True, first_name="Sam", last_name="Jones")

    user = active_user_with_patient(staff.pk)
    assert user is not None
    with CaptureQueriesContext(connection) as queries:
        assert not hasattr(user, "patient")
        with pytest.raises(Patient.DoesNotExist):
            _ = user.patient

    assert queries.captured_queries == []
    assert _values(user) == _values(User.objects.get(pk=staff.pk))


def test_no_user_for_a_deactivated_account_or_an_unknown_one() -> None:
    patient = PatientFactory.create()
    User.objects.filter(pk=patient.user.pk).update(is_active=False)

    assert active_user_with_patient(patient.user.pk) is None
    assert active_user_with_patient(patient.user.pk + 1000) is None


def test_a_user_read_this_way_saves_as_one_read_by_the_orm() -> None:
    """A page that changes the user or the profile saves an UPDATE of the same row."""
    patient = PatientFactory.create()
    user = active_user_with_patient(patient.user.pk)
    assert user is not None

    user.patient.given_name = "Bea"
    user.patient.save(update_fields=["given_name"])
    user.first_name = "Bea"
    user.save(update_fields=["first_name"])

    assert Patient.objects.get(pk=patient.pk).given_name == "Bea"
    assert User.objects.get(pk=patient.user.pk).first_name == "Bea"
    assert Patient.objects.count() == 1


def test_a_profile_by_its_sub_comes_with_its_user_as_the_orm_s_own() -> None:
    patient = PatientFactory.create()
    expected = Patient.objects.select_related("user").get(pk=patient.pk)

    with CaptureQueriesContext(connection) as queries:
        read = patient_with_user_locked(patient.nhs_login_sub)
        assert read is not None
        assert read.user.patient is read

    assert len(queries.captured_queries) == 1
    assert _values(read) == _values(expected)
    assert _values(read.user) == _values(expected.user)
    assert patient_with_user_locked("no-such-sub") is None


def _locked_elsewhere(table: str, pk: int) -> bool:
    """Whether another connection finds this row locked (NOWAIT: no waiting for it)."""
    from django.db import connections
    from django.db.utils import OperationalError

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            try:
                cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])  # noqa: S608
            except OperationalError:
                return True
            finally:
                cursor.execute("ROLLBACK")
        return False
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_the_profile_s_row_is_locked_and_the_user_s_is_not() -> None:
    """As select_for_update(of=("self",)): two sign-ins of one patient take turns on the
    profile, and nothing else waits on the user's row."""
    from django.db import transaction

    patient = PatientFactory.create()
    with transaction.atomic():
        assert patient_with_user_locked(patient.nhs_login_sub) is not None
        profile_locked = _locked_elsewhere(Patient._meta.db_table, patient.pk)
        user_locked = _locked_elsewhere(User._meta.db_table, patient.user.pk)

    assert profile_locked is True
    assert user_locked is False
    assert _locked_elsewhere(Patient._meta.db_table, patient.pk) is False  # released at the end
