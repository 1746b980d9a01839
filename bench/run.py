#!/usr/bin/env python
"""`make bench`: the linkage API and the sign-in flow, measured beside a bare baseline view,
in one run on this machine (docs/adr/0008). Not a test: it prints and records figures.

The portal runs under gunicorn (2 workers, DEBUG off, PostgreSQL and Redis) with the built-in
NHS login simulator; load comes from this separate process with an asyncio httpx client.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import redis as redis_lib
from cryptography.hazmat.primitives import serialization

from bench import report as bench_report
from bench import scale
from bench.lean import GENERATOR_CORE, Calls, process_cores, token_form, wrk_path, wrk_run
from core.nhs_identifiers import nhs_number_check_digit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BENCH_ODS = "B00001"
REGISTER_SIZE = 20_000
# The fewest once-only calls (creates, token requests) a second made for a level, before any
# level of the scenario has been measured.
ONCE_ONLY_FLOOR_PER_SECOND = 500
KEYED_PATIENTS = 2_000
LEVELS = (1, 8, 32, 64)
TARGETS = {
    "retrieve": "≥ 70 % of baseline req/s, p99 < 25 ms at concurrency 32",
    "create": "≥ 50 % of baseline req/s",
    "token": "≥ 300 req/s",
    "sign_in": "≥ 50 flows/s",
    "import": "< 10 s for 20,000 rows",
}


@dataclass
class Figure:
    scenario: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ratio_to_baseline: float | None = None
    # CPU time of the portal's gunicorn processes per request (or per flow), however busy the
    # machine was: what one request really costs the portal, beside the baseline's.
    portal_cpu_ms: float | None = None
    simulator_cpu_ms: float | None = None
    # The load generator's own CPU per request: wrk's, or None for the asyncio client.
    generator_cpu_ms: float | None = None
    generator: str = "httpx"
    # Redis commands per request, each command's count (INFO commandstats of the run's own
    # Redis; a script's own commands counted beside its EVALSHA).
    redis_commands: dict[str, float] | None = None


def nhs_number(sequence: int) -> str | None:
    """A synthetic NHS number in the 999 range, or None where no check digit is valid."""
    first_nine = f"999{sequence:06d}"
    check = nhs_number_check_digit(first_nine)
    return None if check is None else f"{first_nine}{check}"


def patient_body(number: str, surname: str, born: str) -> dict[str, str]:
    """A retrieve or a create as NHS login sends it: the patient named by NHS number, surname
    and date of birth (the API refuses one without them: docs/adr/0007)."""
    return {"nhsNumber": number, "odsCode": BENCH_ODS, "surname": surname, "dateOfBirth": born}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(env: dict[str, str], *arguments: str) -> str:
    completed = subprocess.run(
        [PYTHON, "manage.py", *arguments], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise SystemExit(f"manage.py {arguments[0]} failed:\n{completed.stderr[-2000:]}")
    return completed.stdout


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def drive(
    call: Callable[[httpx.AsyncClient, int], Awaitable[bool]],
    concurrency: int,
    seconds: float,
    *,
    client_per_call: bool = False,
) -> tuple[list[float], int, float]:
    """Run ``call`` from ``concurrency`` workers for ``seconds``: latencies, errors and the
    wall time it really took."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(shared: httpx.AsyncClient, number: int) -> None:
        nonlocal errors
        count = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                if client_per_call:
                    async with httpx.AsyncClient(timeout=30) as own:
                        ok = await call(own, number * 1_000_000 + count)
                else:
                    ok = await call(shared, number * 1_000_000 + count)
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            errors += 0 if ok else 1
            count += 1

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=30, limits=limits) as shared:
        await asyncio.gather(*(worker(shared, n) for n in range(concurrency)))
    # Calls started before the deadline finish after it: rate over the whole wall time.
    return latencies, errors, time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    """CPU time of a gunicorn master and its workers, to the nanosecond: the scheduler's own
    count of each thread's time on a CPU (/proc/<pid>/task/<tid>/schedstat), not the 10 ms
    ticks of /proc/<pid>/stat, so that one request's cost can be read."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(child) for child in children]
    total = 0
    for each in pids:
        try:
            tasks = list(Path(f"/proc/{each}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
    return total / 1e9


def figure(
    name: str, concurrency: int, seconds: float, latencies: list[float], errors: int
) -> Figure:
    return Figure(
        scenario=name,
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=seconds,
        per_second=len(latencies) / seconds,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
    )


class Bench:
    def __init__(
        self,
        base: str,
        op_base: str,
        client_id: str,
        key_pem: bytes,
        keyed: list[tuple[str, str, str]],
        unkeyed: list[tuple[str, str, str]],
    ) -> None:
        self.base = base
        self.op_base = op_base
        self.client_id = client_id
        self.private_key = serialization.load_pem_private_key(key_pem, password=None)
        self.keyed = keyed
        self.unkeyed = unkeyed
        self.token = ""
        # A signed-in patient's cookies, for the bare page on the pages' chain.
        self.signed_in_cookie = ""
        self.portal_pid = 0
        self.redis_url = ""
        self.simulator_pid = 0

    def assertion(self) -> str:
        now = int(time.time())
        claims = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": f"{self.base}/api/oauth2/token",
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + 60,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS512")  # type: ignore[arg-type]

    async def fetch_token(self, client: httpx.AsyncClient) -> str:
        response = await client.post(
            f"{self.base}/api/oauth2/token", data=self.token_form(self.assertion())
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    @staticmethod
    def token_form(assertion: str) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        }

    async def baseline(self, client: httpx.AsyncClient, _: int) -> bool:
        return (await client.get(f"{self.base}/api/bench/baseline")).status_code == 200

    async def signed_in_cookies(self) -> str:
        """A patient signed in afresh, their cookies as a Cookie header: the bare page must
        answer them, not send them to sign in (wrk would not count a redirect as an error)."""
        async with httpx.AsyncClient(timeout=30) as client:
            assert await self.sign_in_steps(client, None), "the bench's sign-in failed"
            cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
            page = await client.get(f"{self.base}/bench/page-baseline")
            assert page.status_code == 200, f"the bare page answered {page.status_code}"
        return cookies

    async def page_baseline(self, client: httpx.AsyncClient, _: int) -> bool:
        response = await client.get(
            f"{self.base}/bench/page-baseline", headers={"Cookie": self.signed_in_cookie}
        )
        return response.status_code == 200

    async def retrieve(self, client: httpx.AsyncClient, _: int) -> bool:
        return await self._retrieve_at(client, "/api/v1/linkage/retrieve")

    async def retrieve_floor(self, client: httpx.AsyncClient, _: int) -> bool:
        return await self._retrieve_at(client, "/api/bench/retrieve-floor")

    async def _retrieve_at(self, client: httpx.AsyncClient, path: str) -> bool:
        response = await client.post(
            f"{self.base}{path}",
            json=patient_body(*random.choice(self.keyed)),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return response.status_code == 200

    async def create_floor(self, client: httpx.AsyncClient, _: int) -> bool:
        number, surname, born = random.choice(self.unkeyed)
        response = await client.post(
            f"{self.base}/api/bench/create-floor",
            json=patient_body(number, surname, born),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return response.status_code == 201

    async def create(self, client: httpx.AsyncClient, _: int) -> bool:
        if not self.unkeyed:
            return False
        number, surname, born = self.unkeyed.pop()
        response = await client.post(
            f"{self.base}/api/v1/linkage",
            json=patient_body(number, surname, born),
            headers={"Authorization": f"Bearer {self.token}"},
        )
        return response.status_code == 201

    def token_call(
        self, assertions: list[str]
    ) -> Callable[[httpx.AsyncClient, int], Awaitable[bool]]:
        async def call(client: httpx.AsyncClient, _: int) -> bool:
            if not assertions:
                return False
            response = await client.post(
                f"{self.base}/api/oauth2/token", data=self.token_form(assertions.pop())
            )
            return response.status_code == 200

        return call

    async def sign_in(self, client: httpx.AsyncClient, _: int) -> bool:
        return await self.sign_in_steps(client, None)

    async def sign_in_steps(
        self, client: httpx.AsyncClient, steps: dict[str, float] | None
    ) -> bool:
        """One patient's whole sign-in: start page, button, NHS login page, pick a user,
        callback (code exchange, JWKS, userinfo), signed-in page. With ``steps``, the portal's
        CPU time for each of its own steps is added there (meaningful one flow at a time)."""

        async def portal(step: str, call: Awaitable[httpx.Response]) -> httpx.Response:
            before = cpu_seconds(self.portal_pid) if steps is not None else 0.0
            response = await call
            if steps is not None:
                steps[step] = steps.get(step, 0.0) + cpu_seconds(self.portal_pid) - before
            return response

        start = await portal("start page", client.get(f"{self.base}/"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', start.text)
        assert token is not None
        redirect = await portal(
            "sign-in button",
            client.post(
                f"{self.base}/auth/nhs-login/start/",
                data={"csrfmiddlewaretoken": token.group(1)},
                headers={"Referer": f"{self.base}/"},
            ),
        )
        page = await client.get(redirect.headers["location"])
        form = re.search(
            r'action="/nhs-login-simulator/authorize/test-user".*?name="csrfmiddlewaretoken" value="([^"]+)".*?name="request" value="([^"]+)"',
            page.text,
            re.S,
        )
        assert form is not None
        answer = await client.post(
            f"{self.op_base}/nhs-login-simulator/authorize/test-user",
            data={
                "csrfmiddlewaretoken": form.group(1),
                "request": form.group(2),
                "user": "p9-demo-practice",
                "outcome": "success",
                "fault": "",
            },
        )
        if answer.status_code == 200:
            # NHS login's consent screen, on the first sign-in of this user to the portal.
            consent = re.search(
                r'action="/nhs-login-simulator/authorize/consent/share".*?name="csrfmiddlewaretoken" value="([^"]+)".*?name="request" value="([^"]+)".*?name="pending" value="([^"]+)"',
                answer.text,
                re.S,
            )
            assert consent is not None
            answer = await client.post(
                f"{self.op_base}/nhs-login-simulator/authorize/consent/share",
                data={
                    "csrfmiddlewaretoken": consent.group(1),
                    "request": consent.group(2),
                    "pending": consent.group(3),
                },
            )
        callback = await portal("callback", client.get(answer.headers["location"]))
        home = await portal(
            "home page", client.get(f"{self.base}{callback.headers.get('location', '/')}")
        )
        return (
            callback.status_code == 302 and home.status_code == 200 and "Your details" in home.text
        )


async def sign_in_step_costs(bench: Bench, flows: int = 40) -> dict[str, float]:
    """The portal's CPU ms for each step of a sign-in, averaged over ``flows`` flows run one
    at a time (nothing else reaches the portal meanwhile)."""
    steps: dict[str, float] = {}
    for _ in range(flows):
        async with httpx.AsyncClient(timeout=30) as client:
            await bench.sign_in_steps(client, steps)
    return {step: round(total * 1000 / flows, 2) for step, total in steps.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 second per level: under a minute")
    parser.add_argument("--seconds", type=float, default=None, help="seconds per level (default 5)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated scenarios to run (the baseline always runs)",
    )
    parser.add_argument(
        "--profile",
        choices=[name for name, _, _ in SCENARIOS],
        help="instead of the table: sample the servers with py-spy under this scenario",
    )
    parser.add_argument(
        "--generator",
        choices=["wrk", "httpx"],
        default="wrk" if wrk_path() else "httpx",
        help="load for the API scenarios: wrk on one pinned core (default when installed), or "
        "the asyncio client; sign-in always comes from the asyncio client",
    )
    parser.add_argument(
        "--scale",
        action="store_true",
        help="then grow the register to 1,000,000 patients (register_import) and the audit "
        "trail to 10,000,000 rows, and measure retrieve again beside the baseline",
    )
    arguments = parser.parse_args()
    seconds = arguments.seconds or (1.0 if arguments.quick else 5.0)

    database_url = (
        os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/citizen_portal_bench"
    )
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/11"
    # A Redis of the run's own when this machine has one to start: its command counts are
    # then this run's alone (Redis commands per call in the table), whoever else uses Redis.
    own_redis = own_redis_start()
    if own_redis is not None:
        redis_url = f"redis://127.0.0.1:{own_redis[1]}/0"
    work = ROOT / "data" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    fresh_database(database_url)
    port, op_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    # NHS login runs apart from the portal, as the real one does: the portal's back-channel
    # calls must not wait for a worker of its own.
    op_base = f"http://127.0.0.1:{op_port}"
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "DJANGO_SETTINGS_MODULE": "citizen_portal.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"bench-{uuid.uuid4()}",
        "DATA_DIR": str(work),
        "STATIC_ROOT": str(work / "staticfiles"),
        "PORTAL_BASE_URL": base,
        "NHS_LOGIN_SIMULATOR_ISSUER": f"{op_base}/nhs-login-simulator",
        "NHS_LOGIN_ISSUER": f"{op_base}/nhs-login-simulator",
        "BENCHMARK_BASELINE_ENABLED": "true",
        "LINKAGE_API_RATE_LIMIT_PER_MINUTE": "100000000",
        # Every call comes from 127.0.0.1: the address's own budgets as large as the client's.
        "LINKAGE_API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "100000000",
        "LINKAGE_API_TOKEN_RATE_LIMIT_PER_ADDRESS_PER_MINUTE": "100000000",
        "SIGN_IN_RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "WARNING",
        # gunicorn.conf.py reads these: 2 workers, as the targets assume; the rest as in production
        # unless set for a comparison.
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": os.environ.get("GUNICORN_THREADS", "1"),
        "GUNICORN_WORKER_CLASS": os.environ.get("GUNICORN_WORKER_CLASS", "sync"),
    }
    print(f"Setting up: fresh database, migrations, static files, demo data ({base})", flush=True)
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    portal_key = work / "nhs_login" / "private_key.pem"
    if portal_key.exists():
        portal_key.unlink()
    manage(env, "nhs_login_keygen", "--out", str(portal_key))
    manage(
        env,
        "nhs_login_simulator_client_register",
        "--client-id",
        "citizen-portal-local",
        "--redirect-uri",
        f"{base}/auth/nhs-login/callback/",
        "--public-key",
        str(portal_key),
        # As NHS login registers the portal: its scopes and each vtr set it sends (the default
        # settings' sign-in list and its P9 step-up list).
        "--scopes",
        "openid profile profile_extended email phone gp_registration_details",
        "--vtr",
        '["P5.Cp.Cd","P5.Cp.Ck","P5.Cm","P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
        "--vtr",
        '["P9.Cp.Cd","P9.Cp.Ck","P9.Cm"]',
    )
    manage(env, "demo_practice_seed")
    manage(
        env,
        "shell",
        "-c",
        f"from linkage.models import Practice; Practice.objects.create(ods_code='{BENCH_ODS}', name='Benchmark practice')",
    )

    rows: list[tuple[str, str, str, str, str]] = []
    patients: list[tuple[str, str, str]] = []
    sequence = 0
    while len(rows) < REGISTER_SIZE:
        sequence += 1
        number = nhs_number(sequence)
        if number:
            surname = f"Surname{sequence}"
            born = f"{1940 + sequence % 60}-{1 + sequence % 12:02d}-{1 + sequence % 28:02d}"
            rows.append((number, surname, "Given", born, "registered"))
            patients.append((number, surname, born))
    register = work / "register.csv"
    with register.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["nhs_number", "surname", "given_name", "date_of_birth", "registration_status"]
        )
        writer.writerows(rows)
    first_import = scale.timed_import(PYTHON, ROOT, env, BENCH_ODS, register)
    import_seconds = first_import["seconds"]
    print(
        f"register_import: {REGISTER_SIZE} rows in {import_seconds:.2f} s (including start-up)",
        flush=True,
    )

    keyed = patients[:KEYED_PATIENTS]
    manage(
        env,
        "shell",
        "-c",
        (
            "from linkage.services import linkage_key_create; from linkage.audit import Actor, ActorType\n"
            f"rows = {[(n, s, b) for n, s, b in keyed]!r}\n"
            "actor = Actor(ActorType.SYSTEM, 'bench set-up')\n"
            f"[linkage_key_create(actor=actor, nhs_number=n, ods_code='{BENCH_ODS}', surname=s, date_of_birth=b) for n, s, b in rows]"
        ),
    )
    client_key = work / "bench_client.pem"
    manage(
        env,
        "shell",
        "-c",
        (
            "from core.rsa_keys import private_key_generate, private_key_write; from pathlib import Path\n"
            f"private_key_write(Path('{client_key}'), private_key_generate())"
        ),
    )
    client_id = manage(
        env,
        "api_client_create",
        "--name",
        "bench",
        "--public-key",
        str(client_key),
        "--scopes",
        "linkage:read,linkage:create",
        "--practices",
        BENCH_ODS,
    ).strip()

    servers = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "citizen_portal.wsgi",
                "--bind",
                f"127.0.0.1:{listen}",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        for listen in (port, op_port)
    ]
    try:
        for address in (base, op_base):
            for _ in range(100):
                try:
                    httpx.get(f"{address}/health/live", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.2)
        bench = Bench(
            base,
            op_base,
            client_id,
            client_key.read_bytes(),
            keyed,
            list(reversed(patients[KEYED_PATIENTS:])),
        )
        bench.portal_pid, bench.simulator_pid = servers[0].pid, servers[1].pid
        bench.redis_url = redis_url
        extras: dict[str, Any] = {
            "load_before": load_average(),
            "register_import_peak_rss_mb": first_import["peak_rss_mb"],
        }
        if arguments.profile:
            profile(bench, arguments.profile, [server.pid for server in servers], work)
            return 0
        only = {name for name in arguments.only.split(",") if name} | {"baseline"}
        figures = asyncio.run(
            run_scenarios(
                bench, seconds, only if arguments.only else None, generator=arguments.generator
            )
        )
        concurrency_check = asyncio.run(two_hundred_creates(bench, patients[-1]))
        if arguments.scale:
            extras.update(
                scale_run(bench, env, work, database_url, seconds, figures, arguments.generator)
            )
        if arguments.only == "" or "sign_in" in only:
            extras["sign_in_steps_cpu_ms"] = asyncio.run(sign_in_step_costs(bench))
        extras["load_after"] = load_average()
        extras["cores"] = (
            f"portal {process_cores(servers[0].pid)}, simulator {process_cores(servers[1].pid)}, "
            f"PostgreSQL and Redis not pinned; "
            + (
                f"wrk on core {GENERATOR_CORE} (taskset)"
                if arguments.generator == "wrk"
                else "the asyncio client not pinned"
            )
        )
        extras["generator"] = arguments.generator
        extras["generator_note"] = (
            "wrk 4.1 (one thread, its Lua script bench/wrk_calls.lua, bodies and signed "
            "assertions made before each timed window)"
            if arguments.generator == "wrk"
            else "one asyncio httpx process"
        )
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        if own_redis is not None:
            own_redis[0].terminate()
            own_redis[0].wait(timeout=10)

    report(figures, import_seconds, concurrency_check, seconds, extras)
    return 0


# name, the call for a concurrency level, and whether each call needs a client of its own.
SCENARIOS: list[
    tuple[
        str,
        Callable[[Bench, int, float], Callable[[httpx.AsyncClient, int], Awaitable[bool]]],
        bool,
    ]
] = [
    ("baseline", lambda bench, level, seconds: bench.baseline, False),
    ("retrieve_floor", lambda bench, level, seconds: bench.retrieve_floor, False),
    ("retrieve", lambda bench, level, seconds: bench.retrieve, False),
    ("create_floor", lambda bench, level, seconds: bench.create_floor, False),
    ("create", lambda bench, level, seconds: bench.create, False),
    (
        "token",
        lambda bench, level, seconds: bench.token_call(
            [bench.assertion() for _ in range(int(600 * seconds))]
        ),
        False,
    ),
    ("page_baseline", lambda bench, level, seconds: bench.page_baseline, False),
    ("sign_in", lambda bench, level, seconds: bench.sign_in, True),
]


async def _warm(bench: Bench) -> None:
    """Every worker of both servers warmed before anything is timed: the discovery and JWKS
    caches, each page's templates compiled (a few hundred ms a worker, the first time only),
    each worker's database and Redis connections."""
    async with httpx.AsyncClient(timeout=30) as client:
        bench.token = await bench.fetch_token(client)
    for _ in range(3):
        await drive(bench.sign_in, 4, 1.0, client_per_call=True)
        await drive(bench.retrieve, 4, 0.5)


