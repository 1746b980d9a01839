"""patient_sign_in: one account per NHS login sub, refreshed from the claims at each sign-in."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import pytest
from django.contrib.auth import login
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Patient, User
from accounts.services import patient_profile_from_claims, patient_sign_in

SUB = "5d2c4f7e-1b3a-4c8e-9f60-0a1b2c3d4e01"


def id_token(**claims: Any) -> dict[str, Any]:
    return {"sub": SUB, "vot": "P9.Cp.Cd", **claims}


def userinfo(**claims: Any) -> dict[str, Any]:
    base = {
        "sub": SUB,
        "nhs_number": "9990000018",
        "family_name": "Thompson",
        "birthdate": "1985-03-05",
        "email": "ava.thompson@example.org",
        "phone_number": "+447700900001",
        "gp_registration_details": {"gp_ods_code": "A12345"},
        "identity_proofing_level": "P9",
    }
    base.update(claims)
    return {name: value for name, value in base.items() if value is not None}


@pytest.mark.django_db
def test_first_sign_in_creates_a_patient_keyed_on_sub() -> None:
    user = patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())

    patient = Patient.objects.get()
    assert patient.user == user
    assert patient.nhs_login_sub == SUB
    assert patient.nhs_number == "9990000018"
    assert patient.birthdate == datetime.date(1985, 3, 5)
    assert patient.gp_ods_code == "A12345"
    assert patient.identity_proofing_level == "P9"
    assert not user.has_usable_password()


@pytest.mark.django_db
def test_next_sign_in_refreshes_the_profile_and_clears_what_was_not_shared() -> None:
    patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())

    patient_sign_in(
        id_token_claims=id_token(vot="P5.Cp.Cd"),
        userinfo=userinfo(family_name="Thompson-Okafor", gp_registration_details=None),
    )

    patient = Patient.objects.get()
    assert patient.family_name == "Thompson-Okafor"
    assert patient.gp_ods_code == ""
    assert patient.identity_proofing_level == "P5"
    assert patient.vot == "P5.Cp.Cd"


def test_level_comes_from_the_signed_vot_not_the_userinfo_claim() -> None:
    profile = patient_profile_from_claims(
        id_token_claims=id_token(vot="P5.Cp.Cd"), userinfo=userinfo(identity_proofing_level="P9")
    )

    assert profile["identity_proofing_level"] == "P5"


@pytest.mark.parametrize(
    ("claims", "field", "stored"),
    [
        pytest.param({"nhs_number": "12345"}, "nhs_number", "", id="short-nhs-number"),
        pytest.param({"nhs_number": 9990000018}, "nhs_number", "", id="nhs-number-not-a-string"),
        pytest.param({"birthdate": "1985-02-30"}, "birthdate", None, id="impossible-date"),
        pytest.param(
            {"gp_registration_details": "A12345"}, "gp_ods_code", "", id="gp-details-not-object"
        ),
        pytest.param(
            {"gp_registration_details": {"gp_ods_code": "a1<script>"}},
            "gp_ods_code",
            "",
            id="ods-code-malformed",
        ),
    ],
)
def test_malformed_claims_are_not_stored(
    claims: dict[str, Any], field: str, stored: object
) -> None:
    profile = patient_profile_from_claims(id_token_claims=id_token(), userinfo=userinfo(**claims))

    assert profile[field] == stored


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_concurrent_sign_ins_of_one_patient_create_one_account() -> None:
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def sign_in() -> None:
        try:
            barrier.wait()
            patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign_in) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Patient.objects.count() == 1


@pytest.mark.django_db
def test_a_sign_in_below_p9_keeps_no_nhs_number_and_clears_one_kept_before() -> None:
    """Scopes and claims, note 2: the traced NHS number is not given to a patient below P9."""
    patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())
    assert Patient.objects.get().nhs_number == "9990000018"

    patient_sign_in(
        id_token_claims=id_token(vot="P5.Cp.Cd"), userinfo=userinfo(identity_proofing_level="P5")
    )

    assert Patient.objects.get().nhs_number == ""


@pytest.mark.parametrize("vot", ["P5.Cp.Cd", "P5.Cm", "P0.Cp.Cd"])
def test_no_nhs_number_in_the_profile_below_p9(vot: str) -> None:
    profile = patient_profile_from_claims(
        id_token_claims=id_token(vot=vot, nhs_number="9990000018"), userinfo=userinfo()
    )

    assert profile["nhs_number"] == ""


@pytest.mark.parametrize(
    ("vot", "claims", "kept", "has"),
    [
        pytest.param("P9.Cp.Cd", {}, "9990000018", True, id="p9"),
        pytest.param("P5.Cp.Cd", {}, "", True, id="p5-keeps-only-that-there-is-one"),
        pytest.param("P5.Cp.Cd", {"nhs_number": None}, "", False, id="p5-none-given"),
        pytest.param("P9.Cp.Cd", {"nhs_number": "99900000"}, "", False, id="not-10-digits"),
    ],
)
def test_whether_nhs_login_gave_an_nhs_number_is_kept_at_every_level(
    vot: str, claims: dict[str, Any], kept: str, has: bool
) -> None:
    """accounts/online_services.py tells a P5 patient without one before the step-up; the
    number itself is still kept from P9 only ("Scopes and claims", note 2)."""
    profile = patient_profile_from_claims(
        id_token_claims=id_token(vot=vot), userinfo=userinfo(**claims)
    )

    assert (profile["nhs_number"], profile["has_nhs_number"]) == (kept, has)


@pytest.mark.django_db
def test_a_returning_patient_s_sign_in_reads_the_patient_and_their_user_in_one_query() -> None:
    """The patient's row (locked) and their user come in one SELECT, then one UPDATE: a sign-in
    is on every patient's way in."""
    first = patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())

    with CaptureQueriesContext(connection) as queries:
        again = patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert again == first
    assert statements.count("SELECT") == 1
    assert statements.count("UPDATE") == 1
    select = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT"))
    assert '"accounts_user"' in select


@pytest.mark.django_db
def test_a_patient_s_sign_in_is_recorded_on_their_profile_not_again_as_last_login() -> None:
    """Django's last_login is an UPDATE on every sign-in; a patient's is their profile's."""
    user = patient_sign_in(id_token_claims=id_token(), userinfo=userinfo())
    request = RequestFactory().get("/")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)

    with CaptureQueriesContext(connection) as queries:
        login(request, user, backend="accounts.backends.NhsLoginBackend")

    user.refresh_from_db()
    assert user.last_login is None
    assert Patient.objects.get().last_signed_in_at is not None
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


@pytest.mark.django_db
def test_a_staff_member_s_sign_in_is_recorded_as_last_login() -> None:
    staff = User.objects.create_user(username="reception", is_staff=True)
    request = RequestFactory().get("/")
    SessionMiddleware(lambda request: HttpResponse()).process_request(request)

    login(request, staff, backend="django.contrib.auth.backends.ModelBackend")

    staff.refresh_from_db()
    assert staff.last_login is not None
