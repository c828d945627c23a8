"""The query, registry and file commands of the real ``databutler`` console script, in subprocesses.

Read-only commands run concurrently against one repository (made once through the Python API);
the commands that write run in order on a copy.
"""

from __future__ import annotations

import concurrent.futures
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from databutler import Butler, DatasetType
from databutler.testing.data import VISIT_PATCH_OVERLAPS, insert_standard_data_units, standard_universe

BIN = str(Path(sys.executable).with_name("databutler"))
Result = subprocess.CompletedProcess[str]

READS: dict[str, list[str]] = {
    "datasets_json": ["query-datasets", "{repo}", "calexp", "-c", "run1", "--where",
                      "instrument = 'Cam1' AND visit = :v AND detector IN (:d)", "-b", "v=2", "-b", "d=1|3",
                      "--format", "json"],
    "datasets_none": ["query-datasets", "{repo}", "calexp", "-c", "run1", "-d", "instrument=Cam2"],
    "datasets_typo": ["query-datasets", "{repo}", "calexp", "--where", "vist = 1"],
    "datasets_bad_option": ["query-datasets", "{repo}", "--no-such-option"],
    "data_ids_csv": ["query-data-ids", "{repo}", "visit", "patch", "--where", "tract = 1", "--format", "csv"],
    "units_json": ["query-data-units", "{repo}", "visit", "-d", "instrument=Cam1", "-o", "-visit.exposure_time",
                   "-o", "visit", "-n", "2", "-f", "json"],
    "types_csv": ["query-dataset-types", "{repo}", "-f", "csv"],
    "sql_csv": ["select-sql", "{repo}", "SELECT run, count(*) AS n FROM v_dataset GROUP BY run", "-f", "csv"],
    "sql_delete": ["select-sql", "{repo}", "WITH x AS (SELECT 1) DELETE FROM collection"],
    "verify_ok": ["verify", "{repo}", "-c", "run1"],
}


