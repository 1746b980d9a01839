"""Settings per environment: safe defaults, and production's refusal to start half-configured.

Each case imports a settings module in a fresh Python process with exactly the environment
given, because settings are read once, at import.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.simulator import gp_systems_parse, simulator_install
from tests.settings_process import PRODUCTION_ENV, settings_import, settings_read

PRINT_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SECRET_KEY": settings.SECRET_KEY,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "DATABASE_ENGINE": settings.DATABASES["default"]["ENGINE"],
    "DATABASE_NAME": str(settings.DATABASES["default"]["NAME"]),
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "SESSION_ENGINE": settings.SESSION_ENGINE,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SIMULATOR_INSTALLED": "nhs_login_simulator" in settings.INSTALLED_APPS,
    "NHS_LOGIN_ISSUER": settings.NHS_LOGIN_ISSUER,
    "NHS_LOGIN_PRIVATE_KEY_PATH": settings.NHS_LOGIN_PRIVATE_KEY_PATH,
    "OIDC_USE_PKCE": settings.OIDC_USE_PKCE,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": settings.OIDC_PKCE_CODE_CHALLENGE_METHOD,
    "OIDC_PKCE_CODE_VERIFIER_SIZE": settings.OIDC_PKCE_CODE_VERIFIER_SIZE,
    "SERVICE_ORGANISATION_NAME": settings.SERVICE_ORGANISATION_NAME,
}))
"""


def _import_settings(
    module: str, environment: dict[str, str], data_dir: Path
) -> subprocess.CompletedProcess[str]:
    return settings_import(module, environment, data_dir, script=PRINT_SETTINGS)


def _settings(module: str, environment: dict[str, str], data_dir: Path) -> dict[str, Any]:
    return settings_read(module, environment, data_dir, script=PRINT_SETTINGS)


def test_production_refuses_to_start_and_names_every_missing_variable(tmp_path: Path) -> None:
    completed = _import_settings("production", {}, tmp_path)

    assert completed.returncode != 0
    last_line = completed.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
    for name in PRODUCTION_ENV:
        assert f"{name} is missing or empty" in last_line


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV), ids=str.lower)
def test_production_names_the_one_variable_left_empty(tmp_path: Path, missing: str) -> None:
    completed = _import_settings("production", {**PRODUCTION_ENV, missing: " "}, tmp_path)

    last_line = completed.stderr.strip().splitlines()[-1]
    assert completed.returncode != 0
    assert f"{missing} is missing or empty" in last_line
    for present in set(PRODUCTION_ENV) - {missing}:
        assert present not in last_line


def test_production_refuses_debug(tmp_path: Path) -> None:
    completed = _import_settings("production", {**PRODUCTION_ENV, "DEBUG": "true"}, tmp_path)

    assert completed.returncode != 0
    assert "DEBUG must not be on in production" in completed.stderr


def test_production_refuses_the_nhs_login_simulator(tmp_path: Path) -> None:
    completed = _import_settings(
        "production", {**PRODUCTION_ENV, "NHS_LOGIN_SIMULATOR_ENABLED": "true"}, tmp_path
    )

    assert completed.returncode != 0
    assert "NHS_LOGIN_SIMULATOR_ENABLED must not be on in production" in completed.stderr


def test_production_names_who_runs_the_service_with_an_address_patients_can_write_to(
    tmp_path: Path,
) -> None:
    """The footer, the privacy notice and the accessibility statement name them: production
    never shows the demo's."""
    environment = {**PRODUCTION_ENV, "SERVICE_CONTACT_EMAIL": "not-an-address"}

    completed = _import_settings("production", environment, tmp_path)

    assert completed.returncode != 0
    assert "SERVICE_CONTACT_EMAIL (not-an-address) is not an email address" in completed.stderr
    loaded = _settings("production", PRODUCTION_ENV, tmp_path)
    assert loaded["SERVICE_ORGANISATION_NAME"] == "Example GP Systems Ltd"


def test_simulator_is_installed_only_where_enabled(tmp_path: Path) -> None:
    assert _settings("local", {}, tmp_path)["SIMULATOR_INSTALLED"] is True
    assert (
        _settings("local", {"NHS_LOGIN_SIMULATOR_ENABLED": "false"}, tmp_path)[
            "SIMULATOR_INSTALLED"
        ]
        is False
    )
    assert _settings("production", PRODUCTION_ENV, tmp_path)["SIMULATOR_INSTALLED"] is False


