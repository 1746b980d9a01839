#!/usr/bin/env python
"""`make stack-check`: build compose.yaml's stack, run it as an operator would, and prove each
thing docs/operations.md promises about it, then tear it all down.

It uses whatever container engine and Compose this machine has (``docker compose``, or
Compose v1's ``docker-compose``), under a project name of its own, and a patient signs in
through the load balancer with Chromium (Playwright, as the browser tests do). In order:

1. the image: built; runs as user 10001, who cannot write the code; no uv, npm or compiler;
   a HEALTHCHECK;
2. the stack comes up with one portal server; the demo practice is seeded; a patient signs in;
3. ``--scale portal=3``: three servers, requests spread over all three, the signed-in patient
   still signed in;
4. with requests running all along, one server is stopped and another restarted: no request
   fails, the stop is gunicorn's graceful one (exit 0), a second patient signs in meanwhile,
   proves who they are and creates a linkage key, and the first is still signed in;
5. the per-address limits count patients: from this machine the token endpoint and sign-in
   starts are refused after their limit, a forged X-Forwarded-For changes nothing, and another
   address behind the same load balancer is not refused;
6. ``down`` then ``up``: the register, the linkage keys, the audit trail and the NHS login key
   are the same, and the patient is shown the same linkage key;
7. backup with pg_dump, the database's volume deleted, restore onto a new one with
   pg_restore (docs/operations.md, "Backups"): the same again.

Prints one line per proof and what each stage took; never a linkage key, a password or a
token. Exit status 0 when everything held.

    .venv/bin/python scripts/stack_check.py [--keep]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import inspect
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "citizen-portal-stack-check"
BASE_URL = "http://localhost:8000"
SIMULATOR_URL = "http://simulator.localhost:8001"
PORTS = (8000, 8001)
# The load balancer's address in compose.yaml, and the only proxy the portal trusts.
LOAD_BALANCER_ADDRESS = "172.30.0.11"
SCALE = 3
UP_TIMEOUT_SECONDS = 300
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
P9_USER = "P9 patient at the demo practice, with GP credentials"
P5_USER = "P5 patient at the demo practice (can prove who they are for P9)"
# What the demo seed and the database hold, compared before and after: counts, and a digest of
# every audit event in order (never a key or an NHS number).
FINGERPRINT_SQL = """
SELECT json_build_object(
  'register', (SELECT count(*) FROM linkage_registeredpatient),
  'linkage_keys', (SELECT count(*) FROM linkage_linkagekey),
  'audit_events', (SELECT count(*) FROM linkage_auditevent),
  'audit_digest', (SELECT md5(coalesce(string_agg(
      concat_ws('|', id, occurred_at, actor_type, actor, action, outcome, ods_code),
      ',' ORDER BY id), '')) FROM linkage_auditevent),
  'keys_digest', (SELECT md5(coalesce(string_agg(
      concat_ws('|', id, account_id, status, md5(encrypted_key)), ',' ORDER BY id), ''))
    FROM linkage_linkagekey)
)
"""


class StackCheckError(Exception):
    """A promise the stack did not keep, or a step that could not be run."""


def proved(message: str) -> None:
    print(f"ok    {message}", flush=True)


@contextlib.contextmanager
def stage(name: str, timings: list[tuple[str, float]]) -> Iterator[None]:
    print(f"\n== {name}", flush=True)
    started = time.monotonic()
    yield
    took = time.monotonic() - started
    timings.append((name, took))
    print(f"   ({took:.0f} s)", flush=True)


def compose_command() -> list[str]:
    """``docker compose`` where the engine's client has it, else Compose v1."""
    if shutil.which("docker") is None:
        raise StackCheckError("no docker command: install a container engine first")
    plugin = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, check=False
    )
    if plugin.returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    raise StackCheckError("neither `docker compose` nor `docker-compose` is installed")


