"""Input tables of the command line (ingest-files, insert-data-units): errors name the file and line,
and a failed ingest leaves nothing behind, not even its new run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from databutler import Butler, DatasetType
from databutler.cli.tables import read_table

BIN = str(Path(sys.executable).with_name("databutler"))


def run(*args: object) -> subprocess.CompletedProcess[str]:
    """Run the console script and capture its output."""
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with instrument Cam1, detectors 0-3999 and visit 1, and dataset type raw."""
    root = tmp_path / "repo"
    with Butler.create(root) as butler:
        registry = butler.registry
        registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 4000}])
        registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": "Cam1-r", "band": "r"}])
        registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in range(4000)])
        registry.insert_data_units("day_obs", [{"instrument": "Cam1", "id": 20260101}])
        registry.insert_data_units("visit", [{"instrument": "Cam1", "id": 1, "physical_filter": "Cam1-r",
                                              "day_obs": 20260101}])
        registry.register_dataset_type(DatasetType("raw", ("instrument", "visit", "detector"), "StructuredData"))
    return root


def ingest_table(tmp_path: Path, rows: int, broken: dict[int, str]) -> Path:
    """A CSV of ``rows`` files to ingest (one per detector); ``broken`` replaces row number -> detector cell."""
    files = tmp_path / "files"
    files.mkdir()
    lines = ["path,instrument,visit,detector"]
    for number in range(1, rows + 1):
        (files / f"{number}.json").write_text(f'{{"n": {number}}}')
        lines.append(f"files/{number}.json,Cam1,1,{broken.get(number, number)}")
    table = tmp_path / "raws.csv"
    table.write_text("\n".join(lines) + "\n")
    return table


def test_an_empty_cell_in_row_1501_names_the_file_and_line(repo: Path, tmp_path: Path) -> None:
    table = ingest_table(tmp_path, 2000, {1501: ""})
    result = run("ingest-files", repo, "raw", table, "--run", "Cam1/raw", "--transfer", "copy")
    assert result.returncode == 1, result.stderr
    assert f"{table}, line 1502: DataIdError" in result.stderr, result.stderr  # line 1 is the header
    assert "Traceback" not in result.stderr
    with Butler(repo, writeable=False) as butler:
        assert not butler.registry.query_collections("Cam1/raw"), "a failed ingest leaves no new run behind"
        assert not list((repo / "datasets").rglob("*.json")), "and no file"


def test_an_unknown_value_and_a_duplicate_are_located_too(repo: Path, tmp_path: Path) -> None:
    unknown = ingest_table(tmp_path, 20, {7: "99999"})
    result = run("ingest-files", repo, "raw", unknown, "--run", "Cam1/raw")
    assert f"{unknown}, line 8: DataIdError" in result.stderr, result.stderr
    (tmp_path / "files").rename(tmp_path / "files1")
    duplicate = ingest_table(tmp_path, 20, {12: "3"})
    result = run("ingest-files", repo, "raw", duplicate, "--run", "Cam1/raw")
    assert f"{duplicate}, line 13: ConflictingDefinitionError" in result.stderr, result.stderr


def test_a_good_ingest_still_goes_in(repo: Path, tmp_path: Path) -> None:
    table = ingest_table(tmp_path, 30, {})
    result = run("ingest-files", repo, "raw", table, "--run", "Cam1/raw", "--transfer", "copy")
    assert result.returncode == 0, result.stderr
    with Butler(repo, writeable=False) as butler:
        assert len(butler.registry.datasets_in_collection("Cam1/raw")) == 30


def test_insert_data_units_names_the_line_of_a_refused_record(repo: Path, tmp_path: Path) -> None:
    rows = ["instrument,id,full_name"] + [f"Cam1,{4000 + i},d{i}" for i in range(50)]
    rows[31] = "Cam9,4030,d30"  # an unknown instrument on line 32
    table = tmp_path / "detectors.csv"
    table.write_text("\n".join(rows) + "\n")
    result = run("insert-data-units", repo, "detector", table)
    assert result.returncode == 1
    assert f"{table}, line 32: DataIdError" in result.stderr, result.stderr
    with Butler(repo, writeable=False) as butler:
        assert len(butler.registry.fetch_data_unit_records("detector")) == 4000, "all or nothing"


def test_yaml_records_are_located_by_line(repo: Path, tmp_path: Path) -> None:
    table = tmp_path / "detectors.yaml"
    table.write_text("detector:\n  - {instrument: Cam1, id: 5000}\n  - instrument: Cam1\n    id: 5001\n"
                     "  - instrument: Nope\n    id: 5002\n")
    result = run("insert-data-units", repo, "detector", table)
    assert f"{table}, line 5: DataIdError" in result.stderr, result.stderr
    assert read_table(str(table), "detector").lines == [2, 3, 5]


def test_malformed_tables_name_the_line(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("path,instrument,visit,detector\na.json,Cam1,1,1\nb.json,Cam1,1\n")
    with pytest.raises(Exception, match=r"short.csv, line 3: fewer cells"):
        read_table(str(short))
    long = tmp_path / "long.csv"
    long.write_text("path,detector\na.json,1,2\n")
    with pytest.raises(Exception, match=r"long.csv, line 2: more cells"):
        read_table(str(long))
    broken = tmp_path / "broken.yaml"
    broken.write_text("- {a: 1}\n- {a: [2}\n")
    with pytest.raises(Exception, match=r"broken.yaml.*line 2"):
        read_table(str(broken))
