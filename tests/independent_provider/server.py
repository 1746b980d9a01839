"""Starts tests/independent_provider/provider.mjs on a free port and stops it again.

The provider is registered with its clients before it starts, as NHS login's onboarding team
registers a service (Federation specification 7.1): client id, name, redirect URIs, scopes, the
``vtr`` sets it may send and its public key as a PEM file; and whether the provider refuses its
authorization requests without an S256 PKCE challenge (the portal's: docs/adr/0012).
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.conf import settings

SCRIPT = Path(__file__).with_name("provider.mjs")
PACKAGE = Path(settings.BASE_DIR) / "node_modules" / "oidc-provider"
START_SECONDS = 20
TIMEOUT = 10


@dataclass(frozen=True)
class ClientRegistration:
    client_id: str
    client_name: str
    redirect_uris: tuple[str, ...]
    public_key_path: Path
    scope: str
    vtr_sets: tuple[tuple[str, ...], ...]
    pkce_required: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_name": self.client_name,
            "redirect_uris": list(self.redirect_uris),
            "public_key": str(self.public_key_path),
            "scope": self.scope,
            "vtr_sets": [list(vtr) for vtr in self.vtr_sets],
            "pkce_required": self.pkce_required,
        }


@dataclass(frozen=True)
class IndependentProvider:
    issuer: str
    log_path: Path

    def discovery(self) -> dict[str, Any]:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=TIMEOUT)
        response.raise_for_status()
        document: dict[str, Any] = response.json()
        return document

    def assertion_headers(self, client_id: str) -> list[dict[str, Any]]:
        """The JOSE header of each client assertion the token endpoint accepted from this
        client since the last reset (the provider keeps headers only, never an assertion)."""
        response = requests.get(
            f"{self.issuer}/test-only/client-assertion-headers", timeout=TIMEOUT
        )
        response.raise_for_status()
        headers: list[dict[str, Any]] = response.json().get(client_id, [])
        return headers

    def reset(self) -> None:
        """Forget identity checks, consents and recorded headers: each test starts afresh."""
        requests.post(f"{self.issuer}/test-only/reset", timeout=TIMEOUT).raise_for_status()


def node_path() -> str | None:
    return shutil.which("node")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_discovery(issuer: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the provider exited: {log_path.read_text()}")
        try:
            requests.get(f"{issuer}/.well-known/openid-configuration", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"the provider did not start in {START_SECONDS} s: {log_path.read_text()}")


@contextmanager
def independent_provider_running(
    *, node: str, clients: list[ClientRegistration], directory: Path
) -> Iterator[IndependentProvider]:
    """The provider, listening on 127.0.0.1 and answering discovery, until the block ends."""
    if not PACKAGE.is_dir():
        raise RuntimeError("oidc-provider is not installed: run `make setup` (npm ci)")
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    clients_path = directory / "clients.json"
    clients_path.write_text(json.dumps([client.as_json() for client in clients]))
    log_path = directory / "provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(SCRIPT), "--port", str(port), "--clients", str(clients_path)],
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_discovery(issuer, process, log_path)
        yield IndependentProvider(issuer, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