def test_the_simulator_is_installed_once_and_leaves_bases_values_alone() -> None:
    """components/simulator.py: the one place local, test and base install it from."""
    installed_apps = ["core", "accounts"]
    exempt: list[str] = []
    policy: dict[str, Any] = {"DIRECTIVES": {"default-src": ["'self'"]}, "EXCLUDE_URL_PREFIXES": []}
    module_globals: dict[str, Any] = {
        "INSTALLED_APPS": installed_apps,
        "PORTAL_MIDDLEWARE_EXEMPT_PREFIXES": exempt,
        "CONTENT_SECURITY_POLICY": policy,
    }

    simulator_install(module_globals)
    simulator_install(module_globals)

    assert module_globals["INSTALLED_APPS"] == ["core", "accounts", "nhs_login_simulator"]
    assert module_globals["PORTAL_MIDDLEWARE_EXEMPT_PREFIXES"] == ["/nhs-login-simulator/"]
    assert module_globals["CONTENT_SECURITY_POLICY"] == {
        "DIRECTIVES": {"default-src": ["'self'"]},
        "EXCLUDE_URL_PREFIXES": ["/nhs-login-simulator/"],
    }
    assert installed_apps == ["core", "accounts"]  # base's own lists are not changed
    assert exempt == policy["EXCLUDE_URL_PREFIXES"] == []


def test_local_points_nhs_login_at_the_built_in_simulator(tmp_path: Path) -> None:
    loaded = _settings("local", {}, tmp_path)

    assert loaded["NHS_LOGIN_ISSUER"] == "http://127.0.0.1:8000/nhs-login-simulator"
    assert loaded["NHS_LOGIN_PRIVATE_KEY_PATH"] == str(tmp_path / "nhs_login" / "private_key.pem")


def test_production_starts_with_https_only_cookies_and_hsts(tmp_path: Path) -> None:
    loaded = _settings("production", PRODUCTION_ENV, tmp_path)

    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["portal.example.org"]
    assert loaded["DATABASE_ENGINE"] == "core.postgresql"
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["CSRF_COOKIE_SECURE"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is True
    assert loaded["SECURE_HSTS_SECONDS"] >= 31536000


@pytest.mark.parametrize("module", ["production", "local"])
def test_every_sign_in_sends_pkce_with_s256_and_no_variable_turns_it_off(
    tmp_path: Path, module: str
) -> None:
    """docs/adr/0012: PKCE is not configuration, so an environment cannot drop it."""
    environment = {
        **(PRODUCTION_ENV if module == "production" else {}),
        "OIDC_USE_PKCE": "false",
        "OIDC_PKCE_CODE_CHALLENGE_METHOD": "plain",
    }

    loaded = _settings(module, environment, tmp_path)

    assert loaded["OIDC_USE_PKCE"] is True
    assert loaded["OIDC_PKCE_CODE_CHALLENGE_METHOD"] == "S256"
    assert 43 <= loaded["OIDC_PKCE_CODE_VERIFIER_SIZE"] <= 128  # RFC 7636, 4.1


def test_local_defaults_to_debug_and_sqlite_under_the_data_dir(tmp_path: Path) -> None:
    loaded = _settings("local", {}, tmp_path)

    assert loaded["DEBUG"] is True
    assert loaded["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert loaded["DATABASE_NAME"] == str(tmp_path / "db.sqlite3")
    assert loaded["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_local_generates_a_private_secret_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = _settings("local", {}, tmp_path)["SECRET_KEY"]
    second = _settings("local", {}, tmp_path)["SECRET_KEY"]

    key_file = tmp_path / "secret_key"
    assert first == second == key_file.read_text()
    assert len(first) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_local_uses_database_url_when_it_is_set(tmp_path: Path) -> None:
    loaded = _settings("local", {"DATABASE_URL": "postgres://me@127.0.0.1:5432/mine"}, tmp_path)

    assert loaded["DATABASE_ENGINE"] == "core.postgresql"
    assert loaded["DATABASE_NAME"] == "mine"


def test_debug_is_off_unless_local(tmp_path: Path) -> None:
    assert _settings("test", {}, tmp_path)["DEBUG"] is False
    assert _settings("production", PRODUCTION_ENV, tmp_path)["DEBUG"] is False


def test_redis_url_moves_cache_and_sessions_to_redis(tmp_path: Path) -> None:
    loaded = _settings("local", {"REDIS_URL": "redis://127.0.0.1:6379/9"}, tmp_path)

    assert loaded["CACHE_BACKEND"] == "django_redis.cache.RedisCache"
    assert loaded["SESSION_ENGINE"] == "core.cache_sessions"


@pytest.mark.parametrize("module", ["local", "production"])
def test_a_malformed_switch_stops_start_up_rather_than_being_guessed(
    tmp_path: Path, module: str
) -> None:
    completed = _import_settings(module, {**PRODUCTION_ENV, "DEBUG": "ture"}, tmp_path)

    assert completed.returncode != 0
    assert "DEBUG must be one of" in completed.stderr
    assert "'ture'" in completed.stderr


SETTINGS_DIR = Path(settings.BASE_DIR) / "citizen_portal" / "settings"
ENV_READ = re.compile(r"""env(?:\.\w+|_\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""")


def test_env_example_documents_every_variable_the_settings_read() -> None:
    read = {m for path in SETTINGS_DIR.rglob("*.py") for m in ENV_READ.findall(path.read_text())}
    documented = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]+)=",
            (Path(settings.BASE_DIR) / ".env.example").read_text(),
            re.M,
        )
    )

    assert read, "the pattern found no variables: has the settings style changed?"
    assert {"NHS_LOGIN_ISSUER", "LINKAGE_ENCRYPTION_KEYS", "LOG_LEVEL"} <= read  # components/
    assert read - documented == set()


