"""`make run` itself, started as a developer starts it, on a free port of this machine: for the
tests of what a laptop's portal does (tests/browser/test_make_run.py).

The command runs in a fresh checkout's conditions as far as a test can make them: its own data
directory (a new SQLite database, new keys), no database or Redis of the test run, and an
environment holding only what is given. The checkout's own ``.env``, if any, is read by the local
settings as it is for the developer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from django.conf import settings

# A fresh data directory means migrations on a new SQLite database and new RSA keys.
START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_it_answers(base_url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert server.poll() is None, f"make run stopped:\n{log.read_text()[-3000:]}"
        try:
            requests.get(f"{base_url}/health/live", timeout=5)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, f"make run did not answer:\n{log.read_text()}"
            time.sleep(0.5)


@contextmanager
def make_run(data_dir: Path, *, port: int, **environment: str) -> Iterator[str]:
    """Run ``make run PORT=port`` until the block ends; yield the address it serves, as a browser
    on this machine opens it."""
    log = data_dir / "make-run.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        server = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"PORT={port}"],
            cwd=settings.BASE_DIR,
            env={
                "PATH": os.environ.get("PATH", os.defpath),
                "HOME": os.environ.get("HOME", str(data_dir)),
                "DATA_DIR": str(data_dir),
                **environment,
            },
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, runserver and its reloader: one group to stop
        )
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_it_answers(base_url, server, log)
        yield base_url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
