"""The simulator's management commands: client registration (redirect URIs, a PEM key without
kid or a JWK with one, scopes, vtr sets, single sign-on partners, as NHS login registers
partners), signing-key rotation, and the public half of its linkage API client key."""

from __future__ import annotations

import io
import json
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client as HttpClient
from django.test.utils import override_settings

from core.rsa_keys import (
    private_key_generate,
    private_key_pem,
    public_jwk,
    public_key_pem,
    rsa_jwk_members,
)
from nhs_login_simulator.keys import signing_keys
from nhs_login_simulator.models import Client
from nhs_login_simulator.tests.conftest import CLIENT_ID, REDIRECT_URI, SimulatorFlow

pytestmark = pytest.mark.django_db

REGISTER = "nhs_login_simulator_client_register"
ROTATE = "nhs_login_simulator_keys_rotate"
LINKAGE_KEY = "nhs_login_simulator_linkage_key"
NEW_CLIENT_ID = "new-portal"
NEW_REDIRECT_URI = "https://new-portal.example.org/auth/nhs-login/callback/"

Exchange = Callable[..., Any]


def register(*arguments: str) -> str:
    out = io.StringIO()
    call_command(REGISTER, *arguments, stdout=out)
    return out.getvalue()


def write_public_key(path: Path, private_key: rsa.RSAPrivateKey) -> Path:
    path.write_text(public_key_pem(private_key.public_key()))
    return path


def client_fields(client_id: str) -> dict[str, Any]:
    return dict(
        Client.objects.filter(client_id=client_id)
        .values(
            "name", "redirect_uris", "public_key_pem", "key_id", "im1_enabled", "scopes", "vtr_sets"
        )
        .get()
    )


P9 = ["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]
BOTH = ["P5.Cp.Cd", "P5.Cp.Ck", "P5.Cm", *P9]


def compact(vtr: list[str]) -> str:
    return json.dumps(vtr, separators=(",", ":"))


# Registration


def test_registers_a_client_from_a_public_key_pem(tmp_path: Path) -> None:
    private_key = private_key_generate()
    key_file = write_public_key(tmp_path / "public.pem", private_key)

    output = register(
        "--client-id",
        NEW_CLIENT_ID,
        "--name",
        "New portal",
        "--redirect-uri",
        NEW_REDIRECT_URI,
        "--redirect-uri",
        "https://new-portal.example.org/other/callback/",
        "--public-key",
        str(key_file),
        "--im1",
        "--scopes",
        "openid profile email gp_integration_credentials",
        "--vtr",
        json.dumps(BOTH),
        "--vtr",
        json.dumps(P9),
    )

    assert output == (
        f"Registered client {NEW_CLIENT_ID} with 2 redirect URI(s) and a PEM key (no kid)\n"
        "  scopes: openid profile email gp_integration_credentials\n"
        f"  vtr: {compact(BOTH)}; {compact(P9)}\n"
    )
    assert client_fields(NEW_CLIENT_ID) == {
        "name": "New portal",
        "redirect_uris": [NEW_REDIRECT_URI, "https://new-portal.example.org/other/callback/"],
        "public_key_pem": public_key_pem(private_key.public_key()),
        "key_id": "",
        "im1_enabled": True,
        "scopes": ["openid", "profile", "email", "gp_integration_credentials"],
        "vtr_sets": [BOTH, P9],
    }


def test_registration_defaults_to_the_client_id_as_name_and_no_im1(tmp_path: Path) -> None:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())

    register(
        "--client-id",
        NEW_CLIENT_ID,
        "--redirect-uri",
        NEW_REDIRECT_URI,
        "--public-key",
        str(key_file),
    )

    fields = client_fields(NEW_CLIENT_ID)
    assert fields["name"] == NEW_CLIENT_ID
    assert fields["im1_enabled"] is False
    # As strict as NHS login: nothing but openid, and the vtr it assumes when none is sent.
    assert fields["scopes"] == ["openid"]
    assert fields["vtr_sets"] == [P9]