def profile(bench: Bench, scenario: str, server_pids: list[int], work: Path) -> None:
    """Sample every gunicorn worker (portal and simulator) with py-spy while one scenario
    runs at concurrency 8, and print where their CPU time goes."""
    py_spy = Path(PYTHON).parent / "py-spy"
    if not py_spy.exists():
        raise SystemExit("py-spy is missing: make setup installs it with the dev packages")
    asyncio.run(_warm(bench))
    seconds = 15
    outputs = [work / f"profile-{scenario}-{pid}.txt" for pid in server_pids]
    samplers = [
        subprocess.Popen(
            [
                str(py_spy),
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--gil",
                "--format",
                "raw",
                "--duration",
                str(seconds + 2),
                "--rate",
                "200",
                "--output",
                str(output),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid, output in zip(server_pids, outputs, strict=True)
    ]
    time.sleep(1)
    _, make_call, client_per_call = next(item for item in SCENARIOS if item[0] == scenario)
    latencies, errors, elapsed = asyncio.run(
        drive(make_call(bench, 8, seconds), 8, seconds, client_per_call=client_per_call)
    )
    for sampler in samplers:
        sampler.wait(timeout=60)
    print(f"{scenario}: {len(latencies) / elapsed:.1f}/s at concurrency 8, {errors} errors")
    for output in outputs:
        print(f"\n{output.name}: share of CPU samples inside each function")
        for share, name in profile_summary(output):
            print(f"  {share:6.1%}  {name}")
        print(f"\n{output.name}: share of the requests' CPU samples by the part of the stack")
        for share, name in profile_parts(output):
            print(f"  {share:6.1%}  {name}")


# Frames every request passes through: leaving them out shows where the time really goes.
_PLUMBING = ("process ", "runpy", "threading.py", "gunicorn/", "concurrent/futures", "selectors.py")


def _stacks(raw: Path) -> Iterator[tuple[str, int]]:
    """py-spy's raw (collapsed) output: each stack, its frames joined by ';', and how many
    samples found it."""
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if count.isdigit():
            yield stack, int(count)


def _shares(counts: dict[str, int], total: int, top: int | None = None) -> list[tuple[float, str]]:
    ranked = sorted(counts.items(), key=lambda item: item[1], reverse=True)[:top]
    return [(count / max(total, 1), name) for name, count in ranked]


def profile_summary(raw: Path, top: int = 40) -> list[tuple[float, str]]:
    """py-spy's raw (collapsed) stacks as the share of CPU samples spent inside each function,
    counting a function once per sample however deep it recurses."""
    inclusive: dict[str, int] = {}
    total = 0
    for stack, count in _stacks(raw):
        total += count
        seen = set()
        for frame in stack.split(";"):
            if any(part in frame for part in _PLUMBING):
                continue
            name = frame.rsplit(":", 1)[0] + ")"  # without the line number
            if name not in seen:
                seen.add(name)
                inclusive[name] = inclusive.get(name, 0) + count
    return _shares(inclusive, total, top)


# The parts of the stack a request's CPU goes to, each told by the frames it runs in; a sample
# counts for the first part one of its frames belongs to, in this order.
PROFILE_PARTS = (
    ("templates (Jinja2, the NHS.UK macros)", ("jinja2/", ".jinja")),
    ("outbound HTTP (requests, urllib3)", ("requests/", "urllib3/", "http/client.py")),
    ("database (Django's ORM, psycopg)", ("django/db/", "psycopg/")),
    ("Redis (redis-py, django-redis)", ("redis/", "django_redis/")),
    ("tokens and signatures (PyJWT, cryptography)", ("jwt/", "cryptography/")),
)
OTHER_PART = "the rest: Django's handler and middleware, mozilla-django-oidc, the portal's code"


def profile_parts(raw: Path) -> list[tuple[float, str]]:
    """py-spy's raw stacks of requests (under Django's WSGI handler) as the share of CPU
    samples in each of PROFILE_PARTS."""
    parts: dict[str, int] = {}
    total = 0
    for stack, count in _stacks(raw):
        if "WSGIHandler.__call__" not in stack:
            continue
        total += count
        part = next(
            (name for name, marks in PROFILE_PARTS if any(mark in stack for mark in marks)),
            OTHER_PART,
        )
        parts[part] = parts.get(part, 0) + count
    return _shares(parts, total)


def lean_calls(
    bench: Bench, name: str, seconds: float, *, expected_per_second: float = 0.0
) -> Calls | None:
    """What wrk sends for a scenario at one level, made before its timed window; None for the
    sign-in flow, which wrk cannot follow across two servers.

    Calls that may be sent once only (a create per patient, a token per assertion) are made
    for twice ``expected_per_second`` (the fastest level of the scenario so far, or a floor)
    over the window, so that wrk never runs out and sends one again: the portal refuses a
    second create or a replayed assertion, as it must, and that would count as an error."""
    bearer = f"Bearer {bench.token}"
    wanted = int(2 * max(expected_per_second, ONCE_ONLY_FLOOR_PER_SECOND) * seconds)
    if name == "baseline":
        return Calls("GET", "/api/bench/baseline", [])
    if name == "page_baseline":
        return Calls("GET", "/bench/page-baseline", [], cookie=bench.signed_in_cookie)
    if name in ("retrieve", "retrieve_floor"):
        bodies = [json.dumps(patient_body(*patient)) for patient in bench.keyed]
        path = "/api/v1/linkage/retrieve" if name == "retrieve" else "/api/bench/retrieve-floor"
        return Calls("POST", path, bodies, authorization=bearer)
    if name == "create_floor":
        # Rolled back by the portal: the same patients, round and round.
        bodies = [json.dumps(patient_body(*patient)) for patient in bench.unkeyed[:-300]]
        return Calls("POST", "/api/bench/create-floor", bodies, authorization=bearer)
    if name == "create":
        # A few hundred patients kept for the 200 concurrent creates; those wrk did not send
        # are given back after the level (unsent_patients_return).
        count = max(0, min(len(bench.unkeyed) - 300, wanted))
        taken = [bench.unkeyed.pop() for _ in range(count)]
        bodies = [json.dumps(patient_body(*patient)) for patient in taken]
        return Calls(
            "POST", "/api/v1/linkage", bodies, each_once=True, authorization=bearer, sources=taken
        )
    if name == "token":
        forms = [token_form(bench.assertion()) for _ in range(wanted)]
        return Calls(
            "POST",
            "/api/oauth2/token",
            forms,
            each_once=True,
            content_type="application/x-www-form-urlencoded",
        )
    return None


def unsent_patients_return(bench: Bench, calls: Calls, *, sent: int, concurrency: int) -> None:
    """Give back the patients whose create wrk never sent: the first ``sent`` bodies were
    answered, up to ``concurrency`` more were on their way when the window closed, and as
    many again are kept back for any wrk sent again on a new connection."""
    bench.unkeyed.extend(calls.sources[sent + 2 * concurrency :])


def scale_run(
    bench: Bench,
    env: dict[str, str],
    work: Path,
    database_url: str,
    seconds: float,
    figures: list[Figure],
    generator: str,
) -> dict[str, Any]:
    """The scale scenario (bench/scale.py): registers imported to a million patients, the
    audit trail filled to ten million rows, then retrieve and the baseline measured again."""
    small_patients, small_events = scale.counts(database_url)
    print("Scale: retrieve beside the baseline before the register grows", flush=True)
    before = asyncio.run(
        run_scenarios(bench, seconds, {"baseline", "retrieve"}, generator=generator, levels=(1, 8))
    )
    print("Scale: writing the registers, importing them, filling the audit trail", flush=True)
    for ods_code in scale.SCALE_PRACTICES:
        manage(
            env,
            "shell",
            "-c",
            f"from linkage.models import Practice; Practice.objects.create(ods_code='{ods_code}', name='Scale practice')",
        )
    imports = {}
    for ods_code, path, rows in scale.register_files(work, REGISTER_SIZE):
        imports[f"{ods_code} ({rows:,} rows)"] = scale.timed_import(
            PYTHON, ROOT, env, ods_code, path
        )
        print(
            f"  register_import {ods_code}: {rows:,} rows {imports[f'{ods_code} ({rows:,} rows)']}",
            flush=True,
        )
    audit_seconds = scale.audit_fill(database_url, scale.AUDIT_ROWS)
    patients, events = scale.counts(database_url)
    audit_bytes = scale.audit_trail_bytes(database_url)
    print(f"  {patients:,} patients, {events:,} audit events ({audit_seconds:.0f} s)", flush=True)
    at_scale = asyncio.run(
        run_scenarios(bench, seconds, {"baseline", "retrieve"}, generator=generator, levels=(1, 8))
    )
    lines = [
        "",
        f"Scale: {patients:,} patients on three registers, {events:,} audit events "
        f"(written by the database in {audit_seconds:.0f} s), {audit_bytes / 1e9:.2f} GB on "
        f"disk with their indexes ({audit_bytes / max(events, 1):.0f} bytes an event). "
        "register_import: "
        + "; ".join(
            f"{name} {result['seconds']:.1f} s, peak memory {result['peak_rss_mb']:.0f} MB"
            for name, result in imports.items()
        )
        + ".",
        "",
        "| retrieve at | concurrency | per second | vs baseline | p50 ms | p99 ms | portal CPU ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    measured: tuple[tuple[str, list[Figure]], ...] = (
        (f"{small_patients:,} patients, {small_events:,} audit", before),
        (f"{patients:,} patients, {events:,} audit", at_scale),
    )
    for label, measured_figures in measured:
        for f in measured_figures:
            if f.scenario == "retrieve" and f.concurrency in (1, 8):
                lines.append(
                    f"| {label} | {f.concurrency} | {f.per_second:.1f} | "
                    f"{(f.ratio_to_baseline or 0):.0%} | {f.p50_ms:.2f} | {f.p99_ms:.1f} | "
                    f"{(f.portal_cpu_ms or 0):.2f} |"
                )
    return {
        "scale": lines,
        "scale_figures": [asdict(f) for f in at_scale],
        "scale_figures_before": [asdict(f) for f in before],
        "scale_imports": imports,
        "scale_patients": patients,
        "scale_audit_events": events,
        "scale_audit_fill_seconds": audit_seconds,
        "scale_audit_bytes": audit_bytes,
    }


async def run_scenarios(
    bench: Bench,
    seconds: float,
    only: set[str] | None = None,
    *,
    generator: str = "httpx",
    levels: tuple[int, ...] = LEVELS,
) -> list[Figure]:
    await _warm(bench)
    figures: list[Figure] = []
    for name, make_call, client_per_call in SCENARIOS:
        if only is not None and name not in only:
            continue
        for level in levels:
            async with httpx.AsyncClient(timeout=30) as client:
                bench.token = await bench.fetch_token(client)  # never one near its expiry
            if name == "page_baseline":
                bench.signed_in_cookie = await bench.signed_in_cookies()
            fastest = max((f.per_second for f in figures if f.scenario == name), default=0.0)
            calls = (
                lean_calls(bench, name, seconds, expected_per_second=fastest)
                if generator == "wrk"
                else None
            )
            portal_cpu, simulator_cpu = (
                cpu_seconds(bench.portal_pid),
                cpu_seconds(bench.simulator_pid),
            )
            redis_before = redis_calls(bench.redis_url)
            if calls is not None:
                lean = wrk_run(bench.base, calls, level, seconds)
                result = Figure(
                    scenario=name,
                    concurrency=level,
                    requests=lean.requests,
                    errors=lean.errors,
                    seconds=lean.seconds,
                    per_second=lean.requests / lean.seconds,
                    p50_ms=lean.p50_ms,
                    p95_ms=lean.p95_ms,
                    p99_ms=lean.p99_ms,
                    generator="wrk",
                    generator_cpu_ms=lean.generator_cpu_seconds * 1000 / max(lean.requests, 1),
                )
                count = lean.requests
                if calls.sources:
                    unsent_patients_return(bench, calls, sent=count, concurrency=level)
            else:
                latencies, errors, elapsed = await drive(
                    make_call(bench, level, seconds),
                    level,
                    seconds,
                    client_per_call=client_per_call,
                )
                result = figure(name, level, elapsed, latencies, errors)
                count = len(latencies)
            if count:
                after = redis_calls(bench.redis_url)
                result.redis_commands = {
                    name: round((calls_now - redis_before.get(name, 0)) / count, 2)
                    for name, calls_now in after.items()
                    if calls_now - redis_before.get(name, 0) > 0 and name != "info"
                }
                result.portal_cpu_ms = (cpu_seconds(bench.portal_pid) - portal_cpu) * 1000 / count
                result.simulator_cpu_ms = (
                    (cpu_seconds(bench.simulator_pid) - simulator_cpu) * 1000 / count
                )
            figures.append(result)
            print(
                f"  {name:9} c={level:<3} {result.per_second:8.1f}/s  p99 {result.p99_ms:7.1f} ms  "
                f"portal CPU {result.portal_cpu_ms or 0:5.2f} ms  errors {result.errors}  "
                f"({result.generator})",
                flush=True,
            )
    baseline = {f.concurrency: f.per_second for f in figures if f.scenario == "baseline"}
    for item in figures:
        if baseline.get(item.concurrency):
            item.ratio_to_baseline = item.per_second / baseline[item.concurrency]
    return figures


async def two_hundred_creates(bench: Bench, patient: tuple[str, str, str]) -> dict[str, object]:
    number, surname, born = patient
    body = {"nhsNumber": number, "odsCode": BENCH_ODS, "surname": surname, "dateOfBirth": born}
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{bench.base}/api/v1/linkage",
                    json=body,
                    headers={"Authorization": f"Bearer {bench.token}"},
                )
                for _ in range(200)
            )
        )
        elapsed = time.perf_counter() - started
        retrieved = await client.post(
            f"{bench.base}/api/v1/linkage/retrieve",
            json=patient_body(number, surname, born),
            headers={"Authorization": f"Bearer {bench.token}"},
        )
    statuses = [r.status_code for r in responses]
    created = {r.json()["linkageKey"] for r in responses if r.status_code == 201}
    return {
        "requests": 200,
        "created_201": statuses.count(201),
        "exists_409": statuses.count(409),
        "other": len([s for s in statuses if s not in (201, 409)]),
        "one_key": statuses.count(201) == 1 and created == {retrieved.json().get("linkageKey")},
        "seconds": round(elapsed, 2),
    }


def own_redis_start() -> tuple[subprocess.Popen[bytes], int] | None:
    server = shutil.which("redis-server")
    if server is None:
        return None
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    return None


def redis_calls(redis_url: str) -> dict[str, int]:
    """Calls of each command so far (INFO commandstats), scripts' own commands included."""
    info = redis_lib.Redis.from_url(redis_url).info("commandstats")
    return {name.removeprefix("cmdstat_"): int(stats["calls"]) for name, stats in info.items()}


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def report(
    figures: list[Figure],
    import_seconds: float,
    check: dict[str, object],
    seconds: float,
    extras: dict[str, Any],
) -> None:
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        or "unknown"
    )
    run = {
        "measured_at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "commit": commit,
        "seconds_per_level": seconds,
        "figures": [asdict(f) for f in figures],
        "register_size": REGISTER_SIZE,
        "register_import_seconds": import_seconds,
        "concurrent_creates": check,
        "targets": TARGETS,
        **extras,
    }
    print("\n" + bench_report.write(run))


if __name__ == "__main__":
    sys.exit(main())