# Made by tools, not written here: mutants/ is mutmut's copy of the apps (make mutation).
GENERATED = {".venv", "node_modules", ".tools", "mutants"}


def test_code_outside_settings_never_reads_the_environment() -> None:
    base = Path(settings.BASE_DIR)
    allowed = {
        base / "manage.py",
        base / "citizen_portal" / "wsgi.py",
        base / "citizen_portal" / "asgi.py",
        base / "conftest.py",
        # The benchmark sets up the environment of the servers it starts.
        base / "bench" / "run.py",
        base / "bench" / "lean.py",
        # So does the mutation run, for the tests it runs (SQLite, the memory cache).
        base / "scripts" / "mutation.py",
        # gunicorn's own settings (GUNICORN_*), read by gunicorn before Django starts.
        base / "gunicorn.conf.py",
        # The image's health check reads gunicorn's bind and ALLOWED_HOSTS without Django.
        base / "scripts" / "container_healthcheck.py",
        # make stack-check hands this machine's environment, and the stack's secrets, to Compose.
        base / "scripts" / "stack_check.py",
    }
    offenders = [
        str(path.relative_to(base))
        for path in base.glob("**/*.py")
        if not any(part in GENERATED | {"tests"} for part in path.parts)
        and path not in allowed
        and not path.is_relative_to(SETTINGS_DIR)
        and re.search(r"os\.environ|os\.getenv", path.read_text())
    ]

    assert offenders == []


def test_production_refuses_the_benchmark_baseline(tmp_path: Path) -> None:
    completed = _import_settings(
        "production", {**PRODUCTION_ENV, "BENCHMARK_BASELINE_ENABLED": "true"}, tmp_path
    )

    assert completed.returncode != 0
    assert "BENCHMARK_BASELINE_ENABLED must not be on in production" in completed.stderr


@pytest.mark.parametrize("name", ["NHS_LOGIN_ISSUER", "PORTAL_BASE_URL"])
@pytest.mark.parametrize(
    "value",
    ["http://auth.sandpit.signin.nhs.uk", "ftp://portal.example.org", "auth.login.nhs.uk"],
    ids=["http", "another-scheme", "no-scheme"],
)
def test_production_refuses_an_address_that_is_not_https(
    tmp_path: Path, name: str, value: str
) -> None:
    """Federation specification 7.3: no http redirect URIs; an http issuer could be anyone."""
    completed = _import_settings("production", {**PRODUCTION_ENV, name: value}, tmp_path)

    last_line = completed.stderr.strip().splitlines()[-1]
    assert completed.returncode != 0
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
    assert f"{name} must be an https:// address, not {value}" in last_line
    other = ({"NHS_LOGIN_ISSUER", "PORTAL_BASE_URL"} - {name}).pop()
    assert other not in last_line