@pytest.mark.parametrize(
    "private_format",
    [
        pytest.param(serialization.PrivateFormat.PKCS8, id="pkcs8"),
        pytest.param(serialization.PrivateFormat.TraditionalOpenSSL, id="pkcs1"),
    ],
)
def test_registers_only_the_public_half_of_a_private_key(
    tmp_path: Path, private_format: serialization.PrivateFormat
) -> None:
    private_key = private_key_generate()
    key_file = tmp_path / "private.pem"
    key_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM, private_format, serialization.NoEncryption()
        )
    )

    register(
        "--client-id",
        NEW_CLIENT_ID,
        "--redirect-uri",
        NEW_REDIRECT_URI,
        "--public-key",
        str(key_file),
    )

    stored = client_fields(NEW_CLIENT_ID)["public_key_pem"]
    assert "PRIVATE" not in stored
    assert stored == public_key_pem(private_key.public_key())


def test_updates_an_existing_client(tmp_path: Path, registered_client: Client) -> None:
    new_key = private_key_generate()
    key_file = write_public_key(tmp_path / "rotated.pem", new_key)

    output = register(
        "--client-id",
        CLIENT_ID,
        "--name",
        "Renamed portal",
        "--redirect-uri",
        NEW_REDIRECT_URI,
        "--public-key",
        str(key_file),
    )

    assert output.startswith(f"Updated client {CLIENT_ID} with 1 redirect URI(s) and a PEM key")
    assert Client.objects.count() == 1
    registered_client.refresh_from_db()
    assert registered_client.name == "Renamed portal"
    assert registered_client.redirect_uris == [NEW_REDIRECT_URI]
    assert registered_client.public_key_pem == public_key_pem(new_key.public_key())
    assert registered_client.im1_enabled is False


def test_accepts_ten_redirect_uris(tmp_path: Path) -> None:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())
    uris = [f"https://portal.example.org/callback/{number}/" for number in range(10)]

    register(
        "--client-id",
        NEW_CLIENT_ID,
        *[argument for uri in uris for argument in ("--redirect-uri", uri)],
        "--public-key",
        str(key_file),
    )

    assert client_fields(NEW_CLIENT_ID)["redirect_uris"] == uris


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("http://127.0.0.1:8000/auth/nhs-login/callback/", id="loopback-ip"),
        pytest.param("http://localhost:8000/auth/nhs-login/callback/", id="localhost"),
    ],
)
def test_accepts_http_for_local_development(tmp_path: Path, uri: str) -> None:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())

    register("--client-id", NEW_CLIENT_ID, "--redirect-uri", uri, "--public-key", str(key_file))

    assert client_fields(NEW_CLIENT_ID)["redirect_uris"] == [uri]


def rsa_2048_public_pem() -> bytes:
    return public_key_pem(private_key_generate().public_key()).encode()


def no_key_file() -> None:
    return None


def rsa_1024_public_pem() -> bytes:
    # The weak key the command must refuse.
    small_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    return public_key_pem(small_key.public_key()).encode()


def ec_public_pem() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def encrypted_private_pem() -> bytes:
    return private_key_generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )


