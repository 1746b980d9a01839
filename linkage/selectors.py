"""Reads, kept apart from the audited writes of linkage/services.py: whose data a staff member
may reach, the one read of the register behind every retrieve and create, and the audit
trail with the names of the people in it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from accounts.gp_practices import GpPractice
from accounts.models import Patient, User
from linkage.audit import ActorType
from linkage.errors import PatientNotFoundError, PracticeNotFoundError, PracticeNotLiveError
from linkage.models import (
    ApiClient,
    AuditEvent,
    LinkageKey,
    LinkageKeyStatus,
    Practice,
    RegisteredPatient,
)


def practices_of(user: User | AnonymousUser) -> QuerySet[Practice]:
    """The practices a staff member works for; every practice for a superuser; none for
    anyone else, signed in or not."""
    if not user.is_authenticated or not user.is_active or not user.is_staff:
        return Practice.objects.none()
    if user.is_superuser:
        return Practice.objects.all()
    return Practice.objects.filter(staff__user=user)


def ods_codes_of(user: User | AnonymousUser) -> list[str]:
    return list(practices_of(user).values_list("ods_code", flat=True))


def _name_of(people: QuerySet[Any], first: str, last: str) -> Subquery:
    full = Concat(first, Value(" "), last, output_field=CharField())
    return Subquery(people.annotate(full_name=full).values("full_name")[:1])


def audit_events_named(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """Each event with ``actor_name``, the name of who acted (a member of staff by username,
    an API client by client id, a patient by NHS login identifier), and ``patient_name``, the
    name of the patient it is about on their practice's register (by ODS code and NHS
    number); empty where there is none. Read in the list's own query, as subqueries on
    unique keys, so a page of a hundred events costs the queries of one
    (linkage/staff_presenters.py words them)."""
    actor = OuterRef("actor")
    by_type = {
        ActorType.STAFF: _name_of(User.objects.filter(username=actor), "first_name", "last_name"),
        ActorType.API_CLIENT: Subquery(
            ApiClient.objects.filter(client_id=actor).values("name")[:1]
        ),
        ActorType.PATIENT: _name_of(
            Patient.objects.filter(nhs_login_sub=actor), "given_name", "family_name"
        ),
    }
    registered = RegisteredPatient.objects.filter(
        practice__ods_code=OuterRef("ods_code"), nhs_number=OuterRef("nhs_number")
    )
    return events.annotate(
        actor_name=Coalesce(
            Case(
                *(When(actor_type=kind, then=name) for kind, name in by_type.items()),
                output_field=CharField(),
            ),
            Value(""),
        ),
        patient_name=Coalesce(_name_of(registered, "given_name", "surname"), Value("")),
    )


# Read on every patient page and at every sign-in: written out, as the ORM's building of even
# this one-table query cost more than running it (docs/adr/0031).
_GP_PRACTICE_SQL = (
    f"SELECT ods_code, name, online_services_live FROM {Practice._meta.db_table} "  # noqa: S608
    "WHERE ods_code = %s"
)


def gp_practice_for_ods_code(ods_code: str) -> GpPractice | None:
    """The practice a patient's GP practice code names, for their own pages: registered with
    accounts as its look-up (accounts/gp_practices.py), as accounts cannot import linkage."""
    with connection.cursor() as cursor:
        cursor.execute(_GP_PRACTICE_SQL, [ods_code])
        found = cursor.fetchone()
    if found is None:
        return None
    code, name, live = found
    return GpPractice(ods_code=code, name=name, online_services_live=bool(live))


@dataclass(frozen=True)
class Registration:
    """A registered patient with what retrieve and create need to know of their keys: the
    active key, if any, and the status and Account ID of the latest key, whatever its status
    (a new key after a revocation keeps the Account ID)."""

    patient: RegisteredPatient
    active_account_id: str | None
    active_encrypted_key: str | None
    latest_status: str | None
    latest_account_id: str | None


# The patient's own columns, in the order of the model's fields (Model.from_db's order).
_PATIENT_FIELDS = RegisteredPatient._meta.concrete_fields
_PATIENT_COLUMNS = ", ".join(f"patient.{field.column}" for field in _PATIENT_FIELDS)
_PATIENT_ATTNAMES = [field.attname for field in _PATIENT_FIELDS]

# The one read behind retrieve and create. The ORM took 1.3 ms of Python to build and compile
# this query, against 0.4 ms to run it (docs/adr/0008), so it is written out, and read with a
# plain cursor rather than a RawQuerySet, whose column mapping cost as much again; every path
# through it (no practice, not live, no patient, active, revoked, none) is tested over the API.
# It starts from the practice, so that "no such patient" is answered by the same single query
# as "details differ": the two take the same work and cannot be told apart by timing
# (docs/security.md). A practice without that patient gives one row of nulls for the patient.
_REGISTRATION_SQL = f"""
SELECT {_PATIENT_COLUMNS},
       practice.id, practice.ods_code, practice.online_services_live,
       active.account_id, active.encrypted_key,
       (SELECT latest.status FROM linkage_linkagekey latest
         WHERE latest.patient_id = patient.id
         ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1),
       (SELECT latest.account_id FROM linkage_linkagekey latest
         WHERE latest.patient_id = patient.id
         ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1)
  FROM linkage_practice practice
  LEFT JOIN linkage_registeredpatient patient
         ON patient.practice_id = practice.id AND patient.nhs_number = %s
  LEFT JOIN linkage_linkagekey active
         ON active.patient_id = patient.id AND active.status = %s
 WHERE practice.ods_code = %s
