"""Mutation testing of the validation rules, with a score per module: `make mutation`.

What it does, and why, is written in docs/mutation-testing.md. In short:

1. ``mutmut run`` mutates the functions of the modules ``[tool.mutmut] only_mutate`` names
   (pyproject.toml) and runs the tests that reach each mutant.
2. mutmut 3 mutates only code inside functions, so a module-level constant (a claim list, a
   lifetime in seconds, a regular expression) would never be mutated. This script mutates those
   too, with mutmut's own number and string operators plus the removal of each element of a
   tuple or list, and runs each such mutant in a fork of a process that has imported the
   libraries but none of the project's modules, where importing the module reads the mutated
   source (a value read at import time cannot be switched while running, as mutmut switches
   functions).
3. It reads both sets of results, sets aside the mutants docs/mutation-testing.md lists
   (equivalent or message-only, each with its reason), prints each module's score and fails if
   one is below ``THRESHOLD`` or if the list is stale (a listed mutant killed, gone or changed).

The run uses SQLite and the memory cache whatever the environment says: mutmut's workers run
side by side, each with its own in-memory database, where two of them would collide in one
PostgreSQL test database.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
SET_ASIDE_DOCUMENT = ROOT / "docs" / "mutation-testing.md"
CONSTANT_RESULTS = MUTANTS / "constant-mutants.json"
THRESHOLD = 95.0
# Killed, in mutmut's words: a test failed (1), or pytest itself fell over (3); a mutant that
# made the tests run past their time limit counts as found too, as mutmut's own score has it.
DETECTED = {"killed", "timeout"}
# Each row of the set-aside table: | `mutant` | `its mutated line` | kind | reason |
SET_ASIDE_ROW = re.compile(
    r"^\| `(?P<name>[\w.ǁ]+__(?:mutmut|constant)_\d+)` \| `(?P<change>.*)` "
    r"\| (?P<kind>equivalent|message) \| (?P<reason>.+) \|$"
)


def _mutmut_config() -> dict[str, list[str]]:
    config: dict[str, list[str]] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"][
        "mutmut"
    ]
    return config


def mutated_paths() -> list[str]:
    return list(_mutmut_config()["only_mutate"])


def module_name(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _environment() -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "MUTANT_UNDER_TEST"}
    }
    environment["DJANGO_SETTINGS_MODULE"] = "citizen_portal.settings.test"
    return environment


# --- Constants: the mutants mutmut does not make ----------------------------------------------


@dataclass(frozen=True)
class ConstantMutant:
    name: str  # module.CONSTANT__constant_N
    path: str
    original: str  # the assignment as written
    mutated: str  # the assignment as mutated
    source: str  # the whole module, mutated

    @property
    def module(self) -> str:
        return self.name.rsplit(".", 1)[0]


class _Literals(cst.CSTVisitor):
    """The numbers and strings of an expression, in the order they are written."""

    def __init__(self) -> None:
        self.numbers_and_strings: list[cst.BaseNumber | cst.SimpleString] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Integer | cst.Float | cst.SimpleString):
            self.numbers_and_strings.append(node)
        return True


def _value_mutants(value: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """mutmut's own operators on each number and string of the value, then the removal of each
    element of a tuple, list or set (a claim that leaves the required list, a header that leaves
    the forbidden ones)."""
    from mutmut.mutation.mutators import operator_number, operator_string

    literals = _Literals()
    value.visit(literals)
    for literal in literals.numbers_and_strings:
        mutated_literals = (
            operator_number(literal)
            if isinstance(literal, cst.BaseNumber)
            else operator_string(literal)
        )
        for mutated in mutated_literals:
            replaced = value.deep_replace(literal, mutated)
            assert isinstance(replaced, cst.BaseExpression)
            yield replaced
    if isinstance(value, cst.Tuple | cst.List | cst.Set):
        elements = list(value.elements)
        for index in range(len(elements)):
            kept = elements[:index] + elements[index + 1 :]
            if kept:
                kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
            if isinstance(value, cst.Set) and not kept:
                continue  # {} would be a dict
            yield value.with_changes(elements=kept)


def _code(module: cst.Module, statement: cst.SimpleStatementLine) -> str:
    """The statement on one line, without the comments above it."""
    return " ".join(module.code_for_node(statement.with_changes(leading_lines=())).split())


def constant_mutants(path: str) -> list[ConstantMutant]:
    source = (ROOT / path).read_text()
    module = cst.parse_module(source)
    mutants: list[ConstantMutant] = []
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        assignment = statement.body[0]
        if isinstance(assignment, cst.Assign) and len(assignment.targets) == 1:
            target = assignment.targets[0].target
        elif isinstance(assignment, cst.AnnAssign) and assignment.value is not None:
            target = assignment.target
        else:
            continue
        if not isinstance(target, cst.Name) or assignment.value is None:
            continue
        for number, value in enumerate(_value_mutants(assignment.value), start=1):
            mutated_statement = statement.with_changes(body=[assignment.with_changes(value=value)])
            mutated_module = module.deep_replace(statement, mutated_statement)
            assert isinstance(mutated_module, cst.Module)
            mutants.append(
                ConstantMutant(
                    name=f"{module_name(path)}.{target.value}__constant_{number}",
                    path=path,
                    original=_code(module, statement),
                    mutated=_code(module, mutated_statement),
                    source=mutated_module.code,
                )
            )
    return mutants


class _MutatedModule(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated source whenever the module is imported, by anyone: the module itself,
    the modules that import a constant from it, and the tests."""

    def __init__(self, mutant: ConstantMutant) -> None:
        self.mutant = mutant

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.mutant.module:
            return None
        return importlib.util.spec_from_file_location(
            fullname, ROOT / self.mutant.path, loader=self
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        code = compile(self.mutant.source, str(ROOT / self.mutant.path), "exec")
        exec(code, module.__dict__)  # noqa: S102 - the project's own source, one constant changed


def _mutmut_stats() -> dict[str, object]:
    stats: dict[str, object] = json.loads((MUTANTS / "mutmut-stats.json").read_text())
    return stats


def tests_for_module(module: str) -> list[str]:
    """Every test that reached one of the module's functions in mutmut's stats run, fastest
    first (as mutmut orders them)."""
    stats = _mutmut_stats()
    by_function = stats["tests_by_mangled_function_name"]
    durations = stats["duration_by_test"]
    assert isinstance(by_function, dict)
    assert isinstance(durations, dict)
    tests = {
        test
        for function, function_tests in by_function.items()
        if function.rsplit(".", 1)[0] == module
        for test in function_tests
    }
    return sorted(tests, key=lambda test: (durations.get(test, 0.0), test))


def project_packages() -> set[str]:
    """The project's own packages: every app mutmut copies (``source_paths``) and the shared
    test support. None of them may be imported before a constant mutant's fork: an app left out
    (``demo``, which the test support imports) would import the mutated module, unmutated,
    into the parent, and every fork would test that copy instead of the mutant."""
    return {*_mutmut_config()["source_paths"], "tests"}


def _collected_libraries(tests: list[str]) -> list[str]:
    """The libraries (not the project's own modules) that collecting the tests imports."""
    import pytest

    pytest.main(["-q", "--collect-only", "-p", "no:cacheprovider", *tests])
    return [
        name
        for name in list(sys.modules)
        if name.split(".")[0] not in project_packages() | {"conftest", "__main__"}
    ]


def _libraries_preload(tests: list[str]) -> None:
    """Import in this process what the mutants' tests import but the project: each mutant's
    Python is then a fork of this one and starts in a fraction of a second, not seconds. None
    of the project's modules is imported here, so each fork imports them afresh, the mutated
    one from its mutated source. A library that needs the project (a Django model) fails to
    import here and is simply imported in the fork."""
    from mutmut.workers.isolation import run_in_fork_with_result

    names: list[str] = run_in_fork_with_result(_collected_libraries, tests)
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - imported in each fork instead
            continue


def _constant_mutant_in_fork(mutant: ConstantMutant, tests: list[str], log: Path) -> None:
    """In the fork: the mutated module served at import, then the tests; never returns."""
    exit_code = 3
    try:
        descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(descriptor, 1)
        os.dup2(descriptor, 2)
        sys.stdout = sys.stderr = os.fdopen(1, "w", buffering=1)
        sys.meta_path.insert(0, _MutatedModule(mutant))
        import pytest

        exit_code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", "--tb=line", *tests]))
    finally:
        sys.stdout.flush()
        os._exit(exit_code)


def _status_from_exit_code(exit_code: int) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[exit_code])