# Each case: what goes in the key file (no_key_file: no file at all), the redirect URIs, and a
# phrase the refusal must contain.
REFUSALS = [
    pytest.param(
        no_key_file, [NEW_REDIRECT_URI], "Cannot read the key file", id="key-file-missing"
    ),
    pytest.param(
        lambda: b"this is not a key\n", [NEW_REDIRECT_URI], "not an unencrypted PEM", id="not-pem"
    ),
    pytest.param(
        # A PEM frame around "not a key", split so that secret scanners do not flag it.
        lambda: (
            b"-----BEGIN " + b"PRIVATE KEY-----\nbm90IGEga2V5\n-----END " + b"PRIVATE KEY-----\n"
        ),
        [NEW_REDIRECT_URI],
        "not an unencrypted PEM",
        id="corrupt-private-pem",
    ),
    pytest.param(
        encrypted_private_pem,
        [NEW_REDIRECT_URI],
        "not an unencrypted PEM",
        id="encrypted-private-key",
    ),
    pytest.param(rsa_1024_public_pem, [NEW_REDIRECT_URI], "2048 bits", id="rsa-1024"),
    pytest.param(ec_public_pem, [NEW_REDIRECT_URI], "RSA key", id="not-rsa"),
    pytest.param(
        rsa_2048_public_pem,
        [f"https://portal.example.org/callback/{number}/" for number in range(11)],
        "at most 10",
        id="eleven-redirect-uris",
    ),
    pytest.param(
        rsa_2048_public_pem,
        [NEW_REDIRECT_URI + "?next=/"],
        "without a query string",
        id="query-string",
    ),
    pytest.param(
        rsa_2048_public_pem, [NEW_REDIRECT_URI + "#top"], "without a query string", id="fragment"
    ),
    pytest.param(rsa_2048_public_pem, ["/auth/nhs-login/callback/"], "absolute", id="relative-uri"),
    pytest.param(
        rsa_2048_public_pem, ["ftp://portal.example.org/callback/"], "absolute", id="not-http"
    ),
    pytest.param(
        rsa_2048_public_pem,
        ["http://portal.example.org/auth/nhs-login/callback/"],
        "only local development addresses may use http",
        id="http-for-a-public-host",
    ),
    pytest.param(
        rsa_2048_public_pem,
        ["https://*.example.org/auth/nhs-login/callback/"],
        "*.example.org",
        id="wildcard-host",
    ),
]


def refused_registration(
    tmp_path: Path,
    client_id: str,
    key_content: Callable[[], bytes | None],
    redirect_uris: list[str],
) -> CommandError:
    """Run a registration that must be refused, and return the refusal."""
    key_file = tmp_path / "key.pem"
    content = key_content()
    if content is not None:
        key_file.write_bytes(content)
    with pytest.raises(CommandError) as refusal:
        register(
            "--client-id",
            client_id,
            *[argument for uri in redirect_uris for argument in ("--redirect-uri", uri)],
            "--public-key",
            str(key_file),
        )
    return refusal.value


@pytest.mark.parametrize(("key_content", "redirect_uris", "message"), REFUSALS)
def test_refuses_to_register_a_new_client_and_stores_nothing(
    tmp_path: Path,
    key_content: Callable[[], bytes | None],
    redirect_uris: list[str],
    message: str,
) -> None:
    refusal = refused_registration(tmp_path, NEW_CLIENT_ID, key_content, redirect_uris)

    assert message in str(refusal)
    assert not Client.objects.exists()


@pytest.mark.parametrize(("key_content", "redirect_uris", "message"), REFUSALS)
def test_refuses_to_update_a_client_and_changes_nothing(
    tmp_path: Path,
    registered_client: Client,
    key_content: Callable[[], bytes | None],
    redirect_uris: list[str],
    message: str,
) -> None:
    before = client_fields(CLIENT_ID)

    refusal = refused_registration(tmp_path, CLIENT_ID, key_content, redirect_uris)

    assert message in str(refusal)
    assert client_fields(CLIENT_ID) == before
    assert before["redirect_uris"] == [REDIRECT_URI]
    assert Client.objects.count() == 1


