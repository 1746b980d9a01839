"""compose.yaml and the Dockerfile, checked as far as a machine without a container engine
can: every command they run exists, the portal waits for its one-shot steps, production's
required variables are all given, and the image runs as a user of its own."""

from __future__ import annotations

import ast
import json
import re
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
    assert shlex.split(_command_text(SERVICES["migrate"]))[-2:] == ["migrate", "--no-input"]


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
    assert "--no-dev" in final_stage
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
