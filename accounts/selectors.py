"""The read on every signed-in request: the user and, for a patient, their profile.

Django's ORM spent nearly half of a bare signed-in page's CPU building and compiling this
one query (a ``select_related`` of two models, about thirty columns, ordered for ``first()``),
profiled in one process (docs/adr/0031). So it is written out, once per database vendor, and its rows made into models as the ORM would: each column through the converters
the ORM applies (on SQLite, a naive datetime made aware; on PostgreSQL, none), the user's
``patient`` and the patient's ``user`` cached on each other as ``select_related`` caches them.
``accounts/tests/test_selectors.py`` compares what it builds with the ORM's own, field by field.
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


@cache
def _user_with_patient_sql(vendor: str) -> str:
    """The statement for one vendor (the key of the cache: quoting is the backend's)."""
    quote = connection.ops.quote_name

    def columns(alias: str, fields: tuple[Field[Any, Any], ...]) -> str:
        return ", ".join(f"{alias}.{quote(field.column)}" for field in fields)

    user_pk = quote(User._meta.pk.column)
    return (
        f"SELECT {columns('u', _USER_FIELDS)}, {columns('p', _PATIENT_FIELDS)} "  # noqa: S608
        f"FROM {quote(User._meta.db_table)} u "
        f"LEFT JOIN {quote(Patient._meta.db_table)} p "
        f"ON p.{quote(Patient._meta.get_field('user').column)} = u.{user_pk} "
        f"WHERE u.{user_pk} = %s"
    )


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


def active_user_with_patient(user_id: Any) -> User | None:
    """The active user with this primary key, their patient profile read with them (none for
    practice staff); None for no such user or one deactivated."""
    sql = _user_with_patient_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    count = len(_USER_FIELDS)
    user = User.from_db(
        DEFAULT_DB_ALIAS,
        [field.attname for field in _USER_FIELDS],
        _converted(list(row[:count]), User, connection),
    )
    if not user.is_active:
        return None
    patient: Patient | None = None
    if row[count] is not None:
        patient = Patient.from_db(
            DEFAULT_DB_ALIAS,
            [field.attname for field in _PATIENT_FIELDS],
            _converted(list(row[count:]), Patient, connection),
        )
        Patient.user.field.set_cached_value(patient, user)
    # As select_related leaves it: None cached for staff, so ``user.patient`` raises
    # Patient.DoesNotExist without a query.
    User.patient.related.set_cached_value(user, patient)
    return user