def _constant_status(exit_code: int) -> str:
    if exit_code == 2:
        # pytest's "interrupted": here, an error while collecting, the mutated module having
        # failed to import. That mutant is found as surely as by a failing test.
        return "killed"
    return _status_from_exit_code(exit_code)


def run_constant_mutants(max_children: int, *, reuse: bool) -> dict[str, dict[str, str]]:
    """Each constant mutant in a fork of this process, ``max_children`` at a time."""
    earlier: dict[str, dict[str, str]] = (
        json.loads(CONSTANT_RESULTS.read_text()) if reuse and CONSTANT_RESULTS.exists() else {}
    )
    durations = _mutmut_stats()["duration_by_test"]
    assert isinstance(durations, dict)
    mutants = [mutant for path in mutated_paths() for mutant in constant_mutants(path)]
    results: dict[str, dict[str, str]] = {}
    pending: list[ConstantMutant] = []
    for mutant in mutants:
        known = earlier.get(mutant.name)
        if known and known["mutated"] == mutant.mutated and known["status"] != "not checked":
            results[mutant.name] = known
        else:
            pending.append(mutant)
    print(f"Constant mutants: {len(mutants)} ({len(pending)} to run, {max_children} at a time)")
    tests_by_module = {
        module_name(path): tests_for_module(module_name(path)) for path in mutated_paths()
    }
    os.environ.clear()
    os.environ.update(_environment())
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    _libraries_preload(sorted({test for tests in tests_by_module.values() for test in tests}))
    logs = MUTANTS / "constant-mutants"
    logs.mkdir(parents=True, exist_ok=True)

    def record(mutant: ConstantMutant, status: str) -> None:
        results[mutant.name] = {
            "status": status,
            "path": mutant.path,
            "original": mutant.original,
            "mutated": mutant.mutated,
        }
        done = len(results) - (len(mutants) - len(pending))
        print(f"    {done}/{len(pending)} {mutant.name}: {status}", flush=True)
        CONSTANT_RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))

    running: dict[int, tuple[ConstantMutant, float]] = {}
    queue = list(pending)
    while queue or running:
        while queue and len(running) < max_children:
            mutant = queue.pop(0)
            tests = tests_by_module[mutant.module]
            if not tests:
                record(mutant, "no tests")
                continue
            # mutmut's own allowance for the tests, and some for the fork's own imports
            allowance = 10 + 15 * (1 + sum(durations.get(test, 0.0) for test in tests))
            pid = os.fork()
            if pid == 0:
                _constant_mutant_in_fork(mutant, tests, logs / f"{mutant.name}.log")
            running[pid] = (mutant, time.monotonic() + allowance)
        pid, wait_status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            for child, (mutant, deadline) in list(running.items()):
                if time.monotonic() > deadline:
                    os.kill(child, 9)
                    os.waitpid(child, 0)
                    del running[child]
                    record(mutant, "timeout")
            time.sleep(0.05)
            continue
        mutant, _ = running.pop(pid)
        record(mutant, _constant_status(os.waitstatus_to_exitcode(wait_status)))
    return results


