"""The reads of a patient's user and profile on the hot paths: every signed-in request (the
user and, for a patient, their profile) and every sign-in (the profile by NHS login ``sub``,
locked, with its user).

Django's ORM spent nearly half of a bare signed-in page's CPU building and compiling the
first (a ``select_related`` of two models, about thirty columns, ordered for ``first()``),
profiled in one process (docs/adr/0031). So both are written out, once per database vendor,
from the models' own fields, and their rows made into models as the ORM would: each column
through the converters the ORM applies (on SQLite, a naive datetime made aware; on
PostgreSQL, none), the user's ``patient`` and the patient's ``user`` cached on each other as
``select_related`` caches them. ``Model.objects.raw``, which converts the values itself (the
token request's client, linkage/api_auth.py), builds one model from a row, not two from a
join, so the conversion is done here. ``accounts/tests/test_selectors.py`` compares what they
build with the ORM's own, field by field.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, Model

from accounts.models import Patient, User

_USER_FIELDS = tuple(User._meta.concrete_fields)
_PATIENT_FIELDS = tuple(Patient._meta.concrete_fields)
# Model.from_db's names for the row's columns, in the statement's order.
_USER_ATTNAMES = [field.attname for field in _USER_FIELDS]
_PATIENT_ATTNAMES = [field.attname for field in _PATIENT_FIELDS]


@cache
def _user_with_patient_sql(vendor: str, *, by_sub: bool) -> str:
    """The statement for one vendor (the key of the cache: quoting is the backend's): by the
    user's primary key, the profile if any; or by the profile's NHS login ``sub``, its row
    locked where the database can lock one (``select_for_update(of=("self",))``)."""
    quote = connection.ops.quote_name

    def columns(alias: str, fields: tuple[Field[Any, Any], ...]) -> str:
        return ", ".join(f"{alias}.{quote(field.column)}" for field in fields)

    user_pk = quote(User._meta.pk.column)
    joined = (
        f"SELECT {columns('u', _USER_FIELDS)}, {columns('p', _PATIENT_FIELDS)} "  # noqa: S608
        f"FROM {quote(User._meta.db_table)} u "
        f"{'INNER' if by_sub else 'LEFT'} JOIN {quote(Patient._meta.db_table)} p "
        f"ON p.{quote(Patient._meta.get_field('user').column)} = u.{user_pk} "
    )
    if not by_sub:
        return f"{joined}WHERE u.{user_pk} = %s"
    lock = " FOR UPDATE OF p" if connection.features.has_select_for_update_of else ""
    return f"{joined}WHERE p.{quote(Patient._meta.get_field('nhs_login_sub').column)} = %s{lock}"


def _converters_of(
    field: Field[Any, Any], model: type[Model], wrapper: BaseDatabaseWrapper
) -> tuple[list[Any], Any]:
    column = field.get_col(model._meta.db_table)
    return wrapper.ops.get_db_converters(column) + column.get_db_converters(wrapper), column


@cache
def _converted_columns(vendor: str, model: type[Model]) -> tuple[int, ...]:
    """Which columns the ORM converts on this vendor (the backend's converters, then the
    field's, as SQLCompiler.get_converters finds them): on PostgreSQL none of these."""
    fields = _USER_FIELDS if model is User else _PATIENT_FIELDS
    return tuple(
        index for index, field in enumerate(fields) if _converters_of(field, model, connection)[0]
    )


def _converted(values: list[Any], model: type[Model], wrapper: BaseDatabaseWrapper) -> list[Any]:
    fields = _USER_FIELDS if model is User else _PATIENT_FIELDS
    for index in _converted_columns(wrapper.vendor, model):
        chain, column = _converters_of(fields[index], model, wrapper)
        for converter in chain:
            values[index] = converter(values[index], column, wrapper)
    return values


def _built(row: tuple[Any, ...]) -> tuple[User, Patient | None]:
    """A row of the statement as the user and profile select_related would build, each
    cached on the other; for staff, None cached, so ``user.patient`` raises
    Patient.DoesNotExist without a query."""
    count = len(_USER_FIELDS)
    user = User.from_db(
        DEFAULT_DB_ALIAS, _USER_ATTNAMES, _converted(list(row[:count]), User, connection)
    )
    patient: Patient | None = None
    if row[count] is not None:
        patient = Patient.from_db(
            DEFAULT_DB_ALIAS, _PATIENT_ATTNAMES, _converted(list(row[count:]), Patient, connection)
        )
        Patient.user.field.set_cached_value(patient, user)
    User.patient.related.set_cached_value(user, patient)
    return user, patient


def _row(sql: str, parameter: Any) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, [parameter])
        row: tuple[Any, ...] | None = cursor.fetchone()
    return row


def active_user_with_patient(user_id: Any) -> User | None:
    """The active user with this primary key, their patient profile read with them (none for
    practice staff); None for no such user or one deactivated."""
    row = _row(_user_with_patient_sql(connection.vendor, by_sub=False), user_id)
    if row is None:
        return None
    user, _ = _built(row)
    return user if user.is_active else None


def patient_with_user_locked(nhs_login_sub: str) -> Patient | None:
    """The profile with this NHS login ``sub`` and its user, the profile's row locked until the
    transaction ends (a sign-in refreshing it: accounts/services.py); None for a new patient."""
    row = _row(_user_with_patient_sql(connection.vendor, by_sub=True), nhs_login_sub)
    if row is None:
        return None
    _, patient = _built(row)
    return patient