def register_new(tmp_path: Path, *arguments: str) -> str:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())
    return register(
        "--client-id",
        NEW_CLIENT_ID,
        "--redirect-uri",
        NEW_REDIRECT_URI,
        "--public-key",
        str(key_file),
        *arguments,
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        pytest.param(["--scopes", "openid made_up"], "no scope made_up", id="unknown-scope"),
        pytest.param(["--scopes", "profile email"], "openid scope", id="no-openid"),
        pytest.param(
            ["--scopes", "openid gp_integration_credentials"],
            "only for IM1-enabled clients",
            id="gp-credentials-without-im1",
        ),
        pytest.param(["--vtr", "[P9.Cp.Cd"], "not valid JSON", id="vtr-not-json"),
        pytest.param(["--vtr", '["P9.Cp.Cx"]'], "P9.Cp.Cx", id="vtr-unknown-vector"),
        pytest.param(["--vtr", "[]"], "non-empty JSON array", id="vtr-empty-array"),
        pytest.param(["--vtr", " "], "not empty", id="vtr-blank"),
        pytest.param(["--sso-with", "nobody"], "register that client first", id="sso-unknown"),
    ],
)
def test_refuses_a_registration_nhs_login_would_not_accept(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        register_new(tmp_path, *arguments)

    assert not Client.objects.exists()


def test_the_same_vtr_set_in_another_order_is_registered_once(tmp_path: Path) -> None:
    register_new(tmp_path, "--vtr", json.dumps(P9), "--vtr", json.dumps(list(reversed(P9))))

    assert client_fields(NEW_CLIENT_ID)["vtr_sets"] == [P9]


def test_call_command_takes_scopes_and_vtr_sets_as_python_values(tmp_path: Path) -> None:
    """How conftest.py and local_setup register the portal."""
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())

    call_command(
        REGISTER,
        client_id=NEW_CLIENT_ID,
        redirect_uris=[NEW_REDIRECT_URI],
        public_key=key_file,
        scopes="openid profile email",
        vtr_sets=[tuple(BOTH), tuple(P9)],
        stdout=io.StringIO(),
    )

    fields = client_fields(NEW_CLIENT_ID)
    assert fields["scopes"] == ["openid", "profile", "email"]
    assert fields["vtr_sets"] == [BOTH, P9]


def test_call_command_takes_several_redirect_uris(tmp_path: Path) -> None:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())
    uris = [NEW_REDIRECT_URI, "https://new-portal.example.org/other/callback/"]

    call_command(
        REGISTER,
        client_id=NEW_CLIENT_ID,
        redirect_uris=uris,
        public_key=key_file,
        stdout=io.StringIO(),
    )

    assert client_fields(NEW_CLIENT_ID)["redirect_uris"] == uris


def test_a_redirect_uri_is_required(tmp_path: Path) -> None:
    key_file = write_public_key(tmp_path / "public.pem", private_key_generate())

    with pytest.raises(CommandError, match="at least one --redirect-uri"):
        register("--client-id", NEW_CLIENT_ID, "--public-key", str(key_file))

    assert not Client.objects.exists()


def write_jwk(path: Path, jwk: dict[str, Any]) -> Path:
    path.write_text(json.dumps(jwk))
    return path


def test_registers_a_jwk_with_its_kid(tmp_path: Path) -> None:
    private_key = private_key_generate()
    jwk_file = write_jwk(
        tmp_path / "key.jwk", public_jwk(private_key.public_key(), kid="portal-key-1")
    )

    output = register(
        "--client-id", NEW_CLIENT_ID, "--redirect-uri", NEW_REDIRECT_URI, "--jwk", str(jwk_file)
    )

    assert "a JWK (kid portal-key-1)" in output
    fields = client_fields(NEW_CLIENT_ID)
    assert fields["key_id"] == "portal-key-1"
    assert fields["public_key_pem"] == public_key_pem(private_key.public_key())