def start(args: list[str], repo: Path) -> subprocess.Popen[str]:
    """Start the console script with ``{repo}`` filled in."""
    return subprocess.Popen([BIN, *(a.format(repo=repo) for a in args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "200"})


def finish(process: subprocess.Popen[str]) -> Result:
    """Wait for a started command and capture its output."""
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run(*args: str) -> Result:
    """Run one command to completion."""
    return finish(start(list(args), Path()))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository with the standard data and 8 calexps of Cam1 (visits 1-4, detectors 1 and 3) in run1."""
    root = tmp_path_factory.mktemp("cli") / "repo"
    with Butler.create(root, {"universe": standard_universe().to_mapping()}, run="run1") as butler:
        insert_standard_data_units(butler.registry)
        butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit", "detector"),
                                                          "StructuredData"))
        butler.put_many([({"v": v, "d": d}, "calexp", {"instrument": "Cam1", "visit": v, "detector": d})
                         for v in (1, 2, 3, 4) for d in (1, 3)])
    return root


@pytest.fixture(scope="module")
def reads(repo: Path) -> dict[str, Result]:
    """Every read-only command of READS, run concurrently."""
    started = {name: start(args, repo) for name, args in READS.items()}
    return {name: finish(process) for name, process in started.items()}


def test_query_datasets_prints_json_rows_matching_where_and_binds(reads: dict[str, Result]) -> None:
    result = reads["datasets_json"]
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted((r["visit"], r["detector"]) for r in rows) == [(2, 1), (2, 3)]
    assert {r["run"] for r in rows} == {"run1"}


def test_no_results_errors_and_usage_have_distinct_exit_codes(reads: dict[str, Result]) -> None:
    assert reads["datasets_none"].returncode == 3
    assert "no results" in reads["datasets_none"].stderr
    typo = reads["datasets_typo"]
    assert typo.returncode == 1
    assert "did you mean 'visit'" in typo.stderr and "Traceback" not in typo.stderr
    assert reads["datasets_bad_option"].returncode == 2


def test_query_data_ids_answers_through_the_visit_patch_overlap(reads: dict[str, Result]) -> None:
    result = reads["data_ids_csv"]
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = {(i, v, p) for (i, v), pairs in VISIT_PATCH_OVERLAPS.items() for t, p in pairs if t == 1}
    assert {(r["instrument"], int(r["visit"]), int(r["patch"])) for r in rows} == expected


def test_query_data_units_sorts_and_limits(reads: dict[str, Result]) -> None:
    result = reads["units_json"]
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [1, 3]  # 30 s visits first, then by id
    assert rows[0]["timespan"][0].startswith("2024-01-01T22:01")


def test_dataset_types_and_sql_select(reads: dict[str, Result]) -> None:
    assert reads["types_csv"].stdout.splitlines()[1].startswith("calexp,")
    assert reads["sql_csv"].stdout.splitlines() == ["run,n", "run1,8"]
    refused = reads["sql_delete"]
    assert refused.returncode == 1 and "QueryError" in refused.stderr


def test_verify_reports_intact_files(reads: dict[str, Result]) -> None:
    assert reads["verify_ok"].returncode == 0, reads["verify_ok"].stderr
    assert "verified 8 datasets" in reads["verify_ok"].stdout


def private_copy(repo: Path, target: Path) -> Path:
    """A private copy of the module's repository, for commands that write."""
    shutil.copytree(repo, target)
    text = (target / "butler.yaml").read_text().replace(str(repo), str(target))
    (target / "butler.yaml").write_text(text)
    return target


def registry_flow(repo: Path, work: Path) -> dict[str, Result]:
    """insert-data-units, register/remove-dataset-type, associate, collection-chain, remove-collections."""
    copy = private_copy(repo, work / "registry-repo")
    records = work / "detectors.csv"
    records.write_text("instrument,id,purpose\nCam1,9,SCIENCE\nCam1,10,WAVEFRONT\n")
    return {
        "insert": run("insert-data-units", str(copy), "detector", str(records)),
        "register": run("register-dataset-type", str(copy), "bias", "StructuredData", "instrument", "detector"),
        "associate": run("associate", str(copy), "best", "calexp", "-c", "run1", "-w", "detector = 3",
                         "-d", "instrument=Cam1"),
        "chain": run("collection-chain", str(copy), "chain", "best", "run1"),
        "remove_collections": run("remove-collections", str(copy), "chain", "best"),
        "remove_type": run("remove-dataset-type", str(copy), "bias"),
        "listed": run("query-collections", str(copy), "-f", "csv"),
    }


def file_flow(repo: Path, work: Path) -> dict[str, Result]:
    """ingest-files, retrieve-artifacts, verify of a damaged file, prune-datasets, remove-runs."""
    copy = private_copy(repo, work / "file-repo")
    files = work / "files"
    files.mkdir()
    for detector in (1, 2):
        (files / f"raw_{detector}.json").write_text(json.dumps({"detector": detector}))
    table = files / "raws.csv"
    table.write_text("path,instrument,visit,detector\nraw_1.json,Cam1,1,1\nraw_2.json,Cam1,1,2\n")
    results = {"ingest": run("ingest-files", str(copy), "calexp", str(table), "--run", "raws", "--transfer", "copy"),
               "retrieve": run("retrieve-artifacts", str(copy), str(work / "out"), "calexp", "-c", "raws")}
    victim = next((copy / "datasets" / "raws").rglob("*.json"))
    victim.write_text("tampered")
    results["verify"] = run("verify", str(copy), "-c", "raws", "-f", "csv")
    results["prune"] = run("prune-datasets", str(copy), "calexp", "-c", "run1", "-w", "visit = 4",
                           "-d", "instrument=Cam1", "--yes")
    results["remove_runs"] = run("remove-runs", str(copy), "raws", "--yes")
    results["left"] = run("query-datasets", str(copy), "calexp", "-c", "run1", "-f", "csv")
    return results


@pytest.fixture(scope="module")
def writes(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Result]]:
    """Both write flows, run at the same time on separate copies."""
    work = tmp_path_factory.mktemp("writes")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        registry = pool.submit(registry_flow, repo, work)
        files = pool.submit(file_flow, repo, work)
        return {"registry": registry.result(), "files": files.result(), "work": {}}


def test_registry_and_collection_commands_change_the_repository(writes: dict[str, dict[str, Result]]) -> None:
    done = writes["registry"]
    assert "inserted 2 detector records" in done["insert"].stdout, done["insert"].stderr
    assert done["register"].returncode == 0
    assert "associated 4 datasets" in done["associate"].stdout, done["associate"].stderr
    assert done["chain"].returncode == 0 and done["remove_collections"].returncode == 0
    assert done["remove_type"].returncode == 0
    assert done["listed"].stdout.splitlines() == ["name,kind,children,doc", "run1,RUN,,"]


def test_file_commands_ingest_retrieve_verify_prune_and_remove_runs(writes: dict[str, dict[str, Result]],
                                                                    tmp_path_factory: pytest.TempPathFactory) -> None:
    done = writes["files"]
    assert "ingested 2 files" in done["ingest"].stdout, done["ingest"].stderr
    assert "retrieved 2 files" in done["retrieve"].stdout, done["retrieve"].stderr
    assert done["verify"].returncode == 1 and "1 of 2 datasets have problems" in done["verify"].stderr
    assert done["prune"].stdout.startswith("removed 2 datasets"), done["prune"].stderr
    assert done["remove_runs"].returncode == 0
    assert done["left"].stdout.count("\n") == 1 + 6
