"""Every error the command line shows speaks CLI: flags and commands, never Python calls.

Errors carry their fix as a structured Remedy; Python callers read it as Python, the CLI phrases
it as flags and commands. These tests run the real console script into each error that has a
fix to suggest, and check the message for Python call syntax.
"""

from __future__ import annotations

import ast
import concurrent.futures
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from databutler import Butler, CollectionKind, DatasetType
from databutler.cli.remedies import CLI
from databutler.domain.errors import CollectionError
from databutler.domain.remedies import PYTHON, Action, Remedy
from databutler.ports.registry import Registry
from databutler.testing.data import insert_standard_data_units

BIN = str(Path(sys.executable).with_name("databutler"))
ROOT = Path(__file__).resolve().parents[2]

API_NAMES = sorted({name for owner in (Butler, Registry) for name in dir(owner)
                    if "_" in name.strip("_") and not name.startswith("_")})
"""Public methods of the Python API with a snake_case name (``set_chain``, ``insert_data_units``...)."""

PYTHON_SYNTAX = [
    re.compile(r"\b[A-Za-z_][\w.]*\("),                      # a call: Butler(, insert_data_units(
    re.compile(r"\b[a-z_]+=(?:\s|$|\{|\[|True\b|False\b)"),  # a keyword argument: run= , bind={, unstore=True
    re.compile(r"\b[a-z_]+\[['\"]"),                         # a subscript: data_id['visit']
    re.compile(r"\b(?:" + "|".join(API_NAMES) + r")\b"),     # a method name of the Python API
]

# (arguments, a phrase the CLI's remedy must contain); {repo} is a repository with data, {empty}
# one with nothing in it, {bare} a directory that is no repository.
CASES: dict[str, tuple[list[str], str]] = {
    "unstore": (["prune-datasets", "{repo}", "calexp", "-c", "run1", "--keep-artifacts", "--yes"],
                "leave out --keep-artifacts"),
    "remove_runs": (["remove-collections", "{repo}", "run1"], "databutler remove-runs {repo} run1"),
    "unchain": (["remove-collections", "{repo}", "best"], "databutler collection-chain"),
    "register_dataset_type": (["query-datasets", "{repo}", "zzzzzz", "-c", "run1"],
                              "databutler register-dataset-type {repo} zzzzzz STORAGE_CLASS"),
    "register_collection": (["query-datasets", "{repo}", "calexp", "-c", "zzzzzz"], "databutler query-collections"),
    "governor": (["query-data-ids", "{repo}", "visit", "--where", "visit = 1"], "-d instrument='Cam1'"),
    "insert_data_units": (["query-data-ids", "{empty}", "visit", "--where", "visit = 1"],
                          "databutler insert-data-units {empty} instrument FILE"),
    "skip_existing": (["insert-data-units", "{repo}", "band", "{repo}/bands.csv"], "--skip-existing"),
    "bind_value": (["query-datasets", "{repo}", "calexp", "-c", "run1", "--where", "visit = :v"], "-b v=VALUE"),
    "bind_colon": (["query-datasets", "{repo}", "calexp", "-c", "run1", "--where", "visit = :v", "-b", ":v=1"],
                   "-b v=VALUE, without the colon"),
    "collections": (["query-data-ids", "{empty}", "visit", "--datasets", "calexp"], "--collections"),
    "open_existing": (["create", "{repo}"], "every command takes its path"),
    "create_repo": (["query-collections", "{bare}"], "databutler create {bare}"),
    "data_id_overflow": (["query-datasets", "{repo}", "calexp", "-c", "run1", "-d", "visit=99999999999999999999"],
                         "data ID value 'visit'"),
    "order_by": (["query-datasets", "{repo}", "calexp", "-c", "run1", "-o", "-"], "sort fields"),
    "select_sql": (["select-sql", "{repo}", "SELECT 1; SELECT 2"], "only one SQL statement"),
}


