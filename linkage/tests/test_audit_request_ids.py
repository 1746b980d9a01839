"""Every audit row carries the id of the request that wrote it, the id its log lines and its
X-Request-ID answer carry, from the patient's pages and the admin as from the API: a row can
always be traced to its log lines (core/request_id.py)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client

from accounts.tests.factories import PatientFactory
from linkage.models import AuditEvent, Practice
from linkage.tests.factories import LinkageKeyFactory, RegisteredPatientFactory

pytestmark = pytest.mark.django_db


def test_a_patient_page_s_audit_row_carries_its_request_id(this_practice: Practice) -> None:
    registered = RegisteredPatientFactory.create(
        practice=this_practice, nhs_number="9990000018", date_of_birth=datetime.date(1985, 3, 5)
    )
    LinkageKeyFactory.create(patient=registered)
    patient = PatientFactory.create(
        nhs_number="9990000018",
        family_name=registered.surname,
        birthdate=registered.date_of_birth,
        gp_ods_code=this_practice.ods_code,
    )
    client = Client()
    client.force_login(patient.user, backend="accounts.backends.NhsLoginBackend")

    given = client.get("/home/linkage-details/", headers={"X-Request-ID": "trace-page-1"})
    made = client.get("/home/linkage-details/")

    rows = list(AuditEvent.objects.order_by("pk").values_list("action", "request_id"))
    assert rows == [("view", "trace-page-1"), ("view", made["X-Request-ID"])]
    assert given["X-Request-ID"] == "trace-page-1"


def test_an_admin_action_s_audit_row_carries_its_request_id(
    staff_client: Client, this_practice: Practice
) -> None:
    key = LinkageKeyFactory.create(patient=RegisteredPatientFactory.create(practice=this_practice))

    response = staff_client.post(f"/admin/linkage/linkagekey/{key.pk}/show-key/")

    row = AuditEvent.objects.get(action="show_key")
    assert row.request_id == response["X-Request-ID"]
    assert row.request_id
