"""Stateless app servers: two gunicorn processes over one PostgreSQL and one Redis serve one
signed-in patient interchangeably (sessions and caches live in Redis); a third, whose
PostgreSQL cannot be reached, still serves the signed-in pages that need no database."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from accounts.sign_in_flow import vtr_sets_sent
from core.rsa_keys import private_key_generate, private_key_write
from demo.practice import demo_practice_seed
from tests.portal_browser import PortalBrowser

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class AppServers(NamedTuple):
    first: str
    second: str
    without_database: str  # shares Redis, but its PostgreSQL refuses connections


@pytest.fixture
def app_servers(tmp_path: Path) -> Iterator[AppServers]:
    addresses = AppServers(*(f"http://127.0.0.1:{_free_port()}" for _ in range(3)))
    first = addresses.first
    database = connection.settings_dict
    key_path = tmp_path / "nhs-login.pem"
    private_key_write(key_path, private_key_generate())
    issuer = f"{first}/nhs-login-simulator"
    environment = {
        "PATH": os.defpath,
        "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": f"scale-out-{os.getpid()}",
        "DATA_DIR": str(tmp_path),
        "NHS_LOGIN_SIMULATOR_KEY_DIR": str(tmp_path / "simulator"),
        "LINKAGE_ENCRYPTION_KEYS": settings.LINKAGE_ENCRYPTION_KEYS[0],
        "PORTAL_BASE_URL": first,
        "NHS_LOGIN_ISSUER": issuer,
        "NHS_LOGIN_SIMULATOR_ISSUER": issuer,
        "NHS_LOGIN_CLIENT_ID": "scale-out-portal",
        "NHS_LOGIN_PRIVATE_KEY_PATH": str(key_path),
    }
    call_command(
        "nhs_login_simulator_client_register",
        client_id="scale-out-portal",
        redirect_uris=[f"{first}/auth/nhs-login/callback/"],
        public_key=key_path,
        scopes=settings.NHS_LOGIN_SCOPES,
        vtr_sets=vtr_sets_sent(),
        stdout=io.StringIO(),
    )
    demo_practice_seed()
    servers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "citizen_portal.wsgi",
                "--bind",
                address.removeprefix("http://"),
                "--log-level",
                "warning",
            ],
            env={
                **environment,
                **(
                    {"DATABASE_URL": "postgres://nobody@127.0.0.1:1/unreachable"}
                    if address == addresses.without_database
                    else {}
                ),
            },
            cwd=settings.BASE_DIR,
        )
        for address in addresses
    ]
    try:
        for address in addresses:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"{address}/health/live", timeout=5)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, f"{address} did not start"
                    time.sleep(0.2)
        yield addresses
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def test_a_patient_signed_in_on_one_server_is_signed_in_on_the_other(
    app_servers: AppServers,
) -> None:
    first, second, _ = app_servers
    browser = PortalBrowser(first)

    home = browser.sign_in(user="p9-demo-practice")
    on_second = browser.get(f"{second}/home/")

    assert home.url == f"{first}/home/"
    assert on_second.status_code == 200
    assert "999 000 0018" in on_second.text
    assert requests.get(f"{second}/health/ready", timeout=5).json()["checks"] == {
        "database": "ok",
        "redis": "ok",
    }


def test_signing_out_on_one_server_signs_out_on_both(app_servers: AppServers) -> None:
    first, second, _ = app_servers
    browser = PortalBrowser(first)
    browser.sign_in(user="p9-demo-practice")

    sign_out_page = browser.get(f"{second}/auth/sign-out/").text
    token = sign_out_page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    browser.session.post(
        f"{second}/auth/sign-out/confirm/",
        data={"csrfmiddlewaretoken": token},
        headers={"Referer": f"{second}/auth/sign-out/"},
        allow_redirects=False,
        timeout=10,
    )

    assert browser.get(f"{first}/home/").status_code == 302
    assert browser.get(f"{second}/home/").status_code == 302


def test_a_server_that_loses_postgresql_keeps_serving_the_signed_in_patients_home_page(
    app_servers: AppServers,
) -> None:
    browser = PortalBrowser(app_servers.first)
    browser.sign_in(user="p9-demo-practice")

    home = browser.get(f"{app_servers.without_database}/home/")
    linkage = browser.get(f"{app_servers.without_database}/home/linkage-details/")
    ready = requests.get(f"{app_servers.without_database}/health/ready", timeout=10)

    assert home.status_code == 200
    assert "999 000 0018" in home.text
    assert linkage.status_code == 503  # needs the register: a plain 503 page, not a 500
    assert "Sorry, the service is unavailable" in linkage.text
    assert ready.status_code == 503
    # Back on a server with its database, nothing was lost.
    assert browser.get(f"{app_servers.first}/home/linkage-details/").status_code == 200
