"""Progress of long commands: a bar with counts and rate on a terminal, nothing on a pipe."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from databutler import Butler, DatasetType

BIN = str(Path(sys.executable).with_name("databutler"))
FILES = 1200
BAR = re.compile(r"\d+/1200")  # rich's "done/total" column
ENV = {**os.environ, "COLUMNS": "150", "TERM": "xterm-256color"}


@pytest.fixture
def ingest_args(tmp_path: Path) -> list[str]:
    """An ingest-files command over FILES small files into a new repository."""
    root = tmp_path / "repo"
    with Butler.create(root) as butler:
        registry = butler.registry
        registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": FILES}])
        registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in range(FILES)])
        registry.register_dataset_type(DatasetType("raw", ("instrument", "detector"), "StructuredData"))
    lines = ["path,instrument,detector"]
    for detector in range(FILES):
        (tmp_path / f"{detector}.json").write_text("{}")
        lines.append(f"{detector}.json,Cam1,{detector}")
    (tmp_path / "raws.csv").write_text("\n".join(lines) + "\n")
    return ["ingest-files", str(root), "raw", str(tmp_path / "raws.csv"), "--run", "raws", "--transfer", "copy"]


def on_terminal(args: list[str]) -> tuple[int, str]:
    """Run the console script with stdout and stderr on a pseudo-terminal; its exit code and all it drew."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([BIN, *args], stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, env=ENV)
    os.close(terminal)
    drawn = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the terminal's other side is closed
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    return process.wait(timeout=120), drawn.decode("utf-8", "replace")


def test_ingest_draws_a_bar_with_counts_and_rate_on_a_terminal(ingest_args: list[str]) -> None:
    code, drawn = on_terminal(ingest_args)
    assert code == 0, drawn
    assert BAR.search(drawn), drawn
    assert "ingesting into raws" in drawn
    assert re.search(r"[\d,]+/s", drawn), "the rate is shown"
    assert f"ingested {FILES} files" in drawn


def test_nothing_is_drawn_on_a_pipe(ingest_args: list[str], tmp_path: Path) -> None:
    repo = ingest_args[1]
    commands = [ingest_args, ["verify", repo, "-c", "raws"],
                ["retrieve-artifacts", repo, str(tmp_path / "out"), "raw", "-c", "raws"],
                ["prune-datasets", repo, "raw", "-c", "raws", "--where", "detector < 600", "--yes"],
                ["remove-runs", repo, "raws", "--yes"]]
    for args in commands:
        result = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=120, check=False, env=ENV)
        assert result.returncode == 0, result.stderr
        shown = result.stdout + result.stderr
        assert not BAR.search(shown) and "\x1b[" not in shown and "━" not in shown, (args, shown)
