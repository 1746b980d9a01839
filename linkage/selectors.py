"""Reads, kept apart from the audited writes of linkage/services.py: whose data a staff member
may reach, the one read of the register behind every retrieve and create, and the audit
trail with the names of the people in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce, Concat

from accounts.gp_practices import GpPractice
from accounts.models import Patient, User
from linkage.audit import ActorType
from linkage.errors import PatientNotFoundError, PracticeNotFoundError, PracticeNotLiveError
from linkage.models import ApiClient, AuditEvent, LinkageKeyStatus, Practice, RegisteredPatient


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


def gp_practice_for_ods_code(ods_code: str) -> GpPractice | None:
    """The practice a patient's GP practice code names, for their own pages: registered with
    accounts as its look-up (accounts/gp_practices.py), as accounts cannot import linkage."""
    found = (
        Practice.objects.filter(ods_code=ods_code)
        .values_list("ods_code", "name", "online_services_live")
        .first()
    )
    if found is None:
        return None
    code, name, live = found
    return GpPractice(ods_code=code, name=name, online_services_live=live)


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


# The one read behind retrieve and create. The ORM took 1.3 ms of Python to build and compile
# this query, against 0.4 ms to run it (docs/adr/0008), so it is written out; every path
# through it (no practice, not live, no patient, active, revoked, none) is tested over the API.
# It starts from the practice, so that "no such patient" is answered by the same single query
# as "details differ": the two take the same work and cannot be told apart by timing
# (docs/security.md). A practice without that patient gives one row of nulls for the patient.
_REGISTRATION_SQL = """
SELECT patient.*,
       practice.id AS practice_pk,
       practice.ods_code AS practice_ods_code,
       practice.online_services_live AS practice_online_services_live,
       active.account_id AS active_account_id,
       active.encrypted_key AS active_encrypted_key,
       (SELECT latest.status FROM linkage_linkagekey latest
         WHERE latest.patient_id = patient.id
         ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1) AS latest_status,
       (SELECT latest.account_id FROM linkage_linkagekey latest
         WHERE latest.patient_id = patient.id
         ORDER BY latest.created_at DESC, latest.id DESC LIMIT 1) AS latest_account_id
  FROM linkage_practice practice
  LEFT JOIN linkage_registeredpatient patient
         ON patient.practice_id = practice.id AND patient.nhs_number = %s
  LEFT JOIN linkage_linkagekey active
         ON active.patient_id = patient.id AND active.status = %s
 WHERE practice.ods_code = %s
"""


def registration_with_keys(*, ods_code: str, nhs_number: str) -> Registration:
    """The practice, the patient and their keys in one query whatever the answer: the API's
    hot path. The contract's error when there is no live practice or no such patient."""
    rows = list(
        RegisteredPatient.objects.raw(
            _REGISTRATION_SQL, [nhs_number, LinkageKeyStatus.ACTIVE.value, ods_code]
        )
    )
    if not rows:
        raise PracticeNotFoundError
    patient = rows[0]
    read = vars(patient)  # the columns beyond the patient's own fields
    if not read["practice_online_services_live"]:
        raise PracticeNotLiveError
    if patient.pk is None:
        raise PatientNotFoundError
    patient.practice = Practice.from_db(
        DEFAULT_DB_ALIAS,
        ["id", "ods_code", "online_services_live"],
        (read["practice_pk"], read["practice_ods_code"], True),
    )
    return Registration(
        patient=patient,
        active_account_id=read["active_account_id"],
        active_encrypted_key=read["active_encrypted_key"],
        latest_status=read["latest_status"],
        latest_account_id=read["latest_account_id"],
    )
