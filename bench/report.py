"""`make bench`'s record of one run: the Markdown table (bench/results/latest.md), the JSON of
every figure, and the chart (bench/results/latest.svg), all from the same figures.

The chart is SVG written here rather than drawn with a plotting library: three small panels
(requests a second and p99 against concurrency, each scenario beside the baseline; portal CPU
per request as bars) need no dependency of their own.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
COLOURS = {
    "baseline": "#425563",
    "retrieve_floor": "#41b6e6",
    "retrieve": "#005eb8",
    "create_floor": "#78be20",
    "create": "#007f3b",
    "token": "#ffb81c",
    "page_baseline": "#768692",
    "sign_in": "#d5281b",
}


def markdown(run: dict[str, Any]) -> str:
    lines = [
        f"Measured {run['measured_at'][:16].replace('T', ' ')} UTC on {run['machine']}, commit "
        f"{run['commit']}; load average {run['load_before']} before, {run['load_after']} after "
        f"(other work shares this machine). gunicorn 2 sync workers; PostgreSQL and Redis on the "
        f"same machine; the NHS login simulator in a gunicorn of its own. Cores: {run['cores']}. "
        f"Load for the API scenarios from {run['generator_note']}; for sign_in from one asyncio "
        f"httpx process. {run['seconds_per_level']:g} s per level. CPU ms: CPU time the portal's "
        "(or the simulator's, or the generator's) processes spent per request, per flow for "
        "sign_in, from the scheduler's own count (/proc/<pid>/task/*/schedstat). Redis commands: "
        "per request, from the run's own Redis (INFO commandstats), a Lua script's own commands "
        "counted beside its one EVALSHA round trip.",
        "",
        "| scenario | concurrency | per second | vs baseline | p50 ms | p95 ms | p99 ms | errors "
        "| portal CPU ms | NHS login CPU ms | generator CPU ms | Redis commands (EVALSHA) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in run["figures"]:
        ratio = f"{f['ratio_to_baseline']:.0%}" if f["ratio_to_baseline"] is not None else ""
        portal = f"{f['portal_cpu_ms']:.2f}" if f["portal_cpu_ms"] is not None else ""
        simulator = f"{f['simulator_cpu_ms']:.2f}" if f["simulator_cpu_ms"] else ""
        generator = f"{f['generator_cpu_ms']:.2f}" if f["generator_cpu_ms"] is not None else ""
        commands = f.get("redis_commands") or {}
        redis = (
            f"{sum(commands.values()):.1f} ({commands.get('evalsha', 0):.1f})" if commands else ""
        )
        lines.append(
            f"| {f['scenario']} | {f['concurrency']} | {f['per_second']:.1f} | {ratio} | "
            f"{f['p50_ms']:.1f} | {f['p95_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | "
            f"{portal} | {simulator} | {generator} | {redis} |"
        )
    steps = run.get("sign_in_steps_cpu_ms")
    if steps:
        total = sum(steps.values())
        lines += [
            "",
            "Portal CPU ms for each step of a sign-in, one flow at a time: "
            + ", ".join(f"{step} {ms:.2f}" for step, ms in steps.items())
            + f"; {total:.2f} in all.",
        ]
    lines += floors(run)
    lines += [
        "",
        f"register_import of {run['register_size']:,} rows: {run['register_import_seconds']:.2f} s "
        f"(including the command's start-up), peak memory {run['register_import_peak_rss_mb']:.0f} "
        "MB.",
    ]
    check = run["concurrent_creates"]
    lines.append(
        f"200 concurrent creates for one patient: {check['created_201']} created, "
        f"{check['exists_409']} LINKAGE_KEY_EXISTS, {check['other']} other; exactly one key: "
        f"{check['one_key']}; {check['seconds']} s."
    )
    for scale in run.get("scale", []):
        lines.append(scale)
    return "\n".join(lines) + "\n"


def floors(run: dict[str, Any]) -> list[str]:
    """Each API call beside its floor, the guarantees alone (linkage/benchmark_floor.py), and
    the sign-in flow beside the bare page on the pages' chain, at concurrency 8."""
    out = []
    for call in ("retrieve", "create"):
        cost, floor = _cpu_at(run, call), _cpu_at(run, f"{call}_floor")
        if cost and floor:
            out.append(
                f"{call} {cost:.2f} ms, its floor {floor:.2f} ms "
                f"({cost - floor:+.2f} ms for the rules, {(cost - floor) / cost:+.0%})"
            )
    page = _cpu_at(run, "page_baseline")
    steps = run.get("sign_in_steps_cpu_ms") or {}
    if page and steps:
        out.append(
            f"the bare page, signed in, {page:.2f} ms: a sign-in flow's {len(steps)} requests "
            f"pay {len(steps) * page:.2f} ms of its {sum(steps.values()):.2f} for the pages' "
            "chain alone"
        )
    if not out:
        return []
    return ["", "Portal CPU beside the floors, at concurrency 8: " + "; ".join(out) + "."]


