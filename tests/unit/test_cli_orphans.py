"""``databutler verify --orphans`` and ``--remove-orphans`` of the real console script, in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from databutler import Butler
from databutler.testing.butler import data_id, payload, setup_units
from databutler.testing.butler_orphans import plant_orphan

BIN = str(Path(sys.executable).with_name("databutler"))


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run the console script and capture its output."""
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False)


def make_repo(root: Path) -> tuple[str, Path]:
    """A repository with two datasets and one orphan file two hours old: (repo path, orphan path)."""
    with Butler.create(root, run="test/run") as butler:
        setup_units(butler)
        butler.put_many([(payload(1, d), "summary", data_id(1, d)) for d in (1, 2)])
        _, planted = plant_orphan(butler)
        orphan = Path(butler.datastore.uri(planted).removeprefix("file://"))
    then = time.time() - 7200
    os.utime(orphan, (then, then))
    return str(root), orphan


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """One repository with an orphan, shared by the tests that only read it."""
    return make_repo(tmp_path_factory.mktemp("cli") / "repo")


def test_orphans_are_listed_with_size_and_age_and_exit_1(repo: tuple[str, Path]) -> None:
    root, orphan = repo
    result = run("verify", root, "--orphans", "--format", "json")
    assert result.returncode == 1, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["uri"] == "file://" + str(orphan) and row["size"] == orphan.stat().st_size
    assert 7100 < row["age_s"] < 7400 and row["modified"].endswith("+00:00")
    assert "1 orphan files" in result.stderr and "--remove-orphans" in result.stderr
    assert orphan.exists(), "listing never deletes"


def test_younger_files_are_not_orphans_and_exit_0(repo: tuple[str, Path]) -> None:
    result = run("verify", repo[0], "--orphans", "--older-than", "10800")
    assert result.returncode == 0, result.stderr
    assert "no orphan files older than 10800 s" in result.stdout


def test_orphan_options_refuse_a_dataset_selection(repo: tuple[str, Path]) -> None:
    assert run("verify", repo[0], "--orphans", "-c", "test/run").returncode == 2
    assert run("verify", repo[0], "--older-than", "5").returncode == 2


def test_remove_orphans_asks_first_then_deletes_only_the_orphan(tmp_path: Path) -> None:
    root, orphan = make_repo(tmp_path / "repo")
    declined = run("verify", root, "--remove-orphans", stdin="n\n")
    assert declined.returncode == 1 and orphan.exists()
    removed = run("verify", root, "--remove-orphans", "--yes", "--format", "csv")
    assert removed.returncode == 0, removed.stderr
    assert str(orphan) in removed.stdout and "removed 1 orphan files" in removed.stdout
    assert not orphan.exists()
    assert run("verify", root, "--orphans").returncode == 0
    intact = run("verify", root, "-c", "test/run")
    assert intact.returncode == 0 and "verified 2 datasets" in intact.stdout
