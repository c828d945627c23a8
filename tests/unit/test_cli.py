"""The real ``databutler`` console script, driven in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

BIN = Path(sys.executable).with_name("databutler")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the console script and capture its output."""
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, check=False)


def test_demo_runs_the_whole_job_on_the_embedded_default(tmp_path: Path) -> None:
    result = run("demo", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert "put 12 datasets" in result.stdout
    assert "get summary visit=2 detector=3 -> {'visit': 2, 'detector': 3, 'n_sources': 1023}" in result.stdout
    assert "refused: DataIdError" in result.stdout
    assert "holds 12 datasets" in result.stdout
    assert (tmp_path / "demo" / "registry.sqlite3").exists()


def test_python_dash_m_is_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "databutler", "create", str(tmp_path / "r")],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "butler.yaml").exists()


def test_create_with_config_and_dump_shows_placeholders_not_values(tmp_path: Path) -> None:
    config = tmp_path / "custom.yaml"
    config.write_text(yaml.safe_dump({"datastore": {"checksum": "sha256"}}))
    assert run("create", str(tmp_path / "repo"), "--config", str(config)).returncode == 0
    stored = tmp_path / "repo" / "butler.yaml"
    text = stored.read_text().replace("sqlite:///{root}/registry.sqlite3", "sqlite:///{root}/${DB_NAME:-registry}.sqlite3")
    stored.write_text(text)
    dumped = run("config-dump", str(tmp_path / "repo"), env={"DB_NAME": "registry"})
    assert dumped.returncode == 0
    assert "sha256" in dumped.stdout
    assert "${DB_NAME:-registry}" in dumped.stdout, "placeholders are shown, never their secret values"
    assert run("config-validate", str(tmp_path / "repo")).returncode == 0


def test_errors_are_one_line_with_exit_code_1(tmp_path: Path) -> None:
    assert run("create", str(tmp_path / "repo")).returncode == 0
    again = run("create", str(tmp_path / "repo"))
    assert again.returncode == 1
    assert "ConflictingDefinitionError" in again.stderr
    assert "Traceback" not in again.stderr


HELP_SCRIPT = """
import contextlib, io, json, sys
from databutler.cli.main import cli
found = {}
for command in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        cli.main([command, "--help"], prog_name="databutler")
    found[command] = out.getvalue()
print(json.dumps(found))
"""


def test_every_command_has_help_with_an_example() -> None:
    commands = ("create", "demo", "config-dump", "config-validate",
                "register-dataset-type", "remove-dataset-type", "insert-data-units", "query-data-units",
                "query-data-ids", "query-datasets", "query-collections", "query-dataset-types", "select-sql",
                "collection-chain", "associate", "ingest-files", "retrieve-artifacts", "prune-datasets",
                "remove-runs", "remove-collections", "verify")
    listed = run("--help")
    assert listed.returncode == 0
    assert all(command in listed.stdout for command in commands)
    # One interpreter renders every command's help: each start of the console script imports the
    # whole package, which would cost a second per command.
    helps = subprocess.run([sys.executable, "-c", HELP_SCRIPT, *commands], capture_output=True, text=True,
                           timeout=120, check=True)
    for command, text in json.loads(helps.stdout).items():
        assert "Example:" in text, command
