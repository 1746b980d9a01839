"""local_setup's demo data: a practice whose synthetic patients match the simulator's users,
their linkage keys, and a linkage API client whose key waits in the data directory."""

from __future__ import annotations

import io
import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.management import call_command
from django.test import Client as HttpClient
from django.test.utils import override_settings

from accounts.models import User
from core.client_assertion import JWT_BEARER
from core.client_assertion_signing import client_assertion_sign
from core.nhs_identifiers import nhs_number_is_valid
from core.rsa_keys import public_key_pem
from demo.practice import DEMO_ODS_CODE
from demo.practice import DEMO_PATIENTS as DEMO_REGISTER
from linkage.audit import Actor, ActorType
from linkage.models import (
    ApiClient,
    AuditEvent,
    LinkageKey,
    Practice,
    PracticeStaff,
    RegisteredPatient,
    RegistrationStatus,
)
from linkage.services import linkage_key_retrieve
from nhs_login_simulator.keys import linkage_client_private_key
from nhs_login_simulator.pds import pds_record
from nhs_login_simulator.users import file_users
from tests.security.secrets_in_logs import secret_register

DEMO_API_CLIENT_ID = "demo-api-client"
SIMULATOR_CLIENT_ID = "nhs-login-simulator"
# What the simulator's users and the README rely on.
DEMO_PATIENTS = {
    "9990000018": ("Thompson", RegistrationStatus.REGISTERED, False),
    "9990000034": ("Evans", RegistrationStatus.REGISTERED, False),
    "9990000042": ("Murphy", RegistrationStatus.REGISTERED, False),
    "9990000050": ("Lee", RegistrationStatus.ENDED, True),
    "9990000069": ("Patel", RegistrationStatus.ENDED, False),
    "9990000077": ("Nowak", RegistrationStatus.REGISTERED, False),
    "9990000107": ("Jones", RegistrationStatus.REGISTERED, False),
}
# On the register with no NHS login yet, for staff to provision one (docs/provisioning.md).
TO_PROVISION = "9990000107"


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A laptop's settings, with the data directory and NHS login key under this test's."""
    with override_settings(
        LOCAL_SETUP_ALLOWED=True,
        DEBUG=True,
        DATA_DIR=tmp_path,
        NHS_LOGIN_PRIVATE_KEY_PATH=str(tmp_path / "nhs_login" / "private_key.pem"),
    ):
        yield tmp_path


def local_setup() -> str:
    out = io.StringIO()
    call_command("local_setup", stdout=out)
    return out.getvalue()


def demo_client_key_path(data_dir: Path) -> Path:
    demo_client = json.loads((data_dir / "linkage_api" / "demo_client.json").read_text())
    assert demo_client["client_id"] == DEMO_API_CLIENT_ID
    return Path(demo_client["private_key"])


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Practice, RegisteredPatient, LinkageKey, ApiClient, AuditEvent)
    }


@pytest.mark.django_db
def test_local_setup_creates_the_demo_practice_with_its_patients(data_dir: Path) -> None:
    local_setup()

    practice = Practice.objects.get(ods_code=DEMO_ODS_CODE)
    assert practice.online_services_live is True
    patients = {
        patient.nhs_number: (patient.surname, patient.registration_status, patient.deceased)
        for patient in practice.patients.all()
    }
    assert patients == DEMO_PATIENTS


def test_the_simulators_users_on_the_demo_register_are_registered_at_the_demo_practice() -> None:
    """What lets a newcomer sign in as a simulator user and find their linkage details: the
    simulator's users (nhs_login_simulator/test_users.json) and the demo register agree."""
    register = {row[0]: (row[1], row[2], row[3].isoformat()) for row in DEMO_REGISTER}
    on_the_register = [user for user in file_users() if user.claims.get("nhs_number") in register]

    assert {user.claims["nhs_number"] for user in on_the_register} == set(DEMO_PATIENTS) - {
        TO_PROVISION
    }
    for user in on_the_register:
        claims = user.claims
        assert claims["gp_registration_details"]["gp_ods_code"] == DEMO_ODS_CODE, user.id
        assert (claims["family_name"], claims["given_name"], claims["birthdate"]) == register[
            claims["nhs_number"]
        ], user.id


@pytest.mark.django_db
def test_local_setup_demo_patients_have_synthetic_nhs_numbers(data_dir: Path) -> None:
    local_setup()

    nhs_numbers = list(RegisteredPatient.objects.values_list("nhs_number", flat=True))
    assert nhs_numbers
    assert all(nhs_number.startswith("999") for nhs_number in nhs_numbers)
    assert all(nhs_number_is_valid(nhs_number) for nhs_number in nhs_numbers)


