"""The lean load generator for `make bench`: wrk (Debian's ``wrk`` package), one thread pinned to
one core, sending the linkage API's calls from bodies written before the timed window
(bench/wrk_calls.lua). It costs the servers far less CPU than a Python client on the same two
cores, and its own CPU time is measured and reported beside theirs.

The sign-in flow is not sent by wrk: it crosses two servers (the portal and NHS login) with
cookies and forms, so bench/run.py still drives it from its asyncio client.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk_calls.lua"
# The core wrk runs on (taskset); the servers, PostgreSQL and Redis are not pinned.
GENERATOR_CORE = int(os.environ.get("BENCH_GENERATOR_CORE", str((os.cpu_count() or 1) - 1)))


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class Calls:
    """What one scenario sends: a method and path, and the bodies to send (each once, or
    round and round)."""

    method: str
    path: str
    bodies: list[str]
    each_once: bool = False
    content_type: str = "application/json"
    authorization: str = ""
    cookie: str = ""
    # What each body was made from, in the same order (the patients of creates).
    sources: list[Any] = field(default_factory=list)


@dataclass
class WrkResult:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    generator_cpu_seconds: float


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wrk_run(base: str, calls: Calls, concurrency: int, seconds: float) -> WrkResult:
    """Run wrk against ``base`` for ``seconds`` with ``concurrency`` connections."""
    wrk = wrk_path()
    if wrk is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (or BENCH_ARGS=--generator httpx)")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(calls.bodies))
        bodies_file = handle.name
    env = {
        **os.environ,
        "BENCH_METHOD": calls.method,
        "BENCH_PATH": calls.path,
        "BENCH_BODIES": bodies_file if calls.bodies else "",
        "BENCH_CONTENT_TYPE": calls.content_type,
        "BENCH_AUTHORIZATION": calls.authorization,
        "BENCH_COOKIE": calls.cookie,
        "BENCH_EACH_ONCE": "1" if calls.each_once else "0",
        "BENCH_THREADS": "1",
    }
    command = [
        "taskset", "-c", str(GENERATOR_CORE), wrk, "-t", "1", "-c", str(concurrency),
        "-d", f"{seconds:g}s", "--timeout", "30s", "-s", str(LUA_SCRIPT), base + calls.path,
    ]  # fmt: skip
    before = _children_cpu()
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    finally:
        Path(bodies_file).unlink(missing_ok=True)
    generator_cpu = _children_cpu() - before
    line = next(
        (text for text in completed.stdout.splitlines() if text.startswith('{"requests"')), None
    )
    if completed.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{completed.stdout}\n{completed.stderr}")
    figures = json.loads(line)
    errors = sum(
        figures[name]
        for name in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return WrkResult(
        requests=int(figures["requests"]),
        errors=int(errors),
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        generator_cpu_seconds=generator_cpu,
    )


def token_form(assertion: str) -> str:
    return urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }
    )


def process_cores(pid: int) -> str:
    """The cores a process may run on, as taskset would list them."""
    try:
        cores = sorted(os.sched_getaffinity(pid))
    except OSError:
        return "?"
    if cores == list(range(cores[0], cores[-1] + 1)) and len(cores) > 1:
        return f"{cores[0]}-{cores[-1]}"
    return ",".join(str(core) for core in cores)