def _panel(
    x0: float, title: str, series: dict[str, list[tuple[int, float]]], unit: str, levels: list[int]
) -> list[str]:
    width, height, top = 300.0, 200.0, 40.0
    peak = max((value for points in series.values() for _, value in points), default=1.0) or 1.0
    out = [
        f'<text x="{x0 + width / 2}" y="20" text-anchor="middle" font-weight="bold">'
        f"{escape(title)}</text>",
        f'<line x1="{x0}" y1="{top + height}" x2="{x0 + width}" y2="{top + height}" '
        'stroke="#999"/>',
        f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + height}" stroke="#999"/>',
        f'<text x="{x0 - 4}" y="{top + 4}" text-anchor="end" font-size="10">{peak:.0f}</text>',
        f'<text x="{x0 - 4}" y="{top + height}" text-anchor="end" font-size="10">0</text>',
        f'<text x="{x0 + width / 2}" y="{top + height + 30}" text-anchor="middle" '
        f'font-size="11">concurrency ({escape(unit)})</text>',
    ]
    step = width / max(len(levels) - 1, 1)
    for index, level in enumerate(levels):
        out.append(
            f'<text x="{x0 + index * step}" y="{top + height + 14}" text-anchor="middle" '
            f'font-size="10">{level}</text>'
        )
    for name, points in series.items():
        coordinates = " ".join(
            f"{x0 + levels.index(level) * step:.1f},{top + height - value / peak * height:.1f}"
            for level, value in points
        )
        out.append(
            f'<polyline fill="none" stroke="{COLOURS.get(name, "#000")}" stroke-width="2" '
            f'points="{coordinates}"/>'
        )
    return out


