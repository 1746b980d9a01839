"""The linkage app's operator commands: registering API clients, signing their assertions and
rotating the encryption of stored linkage keys (README, docs/adr/0007)."""

from __future__ import annotations

import datetime
import io
import uuid
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from django.test.utils import override_settings

from accounts.tests.factories import synthetic_nhs_number
from core.client_assertion import JWT_BEARER
from core.rsa_keys import private_key_generate, private_key_pem, private_key_write, public_key_pem
from linkage.api_clients.registration import api_client_register
from linkage.audit import ActorType, AuditAction
from linkage.crypto import linkage_key_decrypt, linkage_key_encrypt
from linkage.management.commands.linkage_keys_rotate_encryption import BATCH_SIZE
from linkage.models import (
    ApiClient,
    AuditEvent,
    LinkageKey,
    LinkageKeyStatus,
    Practice,
    RegisteredPatient,
)
from linkage.tests.factories import LinkageKeyFactory, PracticeFactory, RegisteredPatientFactory

BOTH_SCOPES = "linkage:read,linkage:create"


def distinct_nhs_numbers(count: int, start: int = 3000) -> list[str]:
    """Synthetic NHS numbers, none repeated (two sequence numbers can share one)."""
    numbers: dict[str, None] = {}
    sequence = start
    while len(numbers) < count:
        numbers[synthetic_nhs_number(sequence)] = None
        sequence += 1
    return list(numbers)