@dataclass
class Stack:
    """compose.yaml under this check's project name and its own secrets."""

    compose: list[str]
    environment: dict[str, str]
    logs: Path

    def run(
        self,
        *arguments: str,
        stdin: Path | None = None,
        stdout: Path | None = None,
        capture: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """One Compose command; its output goes to the check's log unless captured or sent to
        ``stdout`` (a file), and its input comes from ``stdin`` (a file) if given."""
        command = [
            *self.compose,
            "--project-name",
            PROJECT,
            "--file",
            str(ROOT / "compose.yaml"),
            "--profile",
            "simulator",
            *arguments,
        ]
        with contextlib.ExitStack() as files:
            log = files.enter_context((self.logs / "compose.log").open("a"))
            log.write(f"\n$ {' '.join(command[len(self.compose) :])}\n")
            log.flush()
            source = files.enter_context(stdin.open("rb")) if stdin else subprocess.DEVNULL
            target = files.enter_context(stdout.open("wb")) if stdout else log
            answer = subprocess.run(
                command,
                cwd=ROOT,
                env=self.environment,
                stdin=source,
                stdout=subprocess.PIPE if capture else target,
                stderr=log,
                check=False,
                text=True,
            )
        if answer.returncode != 0:
            last_lines = (self.logs / "compose.log").read_text().strip().splitlines()[-3:]
            raise StackCheckError(
                f"`{' '.join(arguments[:3])}` failed ({answer.returncode}): "
                + " / ".join(last_lines)
            )
        return answer

    def output(self, *arguments: str) -> str:
        return self.run(*arguments, capture=True).stdout

    def containers(self, service: str) -> list[str]:
        return sorted(self.output("ps", "-q", service).split())

    def sql(self, statement: str) -> str:
        return self.output(
            "exec", "-T", "postgres", "psql", "-U", "portal", "-d", "portal", "-Atc", statement
        ).strip()


def docker(*arguments: str) -> str:
    answer = subprocess.run(["docker", *arguments], capture_output=True, text=True, check=False)
    if answer.returncode != 0:
        raise StackCheckError(f"docker {arguments[0]} failed: {answer.stderr.strip()[:300]}")
    return answer.stdout.strip()


def docker_logs(container: str) -> str:
    """A container's standard output and error together."""
    answer = subprocess.run(
        ["docker", "logs", container], capture_output=True, text=True, check=False
    )
    return answer.stdout + answer.stderr


def stack_environment() -> dict[str, str]:
    """This machine's environment plus fresh secrets for the stack: made here, never written
    to the repository, gone with the stack."""
    fernet_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(50),
        "LINKAGE_ENCRYPTION_KEYS": fernet_key,
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "DATABASE_APP_PASSWORD": secrets.token_hex(16),
    }


def ports_free() -> None:
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                raise StackCheckError(f"port {port} is in use: stop what listens there first")


def wait_until(what: str, ready: object, timeout: float = UP_TIMEOUT_SECONDS) -> None:
    assert callable(ready)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, StackCheckError):
            if ready():
                return
        time.sleep(1)
    raise StackCheckError(f"{what}: not within {timeout:.0f} s")