# --- Reading the results ----------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    module: str
    status: str
    change: str  # the mutated line(s), as the set-aside list quotes them


def _change(plus: list[str], minus: list[str]) -> str:
    """A mutant's mutated lines, or what it removed when it adds none."""
    if plus:
        return " / ".join(line.strip() for line in plus)
    return "removed: " + " / ".join(line.strip() for line in minus)


def _mutmut_results() -> list[Result]:
    os.chdir(ROOT)
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    results = []
    for path in mutated_paths():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            diff = get_diff_for_mutant(name, path=path).splitlines()
            plus = [
                line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")
            ]
            minus = [
                line[1:] for line in diff if line.startswith("-") and not line.startswith("---")
            ]
            results.append(
                Result(
                    name=name,
                    module=module_name(path),
                    status=_status_from_exit_code(exit_code)
                    if exit_code is not None
                    else "not checked",
                    change=_change(plus, minus),
                )
            )
    return results


def _constant_results() -> list[Result]:
    if not CONSTANT_RESULTS.exists():
        return []
    stored: dict[str, dict[str, str]] = json.loads(CONSTANT_RESULTS.read_text())
    return [
        Result(
            name=name,
            module=name.rsplit(".", 1)[0],
            status=entry["status"],
            change=" ".join(entry["mutated"].split()),
        )
        for name, entry in sorted(stored.items())
    ]


@dataclass(frozen=True)
class SetAside:
    name: str
    change: str
    kind: str
    reason: str


def set_aside_list() -> dict[str, SetAside]:
    listed: dict[str, SetAside] = {}
    for line in SET_ASIDE_DOCUMENT.read_text().splitlines():
        row = SET_ASIDE_ROW.match(line)
        if row:
            listed[row["name"]] = SetAside(
                row["name"], row["change"].replace("\\|", "|"), row["kind"], row["reason"]
            )
    return listed