PROVISIONING_ENV = {
    "NHS_LOGIN_PROVISIONING_URL": "https://api.login.nhs.uk/provisioning",
    "NHS_LOGIN_PROVISIONING_TOKEN_URL": "https://auth.login.nhs.uk/token",
    "NHS_LOGIN_PROVISIONING_CLIENT_ID": "citizen-portal-provisioning",
    "NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH": "/run/secrets/provisioning.pem",
}


def test_production_starts_with_account_provisioning_configured(tmp_path: Path) -> None:
    completed = _import_settings("production", {**PRODUCTION_ENV, **PROVISIONING_ENV}, tmp_path)

    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize(
    ("changed", "problem"),
    [
        pytest.param(
            {"NHS_LOGIN_PROVISIONING_URL": "http://api.login.nhs.uk/provisioning"},
            "NHS_LOGIN_PROVISIONING_URL must be an https:// address",
            id="http-url",
        ),
        pytest.param(
            {"NHS_LOGIN_PROVISIONING_TOKEN_URL": "http://auth.login.nhs.uk/token"},
            "NHS_LOGIN_PROVISIONING_TOKEN_URL must be an https:// address",
            id="http-token-url",
        ),
        pytest.param(
            {"NHS_LOGIN_PROVISIONING_CLIENT_ID": ""},
            "NHS_LOGIN_PROVISIONING_CLIENT_ID is missing or empty",
            id="no-client",
        ),
        pytest.param(
            {"NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH": " "},
            "NHS_LOGIN_PROVISIONING_PRIVATE_KEY_PATH is missing or empty",
            id="no-key",
        ),
    ],
)
def test_production_refuses_account_provisioning_half_configured_or_over_http(
    tmp_path: Path, changed: dict[str, str], problem: str
) -> None:
    """The Provision Account interface, 2.1: "HTTP is not supported"."""
    completed = _import_settings(
        "production", {**PRODUCTION_ENV, **PROVISIONING_ENV, **changed}, tmp_path
    )

    assert completed.returncode != 0
    assert problem in completed.stderr.strip().splitlines()[-1]


# compose.yaml's defaults for the one-machine stack (citizen_portal.settings.stack).
STACK_ENV = {
    **PRODUCTION_ENV,
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "PORTAL_BASE_URL": "http://localhost:8000",
    "NHS_LOGIN_ISSUER": "http://simulator.localhost:8001/nhs-login-simulator",
}


@pytest.mark.parametrize(
    ("name", "value", "refusal"),
    [
        ("PORTAL_BASE_URL", "http://localhost:8000", "must be an https:// address"),
        ("PORTAL_BASE_URL", "https://localhost:8443", "must not be this machine"),
        ("PORTAL_BASE_URL", "https://portal.localhost", "must not be this machine"),
        ("NHS_LOGIN_ISSUER", "http://127.0.0.1:8001/nhs-login-simulator", "https://"),
        ("NHS_LOGIN_ISSUER", "https://simulator.localhost/nhs-login-simulator", "this machine"),
        (
            "NHS_LOGIN_ISSUER",
            "https://portal.example.org/nhs-login-simulator/",
            "is the NHS login simulator",
        ),
    ],
    ids=[
        "http-localhost",
        "https-localhost",
        "dot-localhost",
        "simulator-over-http",
        "simulator-on-this-machine",
        "simulator-on-a-public-host",
    ],
)
def test_production_refuses_the_one_machine_stacks_addresses(
    tmp_path: Path, name: str, value: str, refusal: str
) -> None:
    """compose.yaml's defaults must never reach production."""
    completed = _import_settings("production", {**PRODUCTION_ENV, name: value}, tmp_path)

    last_line = completed.stderr.strip().splitlines()[-1]
    assert completed.returncode != 0
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured:")
    assert f"{name} " in last_line
    assert refusal in last_line