"""  # noqa: S608 (the columns are the model's own, fixed at import)


def registration_with_keys(*, ods_code: str, nhs_number: str) -> Registration:
    """The practice, the patient and their keys in one query whatever the answer: the API's
    hot path. The contract's error when there is no live practice or no such patient."""
    with connection.cursor() as cursor:
        cursor.execute(_REGISTRATION_SQL, [nhs_number, LinkageKeyStatus.ACTIVE.value, ods_code])
        row = cursor.fetchone()
    if row is None:
        raise PracticeNotFoundError
    count = len(_PATIENT_ATTNAMES)
    practice_pk, practice_ods_code, live, active_account_id, active_key, status, account_id = row[
        count:
    ]
    if not live:
        raise PracticeNotLiveError
    if row[0] is None:
        raise PatientNotFoundError
    patient = RegisteredPatient.from_db(DEFAULT_DB_ALIAS, _PATIENT_ATTNAMES, row[:count])
    patient.practice = Practice.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "ods_code", "online_services_live"],
        (practice_pk, practice_ods_code, True),
    )
    return Registration(
        patient=patient,
        active_account_id=active_account_id,
        active_encrypted_key=active_key,
        latest_status=status,
        latest_account_id=account_id,
    )


def practice_name_of(ods_code: str) -> str:
    """The practice's name, shown beside its code so the patient knows the code is theirs;
    empty for a code not on this system."""
    return Practice.objects.filter(ods_code=ods_code).values_list("name", flat=True).first() or ""


def linkage_key_cancelled_by_patient_on(*, nhs_number: str, ods_code: str) -> date | None:
    """The day the patient cancelled their latest key themselves (linkage/patient_cancel.py),
    or None when their latest key is active, missing or was revoked by anyone else. Their page
    then offers a new key at once; a key their practice cancelled is the practice's to
    replace."""
    latest = (
        LinkageKey.objects.filter(patient__nhs_number=nhs_number, practice__ods_code=ods_code)
        .order_by("-created_at", "-pk")
        .values("status", "revoked_by", "revoked_at")
        .first()
    )
    if latest is None or latest["status"] != LinkageKeyStatus.REVOKED:
        return None
    if not latest["revoked_by"].startswith(f"{ActorType.PATIENT}:") or not latest["revoked_at"]:
        return None
    return timezone.localdate(latest["revoked_at"])