def run(command: str, *arguments: str) -> str:
    out = io.StringIO()
    call_command(command, *arguments, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def api_client_create(
    *,
    scopes: str,
    name: str = "NHS login",
    public_key: Path | None = None,
    jwks_url: str | None = None,
    client_id: str | None = None,
    binding: tuple[str, ...] = ("--all-practices",),
) -> str:
    """`manage.py api_client_create` as an operator types it; returns what it prints."""
    arguments = ["--name", name, "--scopes", scopes, *binding]
    if public_key is not None:
        arguments += ["--public-key", str(public_key)]
    if jwks_url is not None:
        arguments += ["--jwks-url", jwks_url]
    if client_id is not None:
        arguments += ["--client-id", client_id]
    return run("api_client_create", *arguments)


@pytest.fixture(scope="module")
def rsa_private_key() -> rsa.RSAPrivateKey:
    return private_key_generate()


@pytest.fixture
def private_key_path(tmp_path: Path, rsa_private_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "client.pem"
    private_key_write(path, rsa_private_key)
    return path


@pytest.fixture
def public_key_path(tmp_path: Path, rsa_private_key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "client.pub.pem"
    path.write_text(public_key_pem(rsa_private_key.public_key()))
    return path


# api_client_create


@pytest.mark.django_db
def test_api_client_create_prints_the_client_id_it_registers(public_key_path: Path) -> None:
    output = api_client_create(public_key=public_key_path, scopes=BOTH_SCOPES)

    client = ApiClient.objects.get()
    assert output.strip() == client.client_id
    assert uuid.UUID(client.client_id)
    assert client.name == "NHS login"
    assert client.scopes == ["linkage:create", "linkage:read"]
    assert client.enabled is True
    assert client.all_practices is True
    assert not client.practices.exists()


@pytest.mark.django_db
def test_api_client_create_binds_the_client_to_the_practices_named(public_key_path: Path) -> None:
    PracticeFactory.create(ods_code="A12345")
    PracticeFactory.create(ods_code="B23456")
    PracticeFactory.create(ods_code="C34567")

    api_client_create(
        public_key=public_key_path, scopes=BOTH_SCOPES, binding=("--practices", "a12345, B23456")
    )

    client = ApiClient.objects.get()
    assert client.all_practices is False
    assert sorted(client.practices.values_list("ods_code", flat=True)) == ["A12345", "B23456"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("binding", "message"),
    [
        pytest.param((), "one of the arguments", id="neither"),
        pytest.param(("--practices", "A12345", "--all-practices"), "not allowed", id="both"),
        pytest.param(("--practices", " , "), "at least one ODS code", id="no-codes"),
        pytest.param(("--practices", "A12345,Z99999"), "Z99999", id="unknown-practice"),
        pytest.param(("--practices", "A1"), "not an ODS code", id="bad-code"),
    ],
)
def test_api_client_create_refuses_a_client_without_a_clear_binding(
    public_key_path: Path, binding: tuple[str, ...], message: str
) -> None:
    PracticeFactory.create(ods_code="A12345")

    with pytest.raises(CommandError, match=message):
        api_client_create(public_key=public_key_path, scopes=BOTH_SCOPES, binding=binding)

    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_api_client_create_keeps_a_client_id_it_is_given(public_key_path: Path) -> None:
    output = api_client_create(
        public_key=public_key_path, scopes="linkage:read", client_id="nhs-login-int"
    )

    assert output.strip() == "nhs-login-int"
    assert ApiClient.objects.get().scopes == ["linkage:read"]


@pytest.mark.django_db
def test_api_client_create_stores_only_the_public_half_of_a_private_key(
    private_key_path: Path, rsa_private_key: rsa.RSAPrivateKey
) -> None:
    api_client_create(public_key=private_key_path, scopes=BOTH_SCOPES)

    client = ApiClient.objects.get()
    assert client.public_key_pem == public_key_pem(rsa_private_key.public_key())
    assert "PRIVATE" not in client.public_key_pem
    assert client.jwks_url == ""


@pytest.mark.django_db
def test_api_client_create_registers_a_client_by_its_https_jwks_url() -> None:
    api_client_create(
        jwks_url="https://auth.login.nhs.uk/.well-known/jwks.json", scopes="linkage:create"
    )

    client = ApiClient.objects.get()
    assert client.jwks_url == "https://auth.login.nhs.uk/.well-known/jwks.json"
    assert client.public_key_pem == ""


def _key_file(tmp_path: Path, kind: str) -> Path:
    """Key files an operator might pass by mistake, made in the test."""
    path = tmp_path / f"{kind}.pem"
    if kind == "rsa-1024":
        # Too weak on purpose: the command must refuse it.
        weak_key = rsa.generate_private_key(65537, 1024)  # noqa: S505
        path.write_bytes(private_key_pem(weak_key))
    elif kind == "ec-p256":
        ec_key = ec.generate_private_key(ec.SECP256R1())
        path.write_bytes(
            ec_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    elif kind == "not-a-key":
        path.write_text("This is not a key\n")
    elif kind == "der-binary":
        path.write_bytes(
            private_key_generate().private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    elif kind == "directory":
        path.mkdir()
    elif kind != "missing":
        raise AssertionError(kind)
    return path


@pytest.mark.parametrize(
    ("key", "jwks_url", "scopes", "message"),
    [
        pytest.param(None, None, BOTH_SCOPES, "either a public key or a JWKS URL", id="no-key"),
        pytest.param(
            "good", "https://example.org/jwks.json", BOTH_SCOPES, "either", id="key-and-jwks"
        ),
        pytest.param(None, "http://example.org/jwks.json", BOTH_SCOPES, "https", id="http-jwks"),
        pytest.param("good", None, "linkage:read,linkage:delete", "Scopes", id="unknown-scope"),
        pytest.param("good", None, "", "Scopes", id="empty-scopes"),
        pytest.param("good", None, " , ", "Scopes", id="blank-scopes"),
        pytest.param("rsa-1024", None, BOTH_SCOPES, "2048", id="rsa-1024"),
        pytest.param("ec-p256", None, BOTH_SCOPES, "RSA", id="ec-key"),
        pytest.param("not-a-key", None, BOTH_SCOPES, "PEM", id="not-a-key"),
        pytest.param("missing", None, BOTH_SCOPES, "Cannot read", id="missing-file"),
        pytest.param("directory", None, BOTH_SCOPES, "Cannot read", id="directory"),
        pytest.param("der-binary", None, BOTH_SCOPES, None, id="binary-file-not-text"),
    ],
)
@pytest.mark.django_db
def test_api_client_create_refuses_and_stores_nothing(
    tmp_path: Path,
    public_key_path: Path,
    key: str | None,
    jwks_url: str | None,
    scopes: str,
    message: str | None,
) -> None:
    public_key = None
    if key == "good":
        public_key = public_key_path
    elif key is not None:
        public_key = _key_file(tmp_path, key)

    with pytest.raises(CommandError, match=message):
        api_client_create(public_key=public_key, jwks_url=jwks_url, scopes=scopes)

    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_api_client_create_refuses_an_empty_name(public_key_path: Path) -> None:
    with pytest.raises(CommandError, match="name"):
        api_client_create(name="  ", public_key=public_key_path, scopes=BOTH_SCOPES)

    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_api_client_create_refuses_a_client_id_already_registered(
    public_key_path: Path, tmp_path: Path
) -> None:
    api_client_create(public_key=public_key_path, scopes="linkage:read", client_id="nhs-login")
    other_key = tmp_path / "other.pem"
    private_key_write(other_key, private_key_generate())

    with pytest.raises(CommandError):
        api_client_create(public_key=other_key, scopes=BOTH_SCOPES, client_id="nhs-login")

    client = ApiClient.objects.get()
    assert client.scopes == ["linkage:read"]
    assert client.public_key_pem == public_key_path.read_text()


UPDATE = "--update-if-registered"


@pytest.mark.django_db
def test_api_client_create_can_bring_a_registered_client_up_to_date_audited(
    public_key_path: Path, tmp_path: Path
) -> None:
    """What a stack's start-up runs every time (compose.yaml): the first run registers, a run
    with the same details changes nothing, one with a new key changes the key, audited."""
    arguments = ("--name", "NHS login simulator", "--client-id", "simulator", "--all-practices")
    first = run(
        "api_client_create",
        *arguments,
        "--scopes",
        "linkage:read",
        "--public-key",
        str(public_key_path),
        UPDATE,
    )
    same = run(
        "api_client_create",
        *arguments,
        "--scopes",
        "linkage:read",
        "--public-key",
        str(public_key_path),
        UPDATE,
    )
    assert (first.strip(), same.strip()) == ("simulator", "simulator")
    assert not AuditEvent.objects.filter(action=AuditAction.API_CLIENT_CHANGE).exists()
    new_key = tmp_path / "new.pem"
    new_private_key = private_key_generate()
    private_key_write(new_key, new_private_key)

    run(
        "api_client_create",
        *arguments,
        "--scopes",
        BOTH_SCOPES,
        "--public-key",
        str(new_key),
        UPDATE,
    )

    client = ApiClient.objects.get()
    assert client.public_key_pem == public_key_pem(new_private_key.public_key())
    assert sorted(client.scopes) == ["linkage:create", "linkage:read"]
    event = AuditEvent.objects.get(action=AuditAction.API_CLIENT_CHANGE)
    assert event.client_id == "simulator"
    assert event.actor.startswith("manage.py api_client_create by ")


@pytest.mark.django_db
def test_updating_if_registered_needs_the_client_id(public_key_path: Path) -> None:
    with pytest.raises(CommandError, match="needs the --client-id"):
        run(
            "api_client_create",
            "--name",
            "X",
            "--scopes",
            "linkage:read",
            "--all-practices",
            "--public-key",
            str(public_key_path),
            UPDATE,
        )

    assert not ApiClient.objects.exists()


@pytest.mark.django_db
def test_updating_if_registered_still_refuses_what_registering_refuses(
    public_key_path: Path,
) -> None:
    api_client_create(public_key=public_key_path, scopes="linkage:read", client_id="simulator")

    with pytest.raises(CommandError):
        run(
            "api_client_create",
            "--name",
            "X",
            "--scopes",
            "linkage:nothing",
            "--all-practices",
            "--public-key",
            str(public_key_path),
            "--client-id",
            "simulator",
            UPDATE,
        )

    assert ApiClient.objects.get().scopes == ["linkage:read"]


# api_client_assertion


def assertion_from_command(client_id: str, private_key_path: Path) -> str:
    return run(
        "api_client_assertion", "--client-id", client_id, "--private-key", str(private_key_path)
    ).strip()


@override_settings(PORTAL_BASE_URL="https://portal.example.nhs.uk")
def test_api_client_assertion_prints_an_rs512_jwt_for_the_token_endpoint(
    private_key_path: Path, rsa_private_key: rsa.RSAPrivateKey
) -> None:
    assertion = assertion_from_command("nhs-login-int", private_key_path)

    assert jwt.get_unverified_header(assertion)["alg"] == "RS512"
    claims: dict[str, Any] = jwt.decode(
        assertion,
        rsa_private_key.public_key(),
        algorithms=["RS512"],
        audience="https://portal.example.nhs.uk/api/oauth2/token",
    )
    assert claims["iss"] == claims["sub"] == "nhs-login-int"
    assert claims["aud"] == settings.PORTAL_BASE_URL + "/api/oauth2/token"
    assert claims["exp"] - claims["iat"] == 60
    assert claims["jti"]


def test_api_client_assertion_gives_each_assertion_its_own_jti(private_key_path: Path) -> None:
    first = jwt.decode(
        assertion_from_command("nhs-login-int", private_key_path),
        options={"verify_signature": False},
    )
    second = jwt.decode(
        assertion_from_command("nhs-login-int", private_key_path),
        options={"verify_signature": False},
    )

    assert first["jti"] != second["jti"]


@pytest.mark.django_db
def test_api_client_assertion_is_accepted_by_the_token_endpoint(
    private_key_path: Path, rsa_private_key: rsa.RSAPrivateKey
) -> None:
    api_client_register(
        name="NHS login",
        client_id="nhs-login-int",
        public_key_pem=public_key_pem(rsa_private_key.public_key()),
        jwks_url="",
        scopes=["linkage:read"],
        all_practices=True,
    )

    response = HttpClient().post(
        "/api/oauth2/token",
        {
            "grant_type": "client_credentials",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": assertion_from_command("nhs-login-int", private_key_path),
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["scope"] == "linkage:read"


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("not-a-key", id="not-a-key"),
        pytest.param("missing", id="missing-file"),
        pytest.param("directory", id="directory"),
        pytest.param("public", id="public-key-only"),
        pytest.param("ec-p256", id="ec-key"),
    ],
)
def test_api_client_assertion_refuses_a_file_that_is_not_an_rsa_private_key(
    tmp_path: Path, public_key_path: Path, kind: str
) -> None:
    path = public_key_path if kind == "public" else _key_file(tmp_path, kind)
    out = io.StringIO()

    with pytest.raises(CommandError, match="private key"):
        call_command(
            "api_client_assertion", "--client-id", "nhs-login-int", "--private-key", str(path),
            stdout=out,
        )  # fmt: skip

    assert out.getvalue() == ""


# linkage_keys_rotate_encryption

OLD_ENCRYPTION_KEY = Fernet.generate_key().decode()
NEW_ENCRYPTION_KEY = Fernet.generate_key().decode()
PLAIN_KEYS = ("Xw7kQ2mR9tLpZ", "Hq4nV8cT2wJsB", "p@ss phrase, imported!", "K" * 64)


def stored_keys(practice: Practice) -> dict[int, str]:
    """Each key's plaintext by primary key, decrypted with the settings in force."""
    return {
        key.pk: linkage_key_decrypt(key.encrypted_key)
        for key in LinkageKey.objects.filter(practice=practice)
    }


@pytest.fixture
def keys_under_the_old_encryption_key(db: None) -> tuple[Practice, dict[int, str]]:
    practice = PracticeFactory.create(ods_code="A12345")
    with override_settings(LINKAGE_ENCRYPTION_KEYS=[OLD_ENCRYPTION_KEY]):
        keys = [
            LinkageKeyFactory.create(
                patient=RegisteredPatientFactory.create(practice=practice, nhs_number=nhs_number),
                encrypted_key=linkage_key_encrypt(plain),
            )
            for plain, nhs_number in zip(
                PLAIN_KEYS, distinct_nhs_numbers(len(PLAIN_KEYS)), strict=True
            )
        ]
        LinkageKey.objects.filter(pk=keys[1].pk).update(
            status=LinkageKeyStatus.REVOKED, revoked_by="staff:test", revoked_reason="Lost"
        )
        expected = stored_keys(practice)
    assert sorted(expected.values()) == sorted(PLAIN_KEYS)
    return practice, expected


def test_rotate_encryption_leaves_every_key_readable_with_only_the_new_encryption_key(
    keys_under_the_old_encryption_key: tuple[Practice, dict[int, str]],
) -> None:
    practice, expected = keys_under_the_old_encryption_key

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        output = run("linkage_keys_rotate_encryption")

    assert f"Re-encrypted {len(PLAIN_KEYS)} linkage keys" in output
    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY]):
        assert stored_keys(practice) == expected


def test_rotate_encryption_leaves_no_key_readable_with_only_the_old_encryption_key(
    keys_under_the_old_encryption_key: tuple[Practice, dict[int, str]],
) -> None:
    practice, _ = keys_under_the_old_encryption_key

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        run("linkage_keys_rotate_encryption")

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[OLD_ENCRYPTION_KEY]):
        for key in LinkageKey.objects.filter(practice=practice):
            with pytest.raises(ImproperlyConfigured):
                linkage_key_decrypt(key.encrypted_key)


def test_rotate_encryption_keeps_every_other_detail_of_the_keys(
    keys_under_the_old_encryption_key: tuple[Practice, dict[int, str]],
) -> None:
    practice, _ = keys_under_the_old_encryption_key
    before = list(
        LinkageKey.objects.filter(practice=practice).values_list(
            "pk", "account_id", "status", "patient_id", "revoked_reason"
        )
    )

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        run("linkage_keys_rotate_encryption")

    after = list(
        LinkageKey.objects.filter(practice=practice).values_list(
            "pk", "account_id", "status", "patient_id", "revoked_reason"
        )
    )
    assert after == before


def test_rotate_encryption_records_one_audit_event(
    keys_under_the_old_encryption_key: tuple[Practice, dict[int, str]],
) -> None:
    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        run("linkage_keys_rotate_encryption")

    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.actor_type) == (
        AuditAction.ROTATE_ENCRYPTION,
        "SUCCESS",
        ActorType.SYSTEM,
    )


def test_rotate_encryption_run_again_keeps_every_key_readable(
    keys_under_the_old_encryption_key: tuple[Practice, dict[int, str]],
) -> None:
    practice, expected = keys_under_the_old_encryption_key

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        run("linkage_keys_rotate_encryption")
        run("linkage_keys_rotate_encryption")

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY]):
        assert stored_keys(practice) == expected


