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
