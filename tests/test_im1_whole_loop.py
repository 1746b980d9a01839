"""The whole loop between NHS login, the GP system and an IM1 app, over real HTTP: an IM1 app
signs a P9 patient in at the simulator asking for ``gp_integration_credentials``; the simulator
gets them from the portal's linkage API (creating them the first time); the app's supplier
pairs with them and reads the patient; staff reissue the key in the admin; the old connection
and the old key are refused; a new sign-in yields the new key, which pairs again. And
scripts/im1_partner_demo.py, which shows the same story against `make run`, run against the
live server (docs/im1-api.md, docs/adr/0025 and 0026)."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from core.client_assertion import JWT_BEARER
from core.client_assertion_signing import client_assertion_sign
from core.rsa_keys import private_key_generate, private_key_write, public_key_pem
from im1.models import Connection
from im1.services import KEY_REVOKED_REASON
from linkage.api_clients.registration import api_client_register
from linkage.crypto import linkage_key_decrypt
from linkage.models import LinkageKey, LinkageKeyStatus
from linkage.practice_staff import practice_staff_create, staff_password_generate
from tests.security.secrets_in_logs import secret_register
from tests.support import THIS_PRACTICE, NhsLoginLive, staff_signed_in
from tests.test_simulator_gp_credentials import (  # noqa: F401 - the fixture, found by name
    Im1App,
    claim_of,
    im1_app,
    register_says,
)

pytestmark = pytest.mark.django_db(transaction=True)

NOWAK = "9990000077"  # the simulator's p9-passkey user: on the demo register, with no key yet
PARTNER_ID = "whole-loop-partner"
PASSWORD = staff_password_generate()  # a receptionist's, made for this run


class Partner:
    """An IM1 app's supplier, calling the portal's linkage and IM1 APIs over HTTP."""

    def __init__(self, base_url: str, private_key: rsa.RSAPrivateKey) -> None:
        self.base_url = base_url
        token_url = f"{base_url}/api/oauth2/token"
        assertion = client_assertion_sign(
            private_key=private_key, client_id=PARTNER_ID, audience=token_url
        )
        answer = requests.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": JWT_BEARER,
                "client_assertion": assertion,
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        secret_register(self.token)

    def pair(self, claim: dict[str, str]) -> requests.Response:
        answer = requests.post(
            f"{self.base_url}/api/im1/v1/pairings",
            json={
                "accountId": claim["gp_user_id"],
                "linkageKey": claim["gp_linkage_key"],
                "odsCode": claim["gp_ods_code"],
                "surname": "Nowak",
                "dateOfBirth": "1992-12-24",
            },
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        if answer.status_code == 201:
            secret_register(answer.json()["connectionToken"])
        return answer

    def read(self, connection_token: str) -> requests.Response:
        return requests.get(
            f"{self.base_url}/api/im1/v1/patient",
            headers={
                "Authorization": f"Bearer {self.token}",
                "IM1-Connection-Token": connection_token,
            },
            timeout=30,
        )


def _partner_registered(private_key: rsa.RSAPrivateKey) -> None:
    """Registered as a GP system registers an IM1 partner: im1:pair, at the practice only."""
    api_client_register(
        name="Whole loop app",
        client_id=PARTNER_ID,
        public_key_pem=public_key_pem(private_key.public_key()),
        jwks_url="",
        scopes=["im1:pair"],
        ods_codes=[THIS_PRACTICE],
    )


def _error(answer: requests.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()["errorCode"]


def _claim(app: Im1App) -> dict[str, str]:
    answer = app.userinfo(user="p9-passkey")
    assert answer.status_code == 200, answer.text
    claim: dict[str, str] = answer.json()["gp_integration_credentials"]
    secret_register(claim["gp_linkage_key"])
    return claim


def test_a_paired_connection_dies_with_its_key_and_a_new_sign_in_brings_the_new_key(
    im1_app: Im1App,  # noqa: F811 - the fixture imported above
    nhs_login_live: NhsLoginLive,
) -> None:
    private_key = private_key_generate()
    _partner_registered(private_key)
    assert not LinkageKey.objects.filter(patient__nhs_number=NOWAK).exists()

    # NHS login fetches the credentials from the GP system, which creates them the first time.
    first = _claim(im1_app)
    assert first == claim_of(register_says(NOWAK))
    old_key = LinkageKey.objects.get(patient__nhs_number=NOWAK)

    # The app's supplier pairs with them and reads the patient from the register.
    partner = Partner(nhs_login_live.base_url, private_key)
    paired = partner.pair(first)
    assert paired.status_code == 201, paired.text
    assert paired.json()["accountId"] == first["gp_user_id"]
    old_connection = paired.json()["connectionToken"]
    read = partner.read(old_connection)
    assert read.status_code == 200, read.text
    assert read.json() | {"nhsNumber": NOWAK} == read.json()
    assert (read.json()["surname"], read.json()["odsCode"]) == ("Nowak", THIS_PRACTICE)

    # Staff reissue the key from its page in the admin.
    staff = practice_staff_create(
        username="reception-loop", ods_code=THIS_PRACTICE, password=PASSWORD
    )
    reissued = staff_signed_in(staff).post(
        f"/admin/linkage/linkagekey/{old_key.pk}/reissue/", {"reason": "Lost the letter"}
    )
    assert reissued.status_code == 302, reissued.content
    old_key.refresh_from_db()
    assert old_key.status == LinkageKeyStatus.REVOKED

    # The old connection and the old key are refused from then on.
    assert _error(partner.read(old_connection)) == (403, "CONNECTION_NOT_VALID")
    ended = Connection.objects.get(linkage_key=old_key)
    assert (ended.ended_reason, ended.ended_at) == (KEY_REVOKED_REASON, old_key.revoked_at)
    assert _error(partner.pair(first)) == (403, "PAIRING_FAILED")

    # A new sign-in yields the new key, under the same Account ID, and it pairs.
    second = _claim(im1_app)
    new_key = LinkageKey.objects.get(patient__nhs_number=NOWAK, status=LinkageKeyStatus.ACTIVE)
    assert second == claim_of(register_says(NOWAK))
    assert second["gp_linkage_key"] == linkage_key_decrypt(new_key.encrypted_key)
    assert second["gp_linkage_key"] != first["gp_linkage_key"]
    assert second["gp_user_id"] == first["gp_user_id"]
    again = partner.pair(second)
    assert again.status_code == 201, again.text
    assert partner.read(again.json()["connectionToken"]).status_code == 200


@pytest.fixture
def script_arguments(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, tmp_path: Path
) -> list[str]:
    """What `make run` registers for the script, here against the live server: its IM1 app
    with the simulator, its partner with the portal, keys in files; the admin without the
    second factor, as `make run` has it."""
    settings.ADMIN_TWO_FACTOR_REQUIRED = False
    app_key, partner_key = tmp_path / "app.pem", tmp_path / "partner.pem"
    private_key_write(app_key, private_key_generate())
    partner_private_key = private_key_generate()
    private_key_write(partner_key, partner_private_key)
    call_command(
        "nhs_login_simulator_client_register",
        client_id="demo-im1-app",
        redirect_uris=["https://demo-im1-app.example.org/callback"],
        public_key=app_key,
        im1=True,
        scopes="openid profile gp_registration_details gp_integration_credentials",
        stdout=io.StringIO(),
    )
    _partner_registered(partner_private_key)
    return [
        f"--base-url={nhs_login_live.base_url}",
        f"--app-private-key={app_key}",
        f"--partner-client-id={PARTNER_ID}",
        f"--partner-private-key={partner_key}",
    ]


def _password_file(tmp_path: Path, password: str) -> str:
    path = tmp_path / "password"
    path.write_text(f"{password}\n")
    return f"--staff-password-file={path}"


def test_the_demo_script_shows_the_whole_loop_and_prints_no_secret(
    script_arguments: list[str], tmp_path: Path
) -> None:
    practice_staff_create(username="reception-loop", ods_code=THIS_PRACTICE, password=PASSWORD)

    completed = _script(
        *script_arguments, "--staff-username=reception-loop", _password_file(tmp_path, PASSWORD)
    )

    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    for proved in (
        "NHS login gave the app gp_integration_credentials",
        "read the record over the connection: Iga Nowak, born 1992-12-24",
        "practice staff (reception-loop) reissued the key in the admin",
        "the old connection is refused: 403 CONNECTION_NOT_VALID",
        "pairing with the old key is refused: 403 PAIRING_FAILED",
        "a new sign-in gives the new key, under the same Account ID",
    ):
        assert proved in out
    keys = LinkageKey.objects.filter(patient__nhs_number=NOWAK).order_by("pk")
    assert [key.status for key in keys] == [LinkageKeyStatus.REVOKED, LinkageKeyStatus.ACTIVE]
    assert keys[0].revoked_by == "staff:reception-loop"
    for key in keys:  # neither key, old or new, is ever printed
        assert linkage_key_decrypt(key.encrypted_key) not in out
    assert "eyJ" not in out  # nor a token
    assert PASSWORD not in out


def test_the_demo_script_says_what_failed_when_the_staff_sign_in_is_refused(
    script_arguments: list[str], tmp_path: Path
) -> None:
    completed = _script(
        *script_arguments, "--staff-username=nobody-here", _password_file(tmp_path, "wrong")
    )

    assert completed.returncode == 1
    assert "FAILED  FlowError: the staff sign-in was refused (nobody-here)" in completed.stderr
    key = LinkageKey.objects.get(patient__nhs_number=NOWAK)
    assert key.status == LinkageKeyStatus.ACTIVE  # nothing reissued


def _script(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "scripts/im1_partner_demo.py", *arguments],
        cwd=Path(django_settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