def test_the_stack_starts_with_compose_yamls_defaults_and_deployed_hardening(
    tmp_path: Path,
) -> None:
    loaded = _settings("stack", STACK_ENV, tmp_path)

    assert loaded["DEBUG"] is False
    assert loaded["NHS_LOGIN_ISSUER"] == STACK_ENV["NHS_LOGIN_ISSUER"]
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["SECURE_HSTS_SECONDS"] == 63072000
    assert loaded["SIMULATOR_INSTALLED"] is False


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        (
            {"PORTAL_BASE_URL": "https://portal.example.org"},
            "PORTAL_BASE_URL must be this machine",
        ),
        (
            {"ALLOWED_HOSTS": "localhost,portal.example.org"},
            "ALLOWED_HOSTS may name only this machine",
        ),
        (
            {"NHS_LOGIN_ISSUER": "http://auth.sandpit.signin.nhs.uk"},
            "NHS_LOGIN_ISSUER must be an https:// address",
        ),
        ({"DEBUG": "true"}, "DEBUG must not be on"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is missing or empty"),
    ],
    ids=["public-base-url", "public-allowed-host", "http-issuer-elsewhere", "debug", "no-secret"],
)
def test_the_stack_refuses_to_serve_anything_but_this_machine(
    tmp_path: Path, environment: dict[str, str], refusal: str
) -> None:
    """The stack's relaxations are paid for: it can never be put in front of patients."""
    completed = _import_settings("stack", {**STACK_ENV, **environment}, tmp_path)

    assert completed.returncode != 0
    assert refusal in completed.stderr.strip().splitlines()[-1]


def test_the_stack_may_sign_in_with_nhs_login_itself(tmp_path: Path) -> None:
    loaded = _settings(
        "stack", {**STACK_ENV, "NHS_LOGIN_ISSUER": "https://auth.sandpit.signin.nhs.uk"}, tmp_path
    )

    assert loaded["NHS_LOGIN_ISSUER"] == "https://auth.sandpit.signin.nhs.uk"


def test_production_names_both_http_addresses_at_once(tmp_path: Path) -> None:
    completed = _import_settings(
        "production",
        {
            **PRODUCTION_ENV,
            "PORTAL_BASE_URL": "http://portal.example.org",
            "NHS_LOGIN_ISSUER": "http://localhost.example.org",
        },
        tmp_path,
    )

    last_line = completed.stderr.strip().splitlines()[-1]
    assert "PORTAL_BASE_URL must be an https:// address" in last_line
    assert "NHS_LOGIN_ISSUER must be an https:// address" in last_line


_READ_STAFF_SIGN_IN = """
import json
from django.conf import settings
print(json.dumps({
    "ADMIN_TWO_FACTOR_REQUIRED": settings.ADMIN_TWO_FACTOR_REQUIRED,
    "ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT": settings.ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT,
    "ADMIN_LOCKOUT_FAILURES_PER_ADDRESS": settings.ADMIN_LOCKOUT_FAILURES_PER_ADDRESS,
    "AXES_COOLOFF_SECONDS": settings.AXES_COOLOFF_TIME.total_seconds(),
    "AXES_CLIENT_IP_CALLABLE": settings.AXES_CLIENT_IP_CALLABLE,
    "ADMIN_HOST": settings.ADMIN_HOST,
}))
"""