@pytest.mark.django_db
def test_rotate_encryption_reaches_keys_beyond_the_first_batch() -> None:
    practice = PracticeFactory.create(ods_code="A12345")
    count = BATCH_SIZE + 2
    RegisteredPatient.objects.bulk_create(
        RegisteredPatient(
            practice=practice,
            nhs_number=nhs_number,
            surname="Thompson",
            date_of_birth=datetime.date(1985, 3, 5),
        )
        for nhs_number in distinct_nhs_numbers(count)
    )
    with override_settings(LINKAGE_ENCRYPTION_KEYS=[OLD_ENCRYPTION_KEY]):
        LinkageKey.objects.bulk_create(
            LinkageKey(
                patient=patient,
                practice=practice,
                account_id=f"{6100000000 + number}",
                encrypted_key=linkage_key_encrypt(f"key-{number}"),
                created_by="staff:test",
            )
            for number, patient in enumerate(practice.patients.order_by("pk"))
        )

    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY, OLD_ENCRYPTION_KEY]):
        output = run("linkage_keys_rotate_encryption")

    assert f"Re-encrypted {count} linkage keys" in output
    with override_settings(LINKAGE_ENCRYPTION_KEYS=[NEW_ENCRYPTION_KEY]):
        assert sorted(stored_keys(practice).values()) == sorted(
            f"key-{number}" for number in range(count)
        )