def http_status(url: str, *, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status: int = answer.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def load_balancer_ready() -> bool:
    return http_status(f"{BASE_URL}/health/ready") == 200


def healthy(container: str) -> bool:
    return docker("inspect", "--format", "{{.State.Health.Status}}", container) == "healthy"


# --- The patient's side: Chromium through the load balancer ----------------------------------


def new_context(browser: Browser) -> BrowserContext:
    context = browser.new_context()
    # Only the stack exists: anything else (the design system's web fonts) is refused at once.
    context.route(
        lambda url: not url.startswith((BASE_URL, SIMULATOR_URL)),
        lambda route: route.abort(),
    )
    return context


def share_if_asked(page: Page, left: str) -> None:
    """Past the simulator page headed ``left``, share with the service if NHS login asks."""
    expect(page.get_by_role("heading", level=1)).not_to_have_text(left)
    page.wait_for_load_state()
    share = page.get_by_role("button", name="Share my information")
    if share.count():
        share.click()
        expect(page.get_by_role("heading", level=1)).not_to_have_text(
            re.compile("^Share your NHS login information")
        )


def sign_in(page: Page, user: str) -> None:
    page.goto(BASE_URL)
    page.get_by_role("button", name="Continue to NHS login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a test user")
    page.get_by_label(user).check()
    page.get_by_role("button", name="Continue", exact=True).click()
    share_if_asked(page, "Sign in with a test user")
    expect(page).to_have_url(f"{BASE_URL}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def still_signed_in(page: Page) -> None:
    page.goto(f"{BASE_URL}/home/")
    expect(page).to_have_url(f"{BASE_URL}/home/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your details")


def linkage_key_shown(page: Page, *, create: bool = False) -> str:
    """The P5 patient proves who they are (P9), creates a key if asked to, and shows it."""
    page.goto(f"{BASE_URL}/home/linkage-details/")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("^(Prove who you are to continue|Your linkage)"))
    if heading.inner_text() == "Prove who you are to continue":
        page.get_by_role("button", name="Continue to NHS login").click()
        page.get_by_label(P5_USER).check()
        page.get_by_role("button", name="Continue", exact=True).click()
        expect(heading).to_have_text("Prove who you are")
        page.get_by_role("button", name="Continue").click()
        share_if_asked(page, "Prove who you are")
    if create:
        expect(heading).to_have_text("You do not have a linkage key yet")
        page.get_by_role("button", name="Create a linkage key").click()
        page.get_by_role("button", name="Create my linkage key").click()
        expect(page.get_by_text("Your linkage key has been created")).to_be_visible()
        page.goto(f"{BASE_URL}/home/linkage-details/")
    expect(heading).to_have_text("Your linkage details")
    page.get_by_role("button", name="Show linkage key").click()
    key = page.locator("#linkage-key").inner_text().strip()
    if not key:
        raise StackCheckError("the linkage details page showed no key")
    return key


@dataclass
class Browsing:
    """A signed-in patient's requests, sent without pause from several threads while servers
    stop and start: every one must be answered with the patient's page."""

    cookie_header: str
    threads: int = 4
    answers: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _browse(self) -> None:
        request = urllib.request.Request(
            f"{BASE_URL}/home/", headers={"Cookie": self.cookie_header}
        )
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:
                    body = answer.read().decode()
                    outcome = "signed-in page" if "Your details" in body else "other page"
            except urllib.error.HTTPError as error:
                outcome = f"HTTP {error.code}"
            except OSError as error:
                outcome = type(error).__name__
            with self._lock:
                self.answers[outcome] += 1

    def __enter__(self) -> Browsing:
        self._workers = [threading.Thread(target=self._browse) for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join()


def cookie_header(context: BrowserContext) -> str:
    return "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in context.cookies(BASE_URL))


# --- Per-address limits ------------------------------------------------------------------------


def address_limit_probe(
    base_url: str, host: str, kind: str, attempts: int, forwarded_for: str
) -> list[int]:
    """Send ``attempts`` token requests (``kind`` "token") or sign-in starts ("sign-in") and
    return each status. Standard library only: it also runs inside a container of the stack,
    as a second client address behind the same load balancer."""
    import re as re_
    import urllib.error as error_
    import urllib.request as request_

    class NoRedirect(request_.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = request_.build_opener(NoRedirect)
    headers = {"Host": host, **({"X-Forwarded-For": forwarded_for} if forwarded_for else {})}

    def status(url: str, body: bytes | None, extra: dict[str, str]) -> tuple[int, str, str]:
        request = request_.Request(url, data=body, headers={**headers, **extra})
        try:
            with opener.open(request, timeout=10) as answer:
                cookies = "; ".join(
                    value.split(";", 1)[0] for value in answer.headers.get_all("Set-Cookie") or []
                )
                return answer.status, answer.read().decode(), cookies
        except error_.HTTPError as refused:
            return refused.code, "", ""

    statuses = []
    for _ in range(attempts):
        if kind == "token":
            statuses.append(status(f"{base_url}/api/oauth2/token", b"", {})[0])
            continue
        _, page, cookies = status(f"{base_url}/", None, {})
        token = re_.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        form = f"csrfmiddlewaretoken={token.group(1) if token else ''}".encode()
        statuses.append(
            status(
                f"{base_url}/auth/nhs-login/start/",
                form,
                {"Cookie": cookies, "Content-Type": "application/x-www-form-urlencoded"},
            )[0]
        )
    return statuses


def probe_from_another_address(stack: Stack, kind: str) -> int:
    """One request from inside the simulator's container: another client of the load
    balancer, at another address than this machine's."""
    source = inspect.getsource(address_limit_probe)
    call = f"print(json.dumps(address_limit_probe('http://load-balancer', 'localhost:8000', {kind!r}, 1, '')))"  # noqa: E501
    program = f"import json\n{source}\n{call}\n"
    statuses: list[int] = json.loads(
        stack.output("exec", "-T", "simulator", "python", "-c", program)
    )
    return statuses[0]


def wait_for_a_fresh_window() -> None:
    """The limits count in fixed one-minute windows: start early in one, so a proof is never
    split across two."""
    while not 1 <= time.time() % 60 <= 20:
        time.sleep(0.5)


def prove_limits_count_patients(stack: Stack, kind: str, name: str) -> None:
    wait_for_a_fresh_window()
    mine = address_limit_probe(BASE_URL, "localhost:8000", kind, 70, "")
    if 429 not in mine:
        raise StackCheckError(f"{name}: 70 from this machine in a minute, none refused")
    allowed = mine.index(429)
    forged = address_limit_probe(BASE_URL, "localhost:8000", kind, 1, "203.0.113.7")[0]
    other = probe_from_another_address(stack, kind)
    still = address_limit_probe(BASE_URL, "localhost:8000", kind, 1, "")[0]
    if forged != 429:
        raise StackCheckError(f"{name}: a forged X-Forwarded-For escaped the limit ({forged})")
    if other == 429:
        raise StackCheckError(f"{name}: another address was refused: one bucket for everyone")
    if still != 429:
        raise StackCheckError(f"{name}: the window ended during the proof; run it again")
    proved(
        f"{name}: this machine refused after {allowed}, still refused with a forged "
        f"X-Forwarded-For; another address behind the load balancer answered {other}"
    )


# --- What must survive -------------------------------------------------------------------------


def fingerprint(stack: Stack) -> dict[str, object]:
    database: dict[str, object] = json.loads(stack.sql(FINGERPRINT_SQL))
    key_file = stack.output(
        "exec", "-T", "portal", "sha256sum", "/data/nhs_login/private_key.pem"
    ).split()[0]
    return {**database, "nhs_login_key_digest": key_file}


def same_state(before: dict[str, object], after: dict[str, object], when: str) -> None:
    if before != after:
        changed = sorted(name for name in before if before[name] != after.get(name))
        raise StackCheckError(f"{when}: changed: {', '.join(changed)}")
    proved(
        f"{when}: the same register ({before['register']} patients), linkage keys "
        f"({before['linkage_keys']}), audit trail ({before['audit_events']} events, "
        "byte for byte) and NHS login key"
    )


def same_key(browser: Browser, key: str, when: str) -> None:
    context = new_context(browser)
    page = context.new_page()
    sign_in(page, P5_USER)
    if linkage_key_shown(page) != key:
        raise StackCheckError(f"{when}: the patient was shown a different linkage key")
    context.close()
    proved(f"{when}: the patient signs in again and is shown the same linkage key")


def bring_up(stack: Stack, *, scale: int = 1) -> None:
    stack.run("up", "--detach", "--no-recreate", "--scale", f"portal={scale}")
    wait_until("the load balancer's /health/ready", load_balancer_ready)


# --- The stages ----------------------------------------------------------------------------


def check_image(stack: Stack, timings: list[tuple[str, float]]) -> None:
    with stage("build the image", timings):
        # One image for every service that runs the portal's code (compose.yaml's image:).
        stack.run("build", "portal")
        image = stack.environment.get("PORTAL_IMAGE", "citizen-portal:local")
        healthcheck = docker("image", "inspect", "--format", "{{json .Config.Healthcheck}}", image)
        if "container_healthcheck.py" not in healthcheck:
            raise StackCheckError("the image has no HEALTHCHECK")
        report = docker(
            "run",
            "--rm",
            "--entrypoint",
            "sh",
            image,
            "-c",
            "id -u; for tool in uv npm node gcc cc make; do command -v $tool; done; "
            "touch /app/manage.py 2>/dev/null && echo code-writable; "
            "touch /app/new-file 2>/dev/null && echo code-writable; true",
        ).split()
        if report[0] != "10001" or len(report) != 1:
            raise StackCheckError(f"the image: {report}")
        proved("image: runs as uid 10001, cannot write its code, has no uv/npm/node/compiler")
        proved("image: has a HEALTHCHECK (/health/live under a host ALLOWED_HOSTS names)")


def check_stack(stack: Stack, browser: Browser, timings: list[tuple[str, float]]) -> None:
    with stage("start the stack (one portal server)", timings):
        bring_up(stack)
        stack.run("exec", "-T", "portal", "python", "manage.py", "demo_practice_seed")
        first = new_context(browser)
        first_page = first.new_page()
        sign_in(first_page, P9_USER)
        expect(first_page.locator(".nhsuk-summary-list")).to_contain_text("999 000 0018")
        proved("a P9 patient signs in through the load balancer with Chromium")
        grants = stack.sql(
            "SELECT string_agg(privilege_type, ',' ORDER BY privilege_type) FROM "
            "information_schema.role_table_grants WHERE grantee = 'portal_app' "
            "AND table_name = 'linkage_auditevent'"
        )
        if grants != "INSERT,SELECT":
            raise StackCheckError(f"portal_app's grants on the audit table: {grants}")
        proved("the app servers connect as portal_app: audit events SELECT and INSERT only")

    with stage(f"scale out to {SCALE} portal servers", timings):
        stack.run("up", "--detach", "--no-recreate", "--scale", f"portal={SCALE}")
        servers = stack.containers("portal")
        if len(servers) != SCALE:
            raise StackCheckError(f"{len(servers)} portal servers after scaling to {SCALE}")
        for server in servers:
            wait_until(f"portal server {server[:12]} healthy", lambda s=server: healthy(s))
        addresses = {
            docker(
                "inspect",
                "--format",
                "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                server,
            )
            for server in servers
        }
        time.sleep(6)  # the load balancer looks the servers up again every 5 s
        for _ in range(30):
            http_status(f"{BASE_URL}/health/live")
        served = set(
            re.findall(
                r'"GET /health/live" 200 .* upstream=([0-9.]+):8000',
                docker_logs(stack.containers("load-balancer")[0]),
            )
        )
        if served != addresses:
            raise StackCheckError(f"requests reached {served}, servers are {addresses}")
        proved(f"30 requests through the load balancer reached all {SCALE} servers")
        for _ in range(5):
            still_signed_in(first_page)
        proved("the signed-in patient stays signed in, whichever server answers")

    with stage("stop one server and restart another while a patient browses", timings):
        stopped, restarted = servers[0], servers[1]
        with Browsing(cookie_header(first)) as browsing:
            time.sleep(3)
            began = time.monotonic()
            docker("stop", stopped)
            stop_seconds = time.monotonic() - began
            exit_code = docker("inspect", "--format", "{{.State.ExitCode}}", stopped)
            second = new_context(browser)
            second_page = second.new_page()
            sign_in(second_page, P5_USER)
            key = linkage_key_shown(second_page, create=True)
            proved(
                "with one server stopped, a P5 patient signs in, proves who they are (P9) "
                "and creates a linkage key"
            )
            docker("restart", restarted)
            wait_until("the restarted server healthy", lambda: healthy(restarted))
            time.sleep(3)
        logs = docker_logs(stopped)
        if exit_code != "0" or "Handling signal: term" not in logs:
            raise StackCheckError(f"the stopped server exited {exit_code}, not gracefully")
        proved(f"the stopped server shut down gracefully on SIGTERM ({stop_seconds:.1f} s, exit 0)")
        answers = dict(browsing.answers)
        if set(answers) != {"signed-in page"}:
            raise StackCheckError(f"while servers stopped and restarted: {answers}")
        proved(
            f"{answers['signed-in page']} requests of the signed-in patient while one server "
            "stopped and another restarted: every one answered with their page"
        )
        still_signed_in(first_page)
        proved("the patient signed in before the stop is still signed in")
        first.close()
        second.close()
        docker("start", stopped)
        wait_until("the stopped server back", lambda: healthy(stopped))

    with stage("per-address limits count patients, not the load balancer", timings):
        prove_limits_count_patients(stack, "token", "token requests")
        prove_limits_count_patients(stack, "sign-in", "sign-in starts")

    with stage("down, then up: the volumes keep the state", timings):
        before = fingerprint(stack)
        stack.run("down")
        bring_up(stack)
        same_state(before, fingerprint(stack), "after down and up")
        same_key(browser, key, "after down and up")

    with stage("back up with pg_dump, lose the database, restore with pg_restore", timings):
        backup = stack.logs / "portal.dump"
        stack.run(
            "exec",
            "-T",
            "postgres",
            "pg_dump",
            "--username=portal",
            "--format=custom",
            "portal",
            stdout=backup,
        )
        if backup.stat().st_size == 0:
            raise StackCheckError("pg_dump wrote nothing")
        proved(f"pg_dump: {backup.stat().st_size} bytes")
        before = fingerprint(stack)
        stack.run("down")
        docker("volume", "rm", f"{PROJECT}_postgres-data")
        stack.run("up", "--detach", "postgres")
        wait_until("PostgreSQL healthy", lambda: healthy(stack.containers("postgres")[0]))
        if stack.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") != "0":
            raise StackCheckError("the new database volume is not empty")
        proved("the database's volume deleted: PostgreSQL starts on an empty one")
        stack.run("run", "--rm", "database-roles")
        stack.run(
            "exec",
            "-T",
            "postgres",
            "pg_restore",
            "--username=portal",
            "--dbname=portal",
            "--exit-on-error",
            "--single-transaction",
            stdin=backup,
        )
        bring_up(stack)
        same_state(before, fingerprint(stack), "after restoring the backup")
        same_key(browser, key, "after restoring the backup")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="leave the stack running at the end")
    arguments = parser.parse_args()
    timings: list[tuple[str, float]] = []
    started = time.monotonic()
    stack = Stack(
        compose=compose_command(),
        environment=stack_environment(),
        logs=Path(tempfile.mkdtemp(prefix="stack-check-")),
    )
    print(f"Compose: {' '.join(stack.compose)}; logs in {stack.logs}")
    failed: StackCheckError | None = None
    try:
        stack.run("down", "--volumes", "--remove-orphans")
        ports_free()
        check_image(stack, timings)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                headless=True,
                args=CHROMIUM_ARGS,
            )
            check_stack(stack, browser, timings)
            browser.close()
    except (StackCheckError, AssertionError, PlaywrightError) as error:
        failed = error if isinstance(error, StackCheckError) else StackCheckError(str(error))
        with contextlib.suppress(StackCheckError):
            (stack.logs / "services.log").write_text(stack.output("logs", "--no-color"))
    finally:
        if not arguments.keep:
            with (
                stage("tear down (containers, network, volumes)", timings),
                contextlib.suppress(StackCheckError),
            ):
                stack.run("down", "--volumes", "--remove-orphans")
    print("\n" + "\n".join(f"{took:6.0f} s  {name}" for name, took in timings))
    print(f"{time.monotonic() - started:6.0f} s  in all")
    if failed:
        print(f"\nFAILED: {failed} (logs: {stack.logs})", file=sys.stderr)
        return 1
    print("\nstack-check: every promise held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
