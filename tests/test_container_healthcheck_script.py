"""scripts/container_healthcheck.py, the image's HEALTHCHECK, against a real server: healthy
only when asked under a host name the portal allows, since Django answers any other Host with
400 and production's ALLOWED_HOSTS never names localhost."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from pytest_django.fixtures import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

SCRIPT = Path(settings.BASE_DIR) / "scripts" / "container_healthcheck.py"


def _health_check(*, bind: str, allowed_hosts: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={"PATH": os.defpath, "GUNICORN_BIND": bind, "ALLOWED_HOSTS": allowed_hosts},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _bind(live_server: LiveServer) -> str:
    return f"0.0.0.0:{urlsplit(live_server.url).port}"


def test_healthy_when_asked_under_the_first_allowed_host(
    live_server: LiveServer, settings: SettingsWrapper
) -> None:
    settings.ALLOWED_HOSTS = ["portal.example.org"]

    completed = _health_check(
        bind=_bind(live_server), allowed_hosts="portal.example.org,other.example.org"
    )

    assert completed.returncode == 0, completed.stderr


def test_unhealthy_under_a_host_the_portal_refuses(
    live_server: LiveServer, settings: SettingsWrapper
) -> None:
    """What a check of http://localhost would meet in production."""
    settings.ALLOWED_HOSTS = ["portal.example.org"]

    completed = _health_check(bind=_bind(live_server), allowed_hosts="localhost")

    assert completed.returncode == 1
    assert "400" in completed.stderr


def test_unhealthy_when_nothing_answers() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    completed = _health_check(bind=f"0.0.0.0:{port}", allowed_hosts="localhost")

    assert completed.returncode == 1
    assert "unhealthy" in completed.stderr


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ("portal.example.org", "portal.example.org"),
        (" .example.org , portal.example.org", "example.org"),
        ("*,portal.example.org", "portal.example.org"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
    ids=["one-name", "subdomain-pattern", "wildcard-skipped", "wildcard-only", "none"],
)
def test_the_host_asked_for_is_one_allowed_hosts_matches(allowed_hosts: str, host: str) -> None:
    namespace: dict[str, object] = {}
    exec(compile(SCRIPT.read_text(), str(SCRIPT), "exec"), namespace)  # noqa: S102
    health_host = namespace["health_host"]
    assert callable(health_host)

    assert health_host(allowed_hosts) == host