def test_production_requires_two_factors_and_locks_out_by_default(tmp_path: Path) -> None:
    loaded = settings_read("production", PRODUCTION_ENV, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert loaded == {
        "ADMIN_TWO_FACTOR_REQUIRED": True,
        "ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT": 5,
        "ADMIN_LOCKOUT_FAILURES_PER_ADDRESS": 20,
        "AXES_COOLOFF_SECONDS": 900.0,
        "AXES_CLIENT_IP_CALLABLE": "core.client_address.client_lockout_address",
        "ADMIN_HOST": "",
    }


def test_the_staff_sign_in_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    environment = {
        **PRODUCTION_ENV,
        "ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT": "3",
        "ADMIN_LOCKOUT_FAILURES_PER_ADDRESS": "50",
        "ADMIN_LOCKOUT_MINUTES": "30",
        "ADMIN_TWO_FACTOR_REQUIRED": "false",
    }

    loaded = settings_read("production", environment, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert loaded["ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT"] == 3
    assert loaded["ADMIN_LOCKOUT_FAILURES_PER_ADDRESS"] == 50
    assert loaded["AXES_COOLOFF_SECONDS"] == 1800.0
    assert loaded["ADMIN_TWO_FACTOR_REQUIRED"] is False


def test_a_lockout_limit_of_zero_stops_the_portal(tmp_path: Path) -> None:
    environment = {**PRODUCTION_ENV, "ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT": "0"}

    completed = settings_import("production", environment, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert completed.returncode != 0
    assert "ADMIN_LOCKOUT_FAILURES_PER_ACCOUNT must be at least 1" in completed.stderr


def test_local_settings_let_staff_in_with_a_password_alone(tmp_path: Path) -> None:
    loaded = settings_read("local", {}, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert loaded["ADMIN_TWO_FACTOR_REQUIRED"] is False


def test_production_refuses_an_admin_host_it_would_not_answer_to(tmp_path: Path) -> None:
    environment = {**PRODUCTION_ENV, "ADMIN_HOST": "admin.portal.example.org"}

    completed = settings_import("production", environment, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert completed.returncode != 0
    assert "ADMIN_HOST (admin.portal.example.org) must be one of ALLOWED_HOSTS too" in (
        completed.stderr
    )


def test_production_serves_the_admin_on_a_host_it_answers_to(tmp_path: Path) -> None:
    environment = {
        **PRODUCTION_ENV,
        "ADMIN_HOST": "Admin.Portal.Example.org",
        "ALLOWED_HOSTS": "portal.example.org,admin.portal.example.org",
    }

    loaded = settings_read("production", environment, tmp_path, script=_READ_STAFF_SIGN_IN)

    assert loaded["ADMIN_HOST"] == "admin.portal.example.org"


# The simulator's directory of GP systems (docs/adr/0026).

_READ_GP_SYSTEMS = """
import json
from django.conf import settings
print(json.dumps(settings.NHS_LOGIN_SIMULATOR_GP_SYSTEMS))
"""


@pytest.mark.parametrize(
    ("raw", "directory"),
    [
        pytest.param("{}", {}, id="none"),
        pytest.param("A12345=http://127.0.0.1:8000", {"A12345": "http://127.0.0.1:8000"}, id="one"),
        pytest.param(
            " a12345 = https://gp-one.example.org/ , B23456=https://gp-two.example.org/linkage",
            {
                "A12345": "https://gp-one.example.org",
                "B23456": "https://gp-two.example.org/linkage",
            },
            id="pairs",
        ),
        pytest.param(
            '{"A12345": "https://gp-one.example.org", "b23456": "http://localhost:8001/"}',
            {"A12345": "https://gp-one.example.org", "B23456": "http://localhost:8001"},
            id="json",
        ),
    ],
)
def test_the_gp_systems_directory_reads_pairs_or_json(raw: str, directory: dict[str, str]) -> None:
    assert gp_systems_parse(raw) == directory


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("A1234=http://gp.example.org", "'A1234' is not an ODS code", id="code"),
        pytest.param("A12345", "the URL for A12345 must be http or https", id="no-url"),
        pytest.param("A12345=ftp://gp.example.org", "must be http or https", id="scheme"),
        pytest.param(
            "A12345=http://one.example.org,a12345=http://two.example.org",
            "names A12345 more than once",
            id="twice",
        ),
        pytest.param('{"A12345": ', "is not valid JSON", id="json"),
        pytest.param('{"A12345": 1}', "must map ODS codes to URLs", id="json-not-urls"),
    ],
)
def test_the_gp_systems_directory_refuses_what_it_cannot_use(raw: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="NHS_LOGIN_SIMULATOR_GP_SYSTEMS") as refused:
        gp_systems_parse(raw)

    assert message in str(refused.value)


def test_the_simulator_takes_the_demo_practice_to_be_held_by_this_portal(tmp_path: Path) -> None:
    environment = {"PORTAL_BASE_URL": "http://127.0.0.1:8260"}

    loaded = settings_read("local", environment, tmp_path, script=_READ_GP_SYSTEMS)
    emptied = settings_read(
        "local",
        {**environment, "NHS_LOGIN_SIMULATOR_GP_SYSTEMS": "{}"},
        tmp_path,
        script=_READ_GP_SYSTEMS,
    )

    assert loaded == {"A12345": "http://127.0.0.1:8260"}
    assert emptied == {}


def test_a_gp_systems_directory_it_cannot_use_stops_the_start(tmp_path: Path) -> None:
    environment = {"NHS_LOGIN_SIMULATOR_GP_SYSTEMS": "A12345=gp.example.org"}

    completed = settings_import("local", environment, tmp_path, script=_READ_GP_SYSTEMS)

    assert completed.returncode != 0
    assert "NHS_LOGIN_SIMULATOR_GP_SYSTEMS: the URL for A12345 must be http or https" in (
        completed.stderr
    )
