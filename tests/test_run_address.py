"""Where `make run` serves the portal, and the address the portal then gives itself: the
Makefile's HOST and PORT reach the local settings, whose PORTAL_BASE_URL (the NHS login redirect
URI), simulator issuer and allowed hosts follow them (citizen_portal/settings/components/portal.py).
tests/browser/test_make_run.py signs a patient in through `make run` on a port of its own."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from citizen_portal.settings.components.portal import listening_address_url
from tests.settings_process import settings_import, settings_read

# What HOST says to listen on every interface: given to make, never bound by this test.
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104

PRINT_ADDRESSES = """
import json
from django.conf import settings
print(json.dumps({
    "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
    "NHS_LOGIN_ISSUER": settings.NHS_LOGIN_ISSUER,
    "NHS_LOGIN_SIMULATOR_ISSUER": settings.NHS_LOGIN_SIMULATOR_ISSUER,
    "NHS_LOGIN_SETTINGS_URL": settings.NHS_LOGIN_SETTINGS_URL,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
}))
"""


def _local(environment: dict[str, str], data_dir: Path) -> dict[str, Any]:
    return settings_read("local", environment, data_dir, script=PRINT_ADDRESSES)


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        pytest.param("127.0.0.1", "8000", "http://127.0.0.1:8000", id="default"),
        pytest.param("127.0.0.1", "8150", "http://127.0.0.1:8150", id="another-port"),
        pytest.param("localhost", "8150", "http://localhost:8150", id="name"),
        pytest.param(EVERY_INTERFACE, "8150", "http://127.0.0.1:8150", id="every-ipv4-interface"),
        pytest.param("::", "8150", "http://127.0.0.1:8150", id="every-ipv6-interface"),
        pytest.param("", "8150", "http://127.0.0.1:8150", id="no-host"),
        pytest.param("::1", "8150", "http://[::1]:8150", id="ipv6"),
        pytest.param("[::1]", "8150", "http://[::1]:8150", id="ipv6-in-brackets"),
        pytest.param(" portal.localhost ", "08150", "http://portal.localhost:8150", id="spaces"),
    ],
)
def test_a_listening_address_is_written_as_a_browser_on_this_machine_opens_it(
    host: str, port: str, url: str
) -> None:
    assert listening_address_url(host, port) == url


@pytest.mark.parametrize("port", ["", "http", "0", "65536", "-1", "\uff18\uff10\uff10\uff10"])
def test_a_port_that_is_not_a_port_number_stops_the_start_up(port: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PORT must be a port number"):
        listening_address_url("127.0.0.1", port)


def test_the_local_portal_takes_the_address_make_run_serves_on(tmp_path: Path) -> None:
    loaded = _local({"HOST": "127.0.0.1", "PORT": "8150"}, tmp_path)

    assert loaded["PORTAL_BASE_URL"] == "http://127.0.0.1:8150"
    # The built-in simulator, and so NHS login itself locally, follow it.
    assert loaded["NHS_LOGIN_SIMULATOR_ISSUER"] == "http://127.0.0.1:8150/nhs-login-simulator"
    assert loaded["NHS_LOGIN_ISSUER"] == "http://127.0.0.1:8150/nhs-login-simulator"
    assert loaded["NHS_LOGIN_SETTINGS_URL"] == (
        "http://127.0.0.1:8150/nhs-login-simulator/settings"
    )


def test_without_host_or_port_the_local_portal_is_on_port_8000(tmp_path: Path) -> None:
    loaded = _local({}, tmp_path)

    assert loaded["PORTAL_BASE_URL"] == "http://127.0.0.1:8000"
    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        pytest.param(EVERY_INTERFACE, ["127.0.0.1", "localhost"], id="every-interface"),
        pytest.param("::1", ["127.0.0.1", "localhost", "[::1]"], id="ipv6"),
        pytest.param("portal.localhost", ["127.0.0.1", "localhost", "portal.localhost"], id="name"),
    ],
)
def test_the_local_portal_answers_to_the_name_of_its_own_address(
    tmp_path: Path, host: str, allowed: list[str]
) -> None:
    assert _local({"HOST": host, "PORT": "8150"}, tmp_path)["ALLOWED_HOSTS"] == allowed


def test_a_portal_base_url_that_is_set_wins_over_host_and_port(tmp_path: Path) -> None:
    """Behind a tunnel or a proxy, the address patients use is not the one runserver binds."""
    loaded = _local(
        {
            "HOST": EVERY_INTERFACE,
            "PORT": "8150",
            "PORTAL_BASE_URL": "http://laptop.localhost:9000/",
        },
        tmp_path,
    )

    assert loaded["PORTAL_BASE_URL"] == "http://laptop.localhost:9000"
    assert loaded["NHS_LOGIN_ISSUER"] == "http://laptop.localhost:9000/nhs-login-simulator"
    assert loaded["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "laptop.localhost"]


def test_a_port_that_is_not_a_number_stops_the_local_portal_and_says_so(tmp_path: Path) -> None:
    completed = settings_import("local", {"PORT": "eighty"}, tmp_path, script=PRINT_ADDRESSES)

    assert completed.returncode != 0
    assert "PORT must be a port number from 1 to 65535, not 'eighty'" in completed.stderr


def test_the_simulator_on_its_own_port_has_that_ports_issuer_whatever_env_says(
    tmp_path: Path,
) -> None:
    """`make simulator` empties PORTAL_BASE_URL and NHS_LOGIN_SIMULATOR_ISSUER (a developer's
    .env may set them for the portal) and passes its own port."""
    loaded = _local(
        {
            "HOST": "127.0.0.1",
            "PORT": "8001",
            "PORTAL_BASE_URL": "",
            "NHS_LOGIN_SIMULATOR_ISSUER": "",
        },
        tmp_path,
    )

    assert loaded["NHS_LOGIN_SIMULATOR_ISSUER"] == "http://127.0.0.1:8001/nhs-login-simulator"


# --- The Makefile's commands (make -n prints them without running them) ----------------------


def _exported(target: str, *arguments: str, **environment: str) -> dict[str, str]:
    """What the target's runserver is given, run for real with ``MANAGE`` replaced by a
    command that prints its environment and arguments."""
    script = (
        "import json, os, sys; print(json.dumps({**os.environ, 'argv': ' '.join(sys.argv[1:])}))"
    )
    completed = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            "setup",
            "-o",
            "migrate",
            target,
            *arguments,
            f"MANAGE=python3 -c {json.dumps(script)}",
        ],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ.get("PATH", os.defpath), **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    runserver = [
        json.loads(line)
        for line in completed.stdout.splitlines()
        if line.startswith("{") and "runserver" in line
    ]
    assert len(runserver) == 1, completed.stdout
    found: dict[str, str] = runserver[0]
    return found


@pytest.mark.parametrize(
    ("arguments", "environment", "address", "port"),
    [
        pytest.param((), {}, "127.0.0.1:8000", "8000", id="default"),
        pytest.param(("PORT=8150",), {}, "127.0.0.1:8150", "8150", id="port-argument"),
        pytest.param((), {"PORT": "8150"}, "127.0.0.1:8150", "8150", id="port-environment"),
        pytest.param(("HOST=0.0.0.0",), {}, "0.0.0.0:8000", "8000", id="every-interface"),
        pytest.param(("HOST=::1", "PORT=8150"), {}, "[::1]:8150", "8150", id="ipv6"),
    ],
)
def test_make_run_serves_on_host_and_port_and_tells_the_settings(
    arguments: tuple[str, ...], environment: dict[str, str], address: str, port: str
) -> None:
    given = _exported("run", *arguments, **environment)

    assert given["argv"] == f"runserver {address}"
    assert given["PORT"] == port
    assert given["HOST"] == address.rsplit(":", 1)[0].strip("[]")


def test_make_simulator_serves_on_its_own_port_with_that_ports_address() -> None:
    given = _exported("simulator", "PORT=8150", PORTAL_BASE_URL="http://127.0.0.1:8000")

    assert given["argv"] == "runserver 127.0.0.1:8001"
    assert given["PORT"] == "8001"
    assert given["PORTAL_BASE_URL"] == ""
    assert given["NHS_LOGIN_SIMULATOR_ISSUER"] == ""
    assert _exported("simulator", "SIMULATOR_PORT=8201")["argv"] == "runserver 127.0.0.1:8201"


def test_the_portal_signing_in_with_the_simulator_on_its_own_port_links_to_its_settings(
    tmp_path: Path,
) -> None:
    loaded = _local({"NHS_LOGIN_ISSUER": "http://127.0.0.1:8001/nhs-login-simulator"}, tmp_path)

    assert loaded["NHS_LOGIN_SETTINGS_URL"] == "http://127.0.0.1:8001/nhs-login-simulator/settings"