def chart(run: dict[str, Any]) -> str:
    figures = run["figures"]
    levels = sorted({f["concurrency"] for f in figures})
    names = list(dict.fromkeys(f["scenario"] for f in figures))
    api = [name for name in names if name != "sign_in"]

    def series(field: str, chosen: list[str]) -> dict[str, list[tuple[int, float]]]:
        return {
            name: [(f["concurrency"], f[field]) for f in figures if f["scenario"] == name]
            for name in chosen
        }

    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="1160" height="345" '
        'font-family="Arial, sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    parts += _panel(60, "requests / s", series("per_second", api), "API calls", levels)
    parts += _panel(430, "p99 latency, ms", series("p99_ms", api), "API calls", levels)
    # Bars: the portal's CPU per request, averaged over the levels, each scenario.
    x0, top, height, bar = 820.0, 40.0, 200.0, 30.0
    means = {
        name: sum(f["portal_cpu_ms"] or 0 for f in figures if f["scenario"] == name)
        / max(1, len([f for f in figures if f["scenario"] == name]))
        for name in names
    }
    peak = max(means.values(), default=1.0) or 1.0
    parts.append(
        f'<text x="{x0 + 150}" y="20" text-anchor="middle" font-weight="bold">'
        "portal CPU ms per request (per flow)</text>"
    )
    for index, (name, value) in enumerate(means.items()):
        left = x0 + index * (bar + 8)
        tall = value / peak * height
        parts += [
            f'<rect x="{left}" y="{top + height - tall:.1f}" width="{bar}" height="{tall:.1f}" '
            f'fill="{COLOURS.get(name, "#000")}"/>',
            f'<text x="{left + bar / 2}" y="{top + height - tall - 4:.1f}" text-anchor="middle" '
            f'font-size="10">{value:.2f}</text>',
            f'<text x="{left + bar / 2}" y="{top + height + 14}" text-anchor="end" '
            f'font-size="10" transform="rotate(-35 {left + bar / 2} {top + height + 14})">'
            f"{escape(name)}</text>",
        ]
    for index, name in enumerate(names):
        parts += [
            f'<rect x="{60 + index * 115}" y="300" width="12" height="12" '
            f'fill="{COLOURS.get(name, "#000")}"/>',
            f'<text x="{76 + index * 115}" y="310">{escape(name)}</text>',
        ]
    parts.append(
        f'<text x="60" y="335" font-size="10">{escape(run["measured_at"][:16])} UTC, commit '
        f"{escape(run['commit'])}, load {escape(str(run['load_before']))}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def write(run: dict[str, Any]) -> str:
    """Write the run's JSON, table and chart; the table, for printing."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = run["measured_at"][:19].replace("-", "").replace(":", "")
    (RESULTS / f"{stamp}-{run['commit']}.json").write_text(json.dumps(run, indent=2) + "\n")
    table = markdown(run)
    (RESULTS / "latest.md").write_text(table)
    (RESULTS / "latest.svg").write_text(chart(run))
    (RESULTS / "latest.json").write_text(json.dumps(run, indent=2) + "\n")
    root = RESULTS.parent.parent
    splice(root / "README.md", "latest", table)
    splice(root / "docs" / "capacity.md", "capacity", capacity(run))
    return table


# What each call asks of Redis and PostgreSQL, by round trip, as the code makes them
# (linkage/api_call_checks.py, linkage/services.py; pinned by linkage/tests/test_query_counts.py).
ROUND_TRIPS = {
    "retrieve": {"redis": 1, "redis_commands": 4, "sql": 2},
    "create": {"redis": 1, "redis_commands": 4, "sql": 5},
    "token": {"redis": 2, "redis_commands": 4, "sql": 1},
    # One patient's sign-in flow, the portal's side, read off PostgreSQL's statement log and
    # Redis's MONITOR on 2026-12-01 (docs/capacity.md): the profile's locked read and update in
    # a transaction (four statements), the IM1 lock check, the signed-in page's user and
    # practice; the session's reads and writes, the flow's state and the sign-in rate limit.
    # Redis: ten commands then; five since sessions save with SET XX and add keys with SET NX
    # alone (docs/adr/0031), as the flow's count measured by `make bench` fell from 17 to 12
    # with the simulator's unchanged.
    "sign_in": {"redis": 5, "redis_commands": 5, "sql": 7},
}
UTILISATION = 0.6  # the share of a core planned for: headroom for bursts and failover


def _cpu_at(run: dict[str, Any], scenario: str, concurrency: int = 8) -> float:
    for f in run["figures"]:
        if f["scenario"] == scenario and f["concurrency"] == concurrency:
            return float(f["portal_cpu_ms"] or 0)
    return 0.0


def _redis_at(run: dict[str, Any], scenario: str, concurrency: int = 8) -> float:
    for f in run["figures"]:
        if f["scenario"] == scenario and f["concurrency"] == concurrency:
            return float(sum((f.get("redis_commands") or {}).values()))
    return 0.0


def capacity(run: dict[str, Any]) -> str:
    """The capacity page's figures from this run (docs/capacity.md explains them): app-server
    cores, PostgreSQL connections and Redis operations a second for a number of practices and
    sign-ins a second, each sign-in one portal sign-in flow and one linkage retrieve by NHS
    login, and one create for every twenty sign-ins (a patient linking for the first time)."""
    retrieve, create = _cpu_at(run, "retrieve"), _cpu_at(run, "create")
    # An audit event per API call, its size with the indexes as the scale run measured it.
    events = int(run.get("scale_audit_events") or 0)
    event_bytes = int(run.get("scale_audit_bytes") or 0) / events if events else 0.0
    steps = run.get("sign_in_steps_cpu_ms") or {}
    flow = sum(steps.values()) or _cpu_at(run, "sign_in")
    lines = [
        f"From the run of {run['measured_at'][:16].replace('T', ' ')} UTC (commit {run['commit']}, "
        f"load average {run['load_before']}): portal CPU per retrieve {retrieve:.2f} ms, per "
        f"create {create:.2f} ms (concurrency 8), per sign-in flow {flow:.1f} ms (one flow at a "
        f"time); planned at {UTILISATION:.0%} of each core."
        + (
            f" The audit trail: {event_bytes:.0f} bytes an event with its indexes, measured at "
            f"{events:,} events (`--scale`)."
            if event_bytes
            else " The audit trail's size needs `--scale`."
        ),
        "",
        "| sign-ins / s | practices | app-server cores (API only) | cores (API and sign-in pages) "
        "| gunicorn workers | PostgreSQL connections, direct | through PgBouncer (transaction) "
        "| Redis commands / s | audit trail, GB a year |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for sign_ins, practices in ((10, 1_000), (50, 6_300), (200, 6_300), (1_000, 6_300)):
        api_ms = sign_ins * (retrieve + create / 20)
        pages_ms = api_ms + sign_ins * flow
        api_cores = max(1, -(-api_ms // (1000 * UTILISATION)))
        all_cores = max(1, -(-pages_ms // (1000 * UTILISATION)))
        workers = int(2 * all_cores)
        # Each sync worker keeps its own connection (CONN_MAX_AGE); through a transaction-mode
        # pooler only the statements in flight hold one: a round trip is about 0.5 ms here.
        sql_per_second = sign_ins * (
            ROUND_TRIPS["retrieve"]["sql"]
            + ROUND_TRIPS["create"]["sql"] / 20
            + ROUND_TRIPS["sign_in"]["sql"]
        )
        pooled = max(4, -(-int(sql_per_second * 0.5 / 1000 / 0.5) // 1))
        redis = sign_ins * (
            ROUND_TRIPS["retrieve"]["redis"]
            + ROUND_TRIPS["create"]["redis"] / 20
            + ROUND_TRIPS["sign_in"]["redis_commands"]
        )
        audit_gb = sign_ins * (1 + 1 / 20) * 86_400 * 365 * event_bytes / 1e9
        lines.append(
            f"| {sign_ins:,} | {practices:,} | {api_cores:.0f} | {all_cores:.0f} | {workers} | "
            f"{workers} | {pooled} | {redis:,.0f} | {f'{audit_gb:,.0f}' if event_bytes else '?'} |"
        )
    return "\n".join(lines) + "\n"


def splice(path: Path, name: str, text: str) -> None:
    """Put ``text`` between the ``<!-- bench:name -->`` and ``<!-- /bench:name -->`` lines of a
    document, so that the README and docs/capacity.md show this run's figures."""
    if not path.exists():
        return
    content = path.read_text()
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    if start not in content or end not in content:
        return
    before, rest = content.split(start, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{start}\n{text}{end}{after}")
