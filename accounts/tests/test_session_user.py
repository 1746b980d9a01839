"""The signed-in patient served from their session while the database is unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.sessions.backends.cache import SessionStore

from accounts.models import Patient
from accounts.session_user import PATIENT_COPY, session_patient_store, session_patient_user
from accounts.tests.factories import PatientFactory
from tests.database_down import run_with_the_database_down

pytestmark = pytest.mark.django_db


def _session_of(patient: Patient) -> SessionStore:
    session = SessionStore()
    session["_auth_user_id"] = str(patient.user.pk)
    session_patient_store(session, patient.user)
    return session


def test_the_copy_rebuilds_the_patient_as_signed_in() -> None:
    patient = PatientFactory.create(given_name="Ava", family_name="Smith")

    user = session_patient_user(_session_of(patient))

    assert user is not None
    assert user.pk == patient.user.pk
    copy = user.patient
    for field in (
        "nhs_login_sub",
        "nhs_number",
        "has_nhs_number",
        "given_name",
        "family_name",
        "gp_ods_code",
    ):
        assert getattr(copy, field) == getattr(patient, field), field
    assert copy.birthdate == patient.birthdate
    assert copy.identity_verified == patient.identity_verified
    assert user.is_authenticated
    assert not user.is_staff


def test_the_copy_of_a_p5_patient_holds_no_nhs_number() -> None:
    """Scopes and claims, note 2: nothing of a P5 session holds the traced NHS number."""
    session = _session_of(PatientFactory.create(p5=True, nhs_number="9990000034"))

    assert session[PATIENT_COPY]["nhs_number"] == ""
    user = session_patient_user(session)
    assert user is not None
    assert user.patient.nhs_number == ""


def test_a_copy_from_before_the_portal_recorded_the_nhs_number_knows_nothing_of_it() -> None:
    session = _session_of(PatientFactory.create(p5=True))
    del session[PATIENT_COPY]["has_nhs_number"]

    user = session_patient_user(session)

    assert user is not None
    assert user.patient.has_nhs_number is None


def test_an_older_p5_copy_with_an_nhs_number_does_not_bring_it_back() -> None:
    session = _session_of(PatientFactory.create(p5=True))
    session[PATIENT_COPY] = {**session[PATIENT_COPY], "nhs_number": "9990000034"}

    user = session_patient_user(session)

    assert user is not None
    assert user.patient.nhs_number == ""


def test_no_copy_no_user() -> None:
    session = SessionStore()
    session["_auth_user_id"] = "1"

    assert session_patient_user(session) is None


def test_a_copy_for_another_user_than_the_session_names_is_ignored() -> None:
    session = _session_of(PatientFactory.create())
    session["_auth_user_id"] = str(PatientFactory.create().user.pk)

    assert session_patient_user(session) is None


# In a process whose PostgreSQL refuses connections, with sessions in a cache as in production.
OUTAGE_SCRIPT = """
import django, json
django.setup()
from django.conf import settings
settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
from django.contrib.sessions.backends.cache import SessionStore
from django.test import Client
from accounts.session_user import PATIENT_COPY
copy = {
    "user_id": "41", "nhs_login_sub": "sub-41", "nhs_number": "9990000018",
    "given_name": "Ava", "family_name": "Smith", "gp_ods_code": "A12345",
    "identity_proofing_level": "P9", "vot": "P9.Cp.Cd", "birthdate": "1985-03-05",
}
results = {}
for name, stored in (("with-copy", copy), ("without-copy", None)):
    session = SessionStore()
    session.update({
        "_auth_user_id": "41",
        "_auth_user_backend": "accounts.backends.NhsLoginBackend",
        "_auth_user_hash": "",
    })
    if stored:
        session[PATIENT_COPY] = stored
    session.save()
    client = Client(raise_request_exception=False)
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    for path in ("/home/", "/home/linkage-details/"):
        response = client.get(path)
        results[f"{name} {path}"] = [response.status_code, response.content.decode()[:30000]]
print(json.dumps(results))
"""


def test_with_the_database_down_the_home_page_is_served_from_the_session(
    tmp_path: Path,
) -> None:
    results, log = run_with_the_database_down(OUTAGE_SCRIPT, tmp_path)

    status, html = results["with-copy /home/"]
    assert status == 200, html
    assert "999 000 0018" in html
    assert "Ava Smith" in html
    assert "the signed-in patient comes from their session" in log
    # A page that needs the database still says so, with 503.
    status, html = results["with-copy /home/linkage-details/"]
    assert status == 503
    assert "Sorry, the service is unavailable" in html
    # A session without the copy (staff, or signed in before this release): 503 as before.
    assert results["without-copy /home/"][0] == 503
