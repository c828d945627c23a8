"""The ``databutler lineage`` command of the real console script, in subprocesses: table, JSON and PROV output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from prov.model import ProvDerivation, ProvDocument

from databutler import Butler
from databutler.domain import CollectionKind
from databutler.testing.data import insert_standard_data_units
from databutler.testing.registry import CALEXP, RAW
from databutler.testing.registry_lineage import Graph, write_graph

BIN = str(Path(sys.executable).with_name("databutler"))
SUMMARY_2 = ["visitSummary", "-d", "instrument=Cam1", "-d", "visit=2"]
RAW_1 = ["raw", "-d", "instrument=Cam1", "-d", "exposure=101", "-d", "detector=1"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "250"})


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Graph]:
    """A repository holding the lineage contract's chain and diamond (runs run1 and run2)."""
    root = tmp_path_factory.mktemp("cli-lineage") / "repo"
    with Butler.create(root) as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.register_dataset_type(CALEXP)
        butler.registry.register_dataset_type(RAW)
        butler.registry.register_collection("run1", CollectionKind.RUN)
        butler.registry.register_collection("run2", CollectionKind.RUN)
        graph = write_graph(butler.registry)
    return root, graph


def test_the_table_lists_ancestors_by_depth_with_the_tasks_between(repo: tuple[Path, Graph]) -> None:
    root, graph = repo
    result = run("lineage", str(root), *SUMMARY_2)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if str(graph.id("c2")) in line]
    assert len(lines) == 1 and "calexp" in lines[0] and "characterize" in lines[0]
    assert "ancestors of visitSummary" in result.stdout
    for name in ("m2", "s2", "b2", "c2", "r2"):
        assert str(graph.id(name)) in result.stdout
    assert str(graph.id("m1")) not in result.stdout


def test_json_gives_depths_and_quanta_with_edges(repo: tuple[Path, Graph]) -> None:
    root, graph = repo
    result = run("lineage", str(root), *RAW_1, "--down", "--depth", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["root"] == str(graph.id("r1")) and document["direction"] == "down"
    assert document["depth_limit"] == 2
    assert {d["id"]: d["depth"] for d in document["datasets"]} == {
        str(graph.id("r1")): 0, str(graph.id("c1")): 1, str(graph.id("s1")): 2}
    assert {q["task"]: (q["inputs"], q["outputs"]) for q in document["quanta"]} == {
        "isr": ([str(graph.id("r1"))], [str(graph.id("c1"))]),
        "measure": ([str(graph.id("c1"))], [str(graph.id("s1"))])}
    assert document["datasets"][0]["data_id"] == {"instrument": "Cam1", "exposure": 101, "detector": 1}


def test_prov_output_reads_back_with_the_prov_package(repo: tuple[Path, Graph]) -> None:
    root, graph = repo
    result = run("lineage", str(root), *SUMMARY_2, "-c", "run2", "-f", "prov")
    assert result.returncode == 0, result.stderr
    document = ProvDocument.deserialize(content=result.stdout, format="json")
    derived = {(str(r.get_attribute("prov:generatedEntity").pop().localpart),
                str(r.get_attribute("prov:usedEntity").pop().localpart))
               for r in document.get_records() if isinstance(r, ProvDerivation)}
    assert (str(graph.id("m2")), str(graph.id("b2"))) in derived
    assert (str(graph.id("c2")), str(graph.id("r2"))) in derived


def test_an_unknown_data_id_is_a_one_line_error(repo: tuple[Path, Graph]) -> None:
    root, _ = repo
    result = run("lineage", str(root), "visitSummary", "-d", "instrument=Cam1", "-d", "visit=4")
    assert result.returncode == 1
    assert "DatasetNotFoundError" in result.stderr and "Traceback" not in result.stderr
    bad = run("lineage", str(root), *SUMMARY_2, "--depth", "-1")
    assert bad.returncode == 2


def test_lineage_is_listed_with_an_example_in_help() -> None:
    assert "lineage" in run("--help").stdout
    assert "Example: databutler lineage" in run("lineage", "--help").stdout


def test_a_data_id_in_several_runs_needs_collections(repo: tuple[Path, Graph], tmp_path: Path) -> None:
    root, graph = repo
    copy = tmp_path / "repo"
    shutil.copytree(root, copy)
    with Butler(copy, writeable=True) as butler:
        butler.registry.register_collection("run3", CollectionKind.RUN)
        butler.registry.insert_datasets("visitSummary", "run3", [{"instrument": "Cam1", "visit": 2}])
    ambiguous = run("lineage", str(copy), *SUMMARY_2)
    assert ambiguous.returncode == 1
    assert "several runs ['run2', 'run3']" in ambiguous.stderr and "--collections" in ambiguous.stderr
    chosen = run("lineage", str(copy), *SUMMARY_2, "-c", "run2", "-f", "json")
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout)["root"] == str(graph.id("m2"))