def test_registers_only_the_public_half_of_a_private_jwk(tmp_path: Path) -> None:
    private_key = private_key_generate()
    private_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key))
    jwk_file = write_jwk(tmp_path / "key.jwk", {**private_jwk, "kid": "k1"})

    register(
        "--client-id", NEW_CLIENT_ID, "--redirect-uri", NEW_REDIRECT_URI, "--jwk", str(jwk_file)
    )

    stored = client_fields(NEW_CLIENT_ID)["public_key_pem"]
    assert "PRIVATE" not in stored
    assert stored == public_key_pem(private_key.public_key())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            lambda: json.dumps(rsa_jwk_members(private_key_generate().public_key())),
            "no kid",
            id="jwk-without-kid",
        ),
        pytest.param(lambda: "not json", "not a JSON Web Key", id="not-json"),
        pytest.param(lambda: json.dumps({"kty": "EC", "kid": "x"}), "not an RSA", id="not-rsa"),
        pytest.param(
            lambda: json.dumps({"kty": "RSA", "kid": "x", "n": "AQAB"}),
            "not a valid RSA",
            id="incomplete",
        ),
        pytest.param(
            lambda: json.dumps(
                public_jwk(
                    rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(),  # noqa: S505
                    kid="weak",
                )
            ),
            "2048 bits",
            id="rsa-1024",
        ),
    ],
)
def test_refuses_a_jwk_that_is_not_an_rsa_key_with_a_kid(
    tmp_path: Path, content: Callable[[], str], message: str
) -> None:
    jwk_file = tmp_path / "key.jwk"
    jwk_file.write_text(content())

    with pytest.raises(CommandError, match=message):
        register(
            "--client-id", NEW_CLIENT_ID, "--redirect-uri", NEW_REDIRECT_URI, "--jwk", str(jwk_file)
        )

    assert not Client.objects.exists()


def test_a_key_is_given_as_a_pem_or_a_jwk_not_both(tmp_path: Path) -> None:
    private_key = private_key_generate()
    pem = write_public_key(tmp_path / "public.pem", private_key)
    jwk = write_jwk(tmp_path / "key.jwk", public_jwk(private_key.public_key(), kid="k"))
    base = ["--client-id", NEW_CLIENT_ID, "--redirect-uri", NEW_REDIRECT_URI]

    with pytest.raises(CommandError, match="not allowed with argument"):
        register(*base, "--public-key", str(pem), "--jwk", str(jwk))
    with pytest.raises(CommandError, match="one of the arguments --public-key --jwk"):
        register(*base)


def test_single_sign_on_partners_are_shared_both_ways_and_replaced_on_update(
    tmp_path: Path, registered_client: Client
) -> None:
    output = register_new(tmp_path, "--sso-with", CLIENT_ID)

    new = Client.objects.get(client_id=NEW_CLIENT_ID)
    assert output.endswith(f"  single sign-on with: {CLIENT_ID}\n")
    assert list(new.sso_partners.all()) == [registered_client]
    assert list(registered_client.sso_partners.all()) == [new]

    register_new(tmp_path)

    assert not new.sso_partners.exists()
    assert not registered_client.sso_partners.exists()


def test_a_client_can_share_single_sign_on_with_itself(tmp_path: Path) -> None:
    """As an uplift journey between two flows of one partner needs (NHS login's SSO page)."""
    register_new(tmp_path, "--sso-with", NEW_CLIENT_ID)

    client = Client.objects.get(client_id=NEW_CLIENT_ID)
    assert list(client.sso_partners.all()) == [client]


# Key rotation


@pytest.fixture
def key_dir(tmp_path: Path) -> Iterator[Path]:
    """The simulator's keys in a directory of this test's own."""
    with override_settings(NHS_LOGIN_SIMULATOR_KEY_DIR=tmp_path):
        yield tmp_path / "signing-keys"


def rotate() -> str:
    out = io.StringIO()
    call_command(ROTATE, stdout=out)
    return out.getvalue()


def published_kids() -> list[str]:
    response = HttpClient().get("/nhs-login-simulator/.well-known/jwks.json")
    assert response.status_code == 200
    return [jwk["kid"] for jwk in response.json()["keys"]]


