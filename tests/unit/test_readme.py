"""The README's five-minute tour runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_tour_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text()
    tour = text.split("## A five-minute tour", 1)[1]
    code = re.search(r"```python\n(.*?)```", tour, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README tour", "exec"), namespace)
    assert os.path.exists(tmp_path / "repo" / "butler.yaml")


def test_running_the_tour_again_says_how_to_open_the_repository(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from databutler import Butler, ConflictingDefinitionError

    monkeypatch.chdir(tmp_path)
    Butler.create("repo/").close()
    with pytest.raises(ConflictingDefinitionError,
                       match=r"already exists.*open it with Butler\('.*repo'\)"):
        Butler.create("repo/")


def test_the_table_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    section = README.read_text().split("### Table datasets (Parquet)", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README tables", "exec"), namespace)
    assert os.path.exists(tmp_path / "tables-repo" / "butler.yaml")
