"""scripts/stack_check.py (`make stack-check`) needs a container engine and runs for minutes,
so it is not part of `make test`; what it proves with is tested here. Its per-address probe
runs inside a container with nothing but the standard library: run so here, against a real
portal, it sees each answer and the limit."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper

from tests.support import NhsLoginLive

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "stack_check.py"


@functools.cache
def _stack_check() -> ModuleType:
    """The script as a module (it is run, not imported, so it is not on the path)."""
    spec = importlib.util.spec_from_file_location("stack_check", SCRIPT)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client_address(settings: SettingsWrapper) -> str:
    """The live server's every other test counts 127.0.0.1 in the shared Redis: this test's
    requests come from an address of their own, through a trusted proxy (198.18.0.0/15,
    RFC 2544)."""
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    return f"198.{18 + secrets.randbelow(2)}.{secrets.randbelow(256)}.{1 + secrets.randbelow(254)}"


def _probe_alone(base_url: str, kind: str, attempts: int, forwarded_for: str) -> list[int]:
    """As in the stack's container: the function's source, json, and nothing else."""
    source = inspect.getsource(_stack_check().address_limit_probe)
    program = (
        f"import json\n{source}\n"
        f"print(json.dumps(address_limit_probe({base_url!r}, 'localhost', {kind!r}, "
        f"{attempts}, {forwarded_for!r})))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-I", "-c", program],
        env={"PATH": os.defpath},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    statuses: list[int] = json.loads(completed.stdout)
    return statuses


def test_the_probe_starts_sign_ins_until_the_address_is_refused(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, client_address: str
) -> None:
    settings.SIGN_IN_RATE_LIMIT_PER_MINUTE = 2

    statuses = _probe_alone(nhs_login_live.base_url, "sign-in", 3, client_address)

    # Two sign-ins sent on to NHS login, the third refused.
    assert statuses == [302, 302, 429]


def test_the_probe_asks_for_tokens_until_the_address_is_refused(
    nhs_login_live: NhsLoginLive, settings: SettingsWrapper, client_address: str
) -> None:
    settings.LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 2

    statuses = _probe_alone(nhs_login_live.base_url, "token", 3, client_address)

    assert statuses[:2] == [400, 400]  # no assertion: refused, but counted
    assert statuses[2] == 429


def test_the_check_names_the_load_balancer_compose_trusts() -> None:
    compose = yaml.safe_load((Path(settings.BASE_DIR) / "compose.yaml").read_text())
    check = _stack_check()

    assert compose["services"]["portal"]["environment"]["TRUSTED_PROXIES"] == (
        check.LOAD_BALANCER_ADDRESS
    )
    assert compose["services"]["load-balancer"]["ports"] == ["127.0.0.1:8000:80"]
    assert check.BASE_URL == "http://localhost:8000"