def test_rotation_signs_with_a_new_key_and_keeps_the_previous_one_published(
    key_dir: Path,
) -> None:
    before = [key.kid for key in signing_keys()]
    assert len(before) == 2

    output = rotate()

    after = [key.kid for key in signing_keys()]
    assert after[0] not in before
    assert after == [after[0], before[0]]
    assert published_kids() == after
    assert before[1] not in published_kids()
    assert output == f"Now signing with {after[0]}; published: {after[0]}, {before[0]}\n"


def test_rotation_keeps_only_two_keys_on_disk_readable_only_by_the_owner(key_dir: Path) -> None:
    rotate()
    rotate()
    rotate()

    files = sorted(key_dir.glob("*.pem"))
    assert len(files) == 2
    assert len(published_kids()) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in files)


def test_rotation_starts_from_an_empty_key_directory(key_dir: Path) -> None:
    assert not key_dir.exists()

    rotate()

    assert len(published_kids()) == 2
    assert len(list(key_dir.glob("*.pem"))) == 2


def test_tokens_are_signed_with_the_new_key_after_rotation(
    key_dir: Path, flow: SimulatorFlow, exchange: Exchange
) -> None:
    rotate()
    new_kid = signing_keys()[0].kid

    tokens = exchange(code=flow.code_for()).json()

    assert jwt.get_unverified_header(tokens["id_token"])["kid"] == new_kid
    assert jwt.get_unverified_header(tokens["access_token"])["kid"] == new_kid


def test_access_token_signed_before_one_rotation_is_still_accepted(
    key_dir: Path, flow: SimulatorFlow, exchange: Exchange
) -> None:
    access_token = exchange(code=flow.code_for()).json()["access_token"]
    headers = {"Authorization": f"Bearer {access_token}"}

    rotate()
    after_one = HttpClient().get("/nhs-login-simulator/userinfo", headers=headers)
    rotate()
    after_two = HttpClient().get("/nhs-login-simulator/userinfo", headers=headers)

    assert after_one.status_code == 200
    assert after_two.status_code == 401
    assert 'error="invalid_token"' in after_two["WWW-Authenticate"]


def test_rotation_writes_rsa_2048_pkcs8_keys(key_dir: Path) -> None:
    rotate()

    for path in key_dir.glob("*.pem"):
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.key_size == 2048
        assert path.read_bytes() == private_key_pem(key)


def linkage_key(*arguments: str) -> str:
    out = io.StringIO()
    call_command(LINKAGE_KEY, *arguments, stdout=out)
    return out.getvalue()


def test_the_linkage_key_is_made_on_first_use_readable_only_by_the_owner(
    key_dir: Path,
) -> None:
    private_path = key_dir.parent / "linkage-client" / "private_key.pem"
    assert not private_path.exists()

    printed = linkage_key()

    private_key = serialization.load_pem_private_key(private_path.read_bytes(), password=None)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert private_key.key_size == 2048
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert printed == public_key_pem(private_key.public_key())
    assert "PRIVATE" not in printed


def test_the_linkage_key_stays_the_same_from_one_run_to_the_next(key_dir: Path) -> None:
    assert linkage_key() == linkage_key()


def test_the_linkage_key_is_not_a_signing_key(key_dir: Path) -> None:
    printed = serialization.load_pem_public_key(linkage_key().encode())
    assert isinstance(printed, rsa.RSAPublicKey)

    published = [key.private_key.public_key().public_numbers() for key in signing_keys()]

    assert printed.public_numbers() not in published


def test_the_linkage_key_can_be_written_to_a_file(key_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "public" / "nhs-login-simulator.pem"

    output = linkage_key("--out", str(out))

    assert out.read_text() == linkage_key()
    assert output == f"Wrote the public key of client nhs-login-simulator to {out}\n"


def test_the_linkage_key_refuses_a_file_it_cannot_write(key_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    with pytest.raises(CommandError, match="Cannot write"):
        linkage_key("--out", str(blocker / "key.pem"))