@pytest.mark.django_db
def test_local_setup_loads_the_demo_linkage_key_of_the_simulators_p9_user(data_dir: Path) -> None:
    local_setup()

    information = linkage_key_retrieve(
        actor=Actor(ActorType.SYSTEM, "test"), nhs_number="9990000018", ods_code=DEMO_ODS_CODE
    )

    assert (information.account_id, information.linkage_key, information.ods_code) == (
        "5100000001",
        "Xw7kQ2mR9tLpZ",
        DEMO_ODS_CODE,
    )


@pytest.mark.django_db
def test_local_setup_registers_the_demo_api_client_with_both_scopes(data_dir: Path) -> None:
    local_setup()

    client = ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID)
    assert client.scopes == ["linkage:create", "linkage:read"]
    assert client.enabled is True
    assert client.jwks_url == ""
    assert "PRIVATE" not in client.public_key_pem


@pytest.mark.django_db
def test_local_setup_binds_the_demo_api_client_to_the_demo_practice_only(data_dir: Path) -> None:
    local_setup()

    client = ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID)
    assert client.all_practices is False
    assert list(client.practices.values_list("ods_code", flat=True)) == [DEMO_ODS_CODE]


@pytest.mark.django_db
def test_local_setup_binds_a_demo_api_client_registered_before_bindings(data_dir: Path) -> None:
    """A laptop set up before clients were bound: its migrated client serves no practice."""
    local_setup()
    ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID).practices.clear()

    local_setup()

    client = ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID)
    assert list(client.practices.values_list("ods_code", flat=True)) == [DEMO_ODS_CODE]


@pytest.mark.django_db
def test_local_setup_writes_the_demo_client_key_readable_only_by_its_owner(
    data_dir: Path,
) -> None:
    local_setup()

    key_path = demo_client_key_path(data_dir)
    assert key_path.parent == data_dir / "linkage_api"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID).public_key_pem == public_key_pem(
        private_key.public_key()
    )


@pytest.mark.django_db
def test_local_setup_demo_client_key_gets_a_token(data_dir: Path) -> None:
    local_setup()
    assertion = io.StringIO()
    call_command(
        "api_client_assertion",
        "--client-id",
        DEMO_API_CLIENT_ID,
        "--private-key",
        str(demo_client_key_path(data_dir)),
        stdout=assertion,
    )

    response = HttpClient().post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion.getvalue().strip(),
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "linkage:create linkage:read"


@pytest.mark.django_db
def test_local_setup_registers_a_demo_im1_partner_that_pairs_with_a_demo_patient(
    data_dir: Path,
) -> None:
    local_setup()
    partner = json.loads((data_dir / "linkage_api" / "demo_im1_partner.json").read_text())
    assertion = io.StringIO()
    call_command(
        "api_client_assertion",
        "--client-id",
        partner["client_id"],
        "--private-key",
        partner["private_key"],
        stdout=assertion,
    )
    http = HttpClient()
    token = http.post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion.getvalue().strip(),
        },
    ).json()
    secret_register(token["access_token"])

    paired = http.post(
        "/api/im1/v1/pairings",
        {
            "accountId": "5100000001",
            "linkageKey": "Xw7kQ2mR9tLpZ",
            "odsCode": DEMO_ODS_CODE,
            "surname": "Thompson",
            "dateOfBirth": "1985-03-05",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )

    assert token["scope"] == "im1:pair"
    client = ApiClient.objects.get(client_id=partner["client_id"])
    assert list(client.practices.values_list("ods_code", flat=True)) == [DEMO_ODS_CODE]
    assert paired.status_code == 201, paired.content
    secret_register(paired.json()["connectionToken"])


@pytest.mark.django_db
def test_local_setup_registers_the_simulator_as_a_linkage_client_of_every_practice(
    data_dir: Path,
) -> None:
    output = local_setup()

    client = ApiClient.objects.get(client_id=SIMULATOR_CLIENT_ID)
    assert client.enabled
    assert client.all_practices
    assert not client.practices.exists()
    assert client.scopes == ["linkage:create", "linkage:read"]
    assert client.public_key_pem == public_key_pem(linkage_client_private_key().public_key())
    assert f"Registered the NHS login simulator as linkage API client {SIMULATOR_CLIENT_ID}" in (
        output
    )


@pytest.mark.django_db
def test_local_setup_simulator_linkage_key_gets_a_token(data_dir: Path) -> None:
    local_setup()
    token_url = f"{settings.PORTAL_BASE_URL}/api/oauth2/token"

    response = HttpClient().post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": client_assertion_sign(
                private_key=linkage_client_private_key(),
                client_id=SIMULATOR_CLIENT_ID,
                audience=token_url,
            ),
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "linkage:create linkage:read"


