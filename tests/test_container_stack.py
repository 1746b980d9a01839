"""compose.yaml, its load balancer and the Dockerfile, checked as far as a machine without a
container engine can: every command they run exists, the portal waits for its one-shot steps,
production's required variables are all given, the image runs as a user of its own with no
build tools, the load balancer is the one hop the portal trusts and logs no query string, and
the app servers connect as the application role. `make stack-check` (scripts/stack_check.py)
runs the real thing."""

from __future__ import annotations

import ast
import ipaddress
import json
import re
import runpy
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands

from accounts.sign_in_flow import vtr_sets_sent

BASE = Path(settings.BASE_DIR)
COMPOSE: dict[str, Any] = yaml.safe_load((BASE / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
DOCKERFILE = (BASE / "Dockerfile").read_text()
FINAL_STAGE = DOCKERFILE.rsplit("\nFROM ", 1)[1]
LOAD_BALANCER_CONF = (BASE / "deploy" / "compose" / "load-balancer.conf").read_text()
DATABASE_ROLES_SQL = (BASE / "deploy" / "compose" / "database-roles.sql").read_text()
GUNICORN = runpy.run_path(str(BASE / "gunicorn.conf.py"))
# postgres://USER:${PASSWORD_VARIABLE...}@HOST...: compose fills the password in.
DATABASE_URL = re.compile(r"postgres://(?P<user>[^:@]+):(?P<password>[^@]*)@(?P<host>[^:/]+)")


def _production_required_variables() -> set[str]:
    """Read, not imported: importing production settings without them refuses to start."""
    module = ast.parse((BASE / "citizen_portal" / "settings" / "start_up_checks.py").read_text())
    for node in module.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "REQUIRED_VARIABLES"
            for target in node.targets
        ):
            return set(ast.literal_eval(node.value))
    raise AssertionError("production.py no longer names REQUIRED_VARIABLES")


def _command_text(service: dict[str, Any]) -> str:
    command = service.get("command", [])
    return " ".join(command) if isinstance(command, list) else str(command)


def _shell_steps(service: dict[str, Any]) -> list[list[str]]:
    """The commands of a ``sh -c "a && b"`` service, each split into its words."""
    command = service["command"]
    assert command[:2] == ["sh", "-c"]
    return [shlex.split(step) for step in command[2].split("&&")]


@pytest.mark.parametrize("name", sorted(n for n, s in SERVICES.items() if s.get("build") == "."))
def test_every_management_command_a_service_runs_exists(name: str) -> None:
    called = re.findall(r"manage\.py\s+([a-z_]+)", _command_text(SERVICES[name]))

    assert set(called) <= set(get_commands()), f"{name} runs {called}"


def test_the_portal_waits_for_its_migration_and_its_key_and_does_not_migrate_itself() -> None:
    portal = SERVICES["portal"]

    assert portal["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert portal["depends_on"]["nhs-login-key"]["condition"] == "service_completed_successfully"
    assert portal["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "migrate" not in _command_text(portal)
    assert SERVICES["migrate"]["restart"] == "no"
    assert _shell_steps(SERVICES["migrate"])[0] == ["python", "manage.py", "migrate", "--no-input"]


def test_the_portal_is_given_every_variable_production_requires() -> None:
    environment = SERVICES["portal"]["environment"]

    assert environment["DJANGO_SETTINGS_MODULE"] == "citizen_portal.settings.stack"
    required = _production_required_variables()
    assert "SECRET_KEY" in required
    assert required <= set(environment)
    # State lives in the stack's PostgreSQL and Redis, not in the app server.
    assert environment["DATABASE_URL"].startswith("postgres://")
    assert environment["REDIS_URL"].startswith("redis://")


def test_the_key_step_keeps_an_existing_key_and_the_simulator_registers_it() -> None:
    key_step = _command_text(SERVICES["nhs-login-key"])
    simulator = SERVICES["simulator"]
    key_path = SERVICES["portal"]["environment"]["NHS_LOGIN_PRIVATE_KEY_PATH"]

    assert key_step.startswith('sh -c test -f "$$NHS_LOGIN_PRIVATE_KEY_PATH" ||')
    assert key_path.startswith("/data/")
    assert "portal-data:/portal-data:ro" in simulator["volumes"]
    assert f"--public-key /portal-data/{key_path.removeprefix('/data/')}" in _command_text(
        simulator
    )
    assert "simulator" in simulator["profiles"]


def test_the_image_runs_gunicorn_from_its_config_as_a_user_of_its_own() -> None:
    final_stage = DOCKERFILE.rsplit("\nFROM ", 1)[1]

    assert re.search(r"^USER portal$", final_stage, re.MULTILINE)
    assert 'CMD ["gunicorn", "citizen_portal.wsgi"]' in final_stage
    assert "collectstatic" in final_stage
    # The locked packages without the development group, installed in their own stage.
    packages_stage = DOCKERFILE.split(" AS python-packages\n", 1)[1].split("\nFROM ", 1)[0]
    assert "uv sync --locked --no-dev" in packages_stage
    assert (BASE / "gunicorn.conf.py").exists()


def test_the_image_user_cannot_write_its_own_code() -> None:
    """Files COPY brings in are root's unless --chown says otherwise; only /data is the
    portal user's."""
    final_stage = DOCKERFILE.rsplit("\nFROM ", 1)[1]
    copies = [line for line in final_stage.splitlines() if line.startswith("COPY ")]

    assert copies
    assert not [line for line in copies if "--chown" in line]
    assert "chown portal:portal /data" in final_stage
    assert not re.search(r"chown\b[^\n]*\s/app\b", final_stage)
    assert not re.search(r"chmod\b[^\n]*\s/app\b", final_stage)


def test_the_stack_runs_the_one_machine_settings_and_the_image_production() -> None:
    """The stack's relaxed settings are named by compose.yaml alone: the image, run anywhere
    else, gets production's."""
    assert "DJANGO_SETTINGS_MODULE=citizen_portal.settings.production" in DOCKERFILE
    for name, service in SERVICES.items():
        environment = service.get("environment", {})
        if name != "simulator" and service.get("build") == ".":
            assert environment["DJANGO_SETTINGS_MODULE"] == "citizen_portal.settings.stack"


def _compose_default(value: str) -> str:
    """The value a ``${NAME:-default}`` gives when NAME is not set."""
    found = re.fullmatch(r"\$\{[A-Z_]+:-(.*)\}", value)
    return found.group(1) if found else value


def test_the_simulator_registers_the_portals_scopes_and_every_vtr_set_it_sends() -> None:
    """The simulator refuses scopes and vtr sets not registered, as NHS login does, so the
    stack registers what the portal sends: the same variables, with the same defaults."""
    simulator = SERVICES["simulator"]
    portal = SERVICES["portal"]["environment"]
    command = _command_text(simulator)
    environment = simulator["environment"]

    assert '--scopes "$${PORTAL_SCOPES}"' in command
    assert '--vtr "$${PORTAL_VTR}" --vtr "$${PORTAL_STEP_UP_VTR}"' in command
    assert environment["PORTAL_SCOPES"] == portal["NHS_LOGIN_SCOPES"]
    assert environment["PORTAL_VTR"] == portal["NHS_LOGIN_VTR"]
    assert _compose_default(environment["PORTAL_SCOPES"]) == settings.NHS_LOGIN_SCOPES
    registered = [
        tuple(json.loads(_compose_default(environment[name])))
        for name in ("PORTAL_VTR", "PORTAL_STEP_UP_VTR")
    ]
    assert tuple(registered) == vtr_sets_sent()


# --- The load balancer -------------------------------------------------------------------------


def _nginx_directives(name: str) -> list[str]:
    """The arguments of every ``name ...;`` directive in the load balancer's configuration."""
    text = re.sub(r"#[^\n]*", "", LOAD_BALANCER_CONF)
    return [" ".join(found.split()) for found in re.findall(rf"\b{name}\s+([^;{{]*);", text)]


def test_only_the_load_balancer_publishes_a_port_and_only_on_this_machine() -> None:
    """`--scale portal=3` failed while every portal server published 8000 itself."""
    load_balancer = SERVICES["load-balancer"]

    assert load_balancer["image"] == "nginx:stable-bookworm"
    assert load_balancer["ports"] == ["127.0.0.1:8000:80"]
    assert "ports" not in SERVICES["portal"]
    published = {
        port.split(":")[0] for service in SERVICES.values() for port in service.get("ports", [])
    }
    assert published == {"127.0.0.1"}
    assert load_balancer["depends_on"]["portal"]["condition"] == "service_healthy"
    assert (
        "./deploy/compose/load-balancer.conf:/etc/nginx/conf.d/default.conf:ro"
        in load_balancer["volumes"]
    )


def test_the_load_balancer_finds_every_portal_server_by_name_and_retries_a_refusal() -> None:
    """The engine's DNS answers the service name with every server, looked up again every
    few seconds, so scaling and restarts need no reload; a server that refuses or does not
    accept the connection (stopping, restarting) passes the request to another."""
    assert _nginx_directives("resolver") == ["127.0.0.11 valid=5s ipv6=off"]
    assert set(_nginx_directives("set")) == {"$portal_servers http://portal:8000"}
    assert set(_nginx_directives("proxy_pass")) == {"$portal_servers"}
    assert GUNICORN["bind"].endswith(":8000")
    assert _nginx_directives("proxy_next_upstream") == ["error timeout"]
    assert _nginx_directives("proxy_connect_timeout") == ["2s"]
    read_timeout = int(_nginx_directives("proxy_read_timeout")[0].removesuffix("s"))
    assert read_timeout > GUNICORN["timeout"]


def test_the_load_balancer_appends_the_client_address_and_sets_the_scheme() -> None:
    """The portal walks X-Forwarded-For from the right (core/client_address.py): nginx must
    append the address it was connected from, never pass the client's header alone, and
    overwrite whatever scheme the client claimed (SECURE_PROXY_SSL_HEADER)."""
    headers = dict(directive.split(" ", 1) for directive in _nginx_directives("proxy_set_header"))

    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    # The host with its port, as the browser sent it: ALLOWED_HOSTS and CSRF's origin check.
    assert headers["Host"] == "$http_host"


def test_the_portal_trusts_the_load_balancer_and_nothing_else() -> None:
    """Exactly one trusted hop, the load balancer's fixed address, which no other container
    can be given: the engine hands out addresses from the upper half of the network only."""
    trusted = SERVICES["portal"]["environment"]["TRUSTED_PROXIES"]
    pool = COMPOSE["networks"]["default"]["ipam"]["config"][0]
    subnet = ipaddress.ip_network(pool["subnet"])
    given_out = ipaddress.ip_network(pool["ip_range"])
    fixed = {
        name: ipaddress.ip_address(service["networks"]["default"]["ipv4_address"])
        for name, service in SERVICES.items()
        if isinstance(service.get("networks"), dict)
    }

    assert trusted == str(fixed["load-balancer"])
    assert ipaddress.ip_network(trusted).num_addresses == 1
    assert given_out.subnet_of(subnet)  # type: ignore[arg-type]
    for address in fixed.values():
        assert address in subnet
        assert address not in given_out
    assert len(set(fixed.values())) == len(fixed)


def test_the_load_balancer_answers_only_this_machines_names() -> None:
    """The stack serves this machine only (settings.stack); its load balancer closes any
    other name without an answer, and its server names are the stack's allowed hosts."""
    assert "80 default_server" in _nginx_directives("listen")
    assert _nginx_directives("return") == ["444"]
    names = [name for names in _nginx_directives("server_name") for name in names.split()]
    assert names[0] == "_"
    allowed = _compose_default(SERVICES["portal"]["environment"]["ALLOWED_HOSTS"]).split(",")
    assert set(allowed) <= set(names[1:])
    for name in names[1:]:
        assert name in ("localhost", "127.0.0.1") or name.endswith(".localhost")


def test_the_load_balancer_logs_paths_without_query_strings() -> None:
    """The callback's query string carries NHS login's code and state, the NHS App's jump-off
    an assertion, admin's search an NHS number: the access log writes the path only, every
    server uses that format, and the error log (which quotes the request line) only
    critical errors."""
    formats = _nginx_directives("log_format")
    access_logs = _nginx_directives("access_log")

    assert len(formats) == 1
    name, log_format = formats[0].split(" ", 1)
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$arg_"):
        assert variable not in log_format + " "
    assert "$uri" in log_format
    assert "$remote_addr" in log_format
    assert "upstream=$upstream_addr" in log_format
    assert len(access_logs) == LOAD_BALANCER_CONF.count("server {")
    assert all(log.endswith(f" {name}") for log in access_logs)
    assert _nginx_directives("error_log") == ["/var/log/nginx/error.log crit"]


def test_the_load_balancer_takes_a_register_upload() -> None:
    """nginx refuses bodies over 1 MB by default; the portal takes a register up to
    UPLOAD_MAX_BYTES and refuses a bigger one itself, with a message."""
    size = _nginx_directives("client_max_body_size")[0]

    assert size.endswith("m")
    assert int(size.removesuffix("m")) * 1024 * 1024 > settings.UPLOAD_MAX_BYTES


# --- Stopping servers, keeping state -----------------------------------------------------------


def test_a_stopped_server_finishes_its_requests_before_the_engine_kills_it() -> None:
    """The engine sends SIGTERM, waits stop_grace_period, then kills: gunicorn (process 1 in
    exec form) must have finished its requests by then."""
    grace = SERVICES["portal"]["stop_grace_period"]

    assert re.fullmatch(r"\d+s", grace)
    assert int(grace.removesuffix("s")) > GUNICORN["graceful_timeout"]
    assert re.search(r'^CMD \["gunicorn", ', FINAL_STAGE, re.MULTILINE)
    assert not re.search(r"^STOPSIGNAL", FINAL_STAGE, re.MULTILINE)  # SIGTERM, gunicorn's graceful
    assert GUNICORN["control_socket_disable"] is True


def test_the_state_lives_in_named_volumes() -> None:
    """`docker compose down` keeps named volumes: the register, keys and audit trail in
    PostgreSQL's, the NHS login key in the portal's. Redis keeps nothing (sessions only)."""
    assert "postgres-data:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    assert "portal-data:/data" in SERVICES["nhs-login-key"]["volumes"]
    assert "portal-data:/data:ro" in SERVICES["portal"]["volumes"]
    assert {"postgres-data", "portal-data", "simulator-data"} <= set(COMPOSE["volumes"])
    assert "volumes" not in SERVICES["redis"]


# --- Database roles ----------------------------------------------------------------------------


def _database_user(service: str) -> str:
    found = DATABASE_URL.match(SERVICES[service]["environment"]["DATABASE_URL"])
    assert found
    return found.group("user")


def test_migrations_run_as_the_owner_and_the_app_servers_as_the_app_role() -> None:
    """docs/operations.md, "Database roles": the owner migrates and grants; the app servers
    connect as a role that owns nothing and may only read and add audit events."""
    owner = _database_user("migrate")
    app = _database_user("portal")
    grant = _shell_steps(SERVICES["migrate"])[1]

    assert owner == SERVICES["postgres"]["environment"]["POSTGRES_USER"] == "portal"
    assert app == "portal_app"
    assert grant == [
        "python",
        "manage.py",
        "database_app_role_grant",
        "--role",
        app,
        "--apply",
    ]
    for name in ("nhs-login-key", "portal"):
        assert _database_user(name) == app


def test_the_database_roles_step_makes_the_app_role_before_the_migration() -> None:
    step = SERVICES["database-roles"]

    assert step["image"] == SERVICES["postgres"]["image"]
    assert step["entrypoint"] == ["psql"]
    assert "--file=/database-roles.sql" in step["command"]
    assert "--set=ON_ERROR_STOP=1" in step["command"]
    assert SERVICES["migrate"]["depends_on"]["database-roles"]["condition"] == (
        "service_completed_successfully"
    )
    assert "CREATE ROLE portal_app" in DATABASE_ROLES_SQL
    assert re.search(
        r"ALTER ROLE portal_app WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", DATABASE_ROLES_SQL
    )
    assert "\\getenv app_password DATABASE_APP_PASSWORD" in DATABASE_ROLES_SQL
    assert "DATABASE_APP_PASSWORD" in step["environment"]


def test_no_password_is_written_in_compose_yaml() -> None:
    """Every password comes from the operator's environment file, and is required."""
    required = re.compile(r"\$\{(?P<name>[A-Z_]+):\?set (?P=name)\}")
    urls = [
        service["environment"]["DATABASE_URL"]
        for service in SERVICES.values()
        if "DATABASE_URL" in service.get("environment", {})
    ]

    assert urls
    for url in urls:
        found = DATABASE_URL.match(url)
        assert found, url
        assert required.fullmatch(found.group("password")), url
    assert required.fullmatch(SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"])
    assert required.fullmatch(SERVICES["database-roles"]["environment"]["PGPASSWORD"])


# --- The image ---------------------------------------------------------------------------------


def test_the_final_stage_has_no_build_tools() -> None:
    """uv and npm work in stages of their own; the final stage copies their results."""
    stages = re.findall(r"^FROM (\S+) AS (\S+)$", DOCKERFILE, re.MULTILINE)
    instructions = [line for line in FINAL_STAGE.splitlines() if line and line[0].isupper()]

    assert [name for _, name in stages] == ["frontend", "python-packages", "portal"]
    assert stages[1][0] == stages[2][0]  # the environment's interpreter is the same python3
    for tool in ("uv ", "pip install", "npm", "apt-get", "gcc", "build-essential"):
        assert tool not in FINAL_STAGE, tool
    assert "COPY --from=python-packages /app/.venv .venv" in instructions
    assert "COPY --from=frontend /build/static/vendor static/vendor" in instructions


def test_the_image_checks_its_own_health_under_an_allowed_host() -> None:
    healthcheck = re.search(r"^HEALTHCHECK (.*?)\n(?=\S)", FINAL_STAGE, re.MULTILINE | re.DOTALL)

    assert healthcheck
    assert 'CMD ["python", "scripts/container_healthcheck.py"]' in healthcheck.group(1)
    assert (BASE / "scripts" / "container_healthcheck.py").exists()
    assert "healthcheck" not in SERVICES["portal"]  # the image's own


def test_the_image_user_has_the_fixed_id_the_orchestrators_run_it_as() -> None:
    assert "--uid 10001" in FINAL_STAGE
    assert "--gid 10001" in FINAL_STAGE


def test_secrets_never_enter_the_image_build_context() -> None:
    """COPY . . takes whatever the build context holds: the environment files and the
    Kubernetes secrets an operator writes beside the repository's files stay out."""
    ignored = {
        line.strip()
        for line in (BASE / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }

    assert {".env*", "deploy", ".git"} <= ignored