def _same(one: str, other: str) -> bool:
    return " ".join(one.split()) == " ".join(other.split())


def _table_row(result: Result) -> str:
    kind = "message" if "raise" in result.change or "Error(" in result.change else "equivalent"
    change = result.change.replace("|", "\\|")
    return f"| `{result.name}` | `{change}` | {kind} | WHY |"


def report() -> bool:
    """Print each module's score; True when every module reaches the threshold and the
    set-aside list matches the mutants."""
    results = _mutmut_results() + _constant_results()
    by_name = {result.name: result for result in results}
    listed = set_aside_list()
    healthy = True
    for name, entry in sorted(listed.items()):
        result = by_name.get(name)
        if result is None:
            print(f"STALE: {name} is set aside but is no mutant any more: remove it from the list")
            healthy = False
        elif not _same(result.change, entry.change):
            print(f"STALE: {name} now mutates `{result.change}`, not `{entry.change}`")
            healthy = False
        elif result.status in DETECTED:
            print(f"STALE: {name} is set aside but now {result.status}: remove it from the list")
            healthy = False
    unlisted = [r for r in results if r.status not in DETECTED and r.name not in listed]
    if unlisted:
        print("\nMutants no test found, not set aside (a row for each, if set aside):")
        for result in unlisted:
            print(f"  [{result.status}] {_table_row(result)}")
    print(f"\n{'module':<24} {'mutants':>7} {'killed':>6} {'set aside':>9} {'missed':>6}  score")
    for path in mutated_paths():
        module = module_name(path)
        own = [r for r in results if r.module == module]
        killed = sum(r.status in DETECTED for r in own)
        aside = sum(r.name in listed and r.status not in DETECTED for r in own)
        counted = len(own) - aside
        score = 100.0 * killed / counted if counted else 0.0
        verdict = "ok" if score >= THRESHOLD else f"BELOW {THRESHOLD:.0f} %"
        print(
            f"{module:<24} {len(own):>7} {killed:>6} {aside:>9} {counted - killed:>6}"
            f"  {score:5.1f} %  {verdict}"
        )
        healthy = healthy and score >= THRESHOLD
    return healthy


# --- The run ----------------------------------------------------------------------------------


def run_mutmut(max_children: int, *, reuse: bool) -> None:
    if not reuse and MUTANTS.exists():
        shutil.rmtree(MUTANTS)
    MUTANTS.mkdir(exist_ok=True)
    log = MUTANTS / "mutmut-run.log"
    mutmut = Path(sys.executable).parent / "mutmut"
    print(f"mutmut run on {', '.join(mutated_paths())} (its output: {log.relative_to(ROOT)})")
    with log.open("w") as output:
        finished = subprocess.run(  # noqa: S603 - the project's own mutmut
            [str(mutmut), "run", "--max-children", str(max_children)],
            cwd=ROOT,
            env=_environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode != 0:
        print(log.read_text()[-3000:])
        raise SystemExit(f"mutmut run failed ({finished.returncode})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--reuse", action="store_true", help="keep mutants/ and the results already there"
    )
    parser.add_argument(
        "--report", action="store_true", help="only score the results already in mutants/"
    )
    parser.add_argument("--show", metavar="MUTANT", help="show what one mutant changes")
    parser.add_argument(
        "--constants-only",
        action="store_true",
        help="run only the constant mutants (mutmut's results must be in mutants/ already)",
    )
    arguments = parser.parse_args()

    if arguments.show:
        constants = {m.name: m for path in mutated_paths() for m in constant_mutants(path)}
        if arguments.show in constants:
            mutant = constants[arguments.show]
            print(f"# {mutant.path}\n- {mutant.original}\n+ {mutant.mutated}")
            return 0
        mutmut = Path(sys.executable).parent / "mutmut"
        shown = subprocess.run([str(mutmut), "show", arguments.show], cwd=ROOT, check=False)  # noqa: S603
        return shown.returncode
    started = time.monotonic()
    if not arguments.report:
        if not arguments.constants_only:
            run_mutmut(arguments.max_children, reuse=arguments.reuse)
        run_constant_mutants(arguments.max_children, reuse=arguments.reuse)
    healthy = report()
    if not arguments.report:
        print(f"\nTook {(time.monotonic() - started) / 60:.1f} minutes.")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