@pytest.mark.django_db
def test_local_setup_follows_a_simulator_linkage_key_made_again(data_dir: Path) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_KEY_DIR=data_dir / "nhs_login_simulator"):
        local_setup()
        (data_dir / "nhs_login_simulator" / "linkage-client" / "private_key.pem").unlink()
        new_public_key = public_key_pem(linkage_client_private_key().public_key())

        local_setup()

    client = ApiClient.objects.get(client_id=SIMULATOR_CLIENT_ID)
    assert client.public_key_pem == new_public_key
    assert ApiClient.objects.filter(client_id=SIMULATOR_CLIENT_ID).count() == 1


@pytest.mark.django_db
def test_local_setup_registers_no_simulator_client_when_the_simulator_is_off(
    data_dir: Path,
) -> None:
    with override_settings(NHS_LOGIN_SIMULATOR_ENABLED=False):
        local_setup()

    assert not ApiClient.objects.filter(client_id=SIMULATOR_CLIENT_ID).exists()


@pytest.mark.django_db
def test_local_setup_run_again_changes_nothing(data_dir: Path) -> None:
    local_setup()
    counts = row_counts()
    key_path = demo_client_key_path(data_dir)
    key_before = key_path.read_bytes()
    demo_client_before = (data_dir / "linkage_api" / "demo_client.json").read_text()
    public_key_before = ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID).public_key_pem

    local_setup()

    assert row_counts() == counts
    assert demo_client_key_path(data_dir) == key_path
    assert key_path.read_bytes() == key_before
    assert (data_dir / "linkage_api" / "demo_client.json").read_text() == demo_client_before
    assert ApiClient.objects.get(client_id=DEMO_API_CLIENT_ID).public_key_pem == public_key_before
    information = linkage_key_retrieve(
        actor=Actor(ActorType.SYSTEM, "test"), nhs_number="9990000018", ods_code=DEMO_ODS_CODE
    )
    assert (information.account_id, information.linkage_key) == ("5100000001", "Xw7kQ2mR9tLpZ")


def admin_accepts(username: str, password: str) -> bool:
    """Whether the admin's sign-in page takes the password (a redirect on to the admin)."""
    response = HttpClient().post("/admin/login/", {"username": username, "password": password})
    return response.status_code == 302


def printed_staff_password(output: str) -> str:
    found = re.search(r"username demo-reception  password (\S+)", output)
    assert found, output
    return found.group(1)


@pytest.mark.django_db
def test_local_setup_makes_a_demo_practice_staff_member_and_prints_their_sign_in(
    data_dir: Path,
) -> None:
    output = local_setup()

    assert "Practice staff sign-in for the demo practice (this laptop only)" in output
    password = printed_staff_password(output)
    password_path = data_dir / "demo_staff_password"
    assert stat.S_IMODE(password_path.stat().st_mode) == 0o600
    assert password_path.read_text() == password
    staff = User.objects.get(username="demo-reception")
    assert staff.is_staff
    assert not staff.is_superuser
    assert staff.get_full_name() == "Sam Taylor"
    assert [m.practice.ods_code for m in PracticeStaff.objects.filter(user=staff)] == [
        DEMO_ODS_CODE
    ]
    assert admin_accepts("demo-reception", password)


@pytest.mark.django_db
def test_local_setup_prints_the_same_staff_sign_in_at_every_start(data_dir: Path) -> None:
    first = printed_staff_password(local_setup())

    again = printed_staff_password(local_setup())

    assert again == first
    assert User.objects.filter(username="demo-reception").count() == 1


@pytest.mark.django_db
def test_local_setup_gives_the_demo_staff_member_the_printed_password_back(
    data_dir: Path,
) -> None:
    """A password changed since (or a database made afresh): the one printed works again."""
    password = printed_staff_password(local_setup())
    staff = User.objects.get(username="demo-reception")
    staff.set_password("changed-in-the-admin-1")
    staff.save()

    assert printed_staff_password(local_setup()) == password
    assert admin_accepts("demo-reception", password)


@pytest.mark.django_db
def test_each_laptop_gets_its_own_demo_staff_password(tmp_path: Path) -> None:
    passwords = []
    for laptop in ("one", "two"):
        with override_settings(
            LOCAL_SETUP_ALLOWED=True,
            DEBUG=True,
            DATA_DIR=tmp_path / laptop,
            NHS_LOGIN_PRIVATE_KEY_PATH=str(tmp_path / laptop / "nhs_login.pem"),
        ):
            passwords.append(printed_staff_password(local_setup()))
        User.objects.filter(username="demo-reception").delete()

    assert passwords[0] != passwords[1]


def test_the_patient_to_provision_is_in_the_simulators_pds_as_on_the_register() -> None:
    """What lets staff provision him at the simulator: its PDS stand-in holds his record."""
    register = {row[0]: (row[1], row[2], row[3].isoformat()) for row in DEMO_REGISTER}
    record = pds_record(TO_PROVISION)
    assert record is not None
    assert (record.family_name, record.given_name, record.birthdate) == register[TO_PROVISION]
    assert not [user for user in file_users() if user.claims.get("nhs_number") == TO_PROVISION]