@pytest.fixture(scope="module")
def places(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{repo}: two instruments, calexps in run1, run1 and TAGGED best in chain1; {empty}; {bare}."""
    base = tmp_path_factory.mktemp("remedies")
    with Butler.create(base / "repo", run="run1") as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"),
                                                          "StructuredData"))
        refs = butler.put_many([({"v": v}, "calexp", {"instrument": "Cam1", "visit": v, "detector": 1})
                                for v in (1, 2)])
        butler.register_collection("best", CollectionKind.TAGGED)
        butler.associate("best", refs)
        butler.define_chain("chain1", ["best", "run1"])
    (base / "repo" / "bands.csv").write_text("name\ng\n")
    Butler.create(base / "empty").close()
    (base / "bare").mkdir()
    return {"repo": base / "repo", "empty": base / "empty", "bare": base / "bare"}


def run_case(args: list[str], places: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    """Run the console script with the places filled in."""
    filled = [arg.format(**places) for arg in args]
    return subprocess.run([BIN, *filled], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def results(places: dict[str, Path]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Every case, run through the real console script (a few at a time)."""
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = {name: pool.submit(run_case, args, places) for name, (args, _) in CASES.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_errors_phrase_the_fix_as_cli_flags_and_commands(
        name: str, results: dict[str, subprocess.CompletedProcess[str]], places: dict[str, Path]) -> None:
    result = results[name]
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert CASES[name][1].format(**places) in result.stderr
    for pattern in PYTHON_SYNTAX:
        assert not pattern.search(result.stderr), f"Python syntax {pattern.pattern!r} in: {result.stderr}"


def test_every_action_has_a_python_and_a_cli_phrasing() -> None:
    assert set(CLI) == set(Action) == set(PYTHON)
    for action in Action:
        cli_text = Remedy(action, "x", "'y'").phrase(CLI)
        assert not any(pattern.search(cli_text) for pattern in PYTHON_SYNTAX), (action, cli_text)


def test_python_callers_still_read_python() -> None:
    error = CollectionError("'run1' is a RUN", remedy=Remedy(Action.REMOVE_RUNS, "run1"))
    assert str(error) == "'run1' is a RUN; remove it with remove_runs, which deletes its datasets"
    assert error.plain_message() == "'run1' is a RUN"


# Messages only a Python caller can trigger (misuse of a call's arguments); the CLI never passes
# these, so they may name the call. Anything else naming a Python API method must use a Remedy.
PYTHON_ONLY = (
    "takes a sequence of", "takes SQL text", "needs at least one DataUnit", "data_id must be a mapping",
    "declares 'artifact_bytes'", "declares 'list'", "is not an absolute URI; remove_uris",
    "insert_many: every row",
    # Pipeline tasks are Python classes: their author fixes the class, whichever front end ran it.
    "does not define run()", "run() must return", "run() returned undeclared", "run() did not return",
    "declare it multiple=True",
    # Arguments of the calibration calls (the CLI passes parsed dates and DataIds, never these).
    "is a Timespan(begin, end)", "takes data_ids as a list",
    # The where language's own region functions and operator: the CLI's --where takes them too.
    "IVOA", "OVERLAPS",
)


def test_no_error_message_bakes_in_python_advice() -> None:
    """Errors name Python calls only through a Remedy (except arguments only Python can pass)."""
    offenders = []
    for path in sorted((ROOT / "databutler").rglob("*.py")):
        if "testing" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _called_name(node).endswith("Error")):
                continue
            parts = [*node.args, *(k.value for k in node.keywords if k.arg in ("hint", "reason"))]
            text = "".join(c.value for arg in parts for c in ast.walk(arg)
                           if isinstance(c, ast.Constant) and isinstance(c.value, str))
            if any(allowed in text for allowed in PYTHON_ONLY):
                continue
            if any(pattern.search(text) for pattern in PYTHON_SYNTAX[:3]) or re.search(
                    r"\b(?:with|use|call|pass) (?:" + "|".join(API_NAMES) + r")\b", text):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {text[:100]!r}")
    assert not offenders, "give these errors a Remedy instead:\n" + "\n".join(offenders)


def _called_name(call: ast.Call) -> str:
    """``XError`` for ``XError(...)`` or ``errors.XError(...)``; '' for other calls."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""
