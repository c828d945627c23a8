"""The export, import and transfer-datasets commands: what they write, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from databutler import Butler
from databutler.cli.main import cli
from databutler.testing.interchange import answers, fill_source


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli-interchange") / "source"
    with Butler.create(root) as butler:
        fill_source(butler)
    return root


def test_export_then_import_gives_the_same_answers(source: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.yaml"
    result = run("export", str(source), str(export), "--transfer", "copy", "--directory", str(tmp_path / "files"))
    assert result.exit_code == 0, result.output
    assert "exported 80 datasets" in result.output
    assert run("create", str(tmp_path / "target")).exit_code == 0
    result = run("import", str(tmp_path / "target"), str(export), "--transfer", "copy",
                 "--directory", str(tmp_path / "files"))
    assert result.exit_code == 0, result.output
    assert "imported 80 datasets" in result.output
    with Butler(source, writeable=False) as original, Butler(tmp_path / "target", writeable=False) as copy:
        assert answers(copy) == answers(original)


def test_export_of_one_type_in_one_collection_matching_where(source: Path, tmp_path: Path) -> None:
    export = tmp_path / "export.yaml"
    result = run("export", str(source), str(export), "-t", "calexp", "-c", "run2",
                 "--where", "instrument = 'Cam1' AND detector = 1")
    assert result.exit_code == 0, result.output
    assert "exported 4 datasets" in result.output
    run("create", str(tmp_path / "target"))
    assert run("import", str(tmp_path / "target"), str(export), "--transfer", "copy").exit_code == 0
    with Butler(tmp_path / "target", writeable=False) as copy:
        refs = copy.registry.datasets_in_collection("run2")
        assert {(r.dataset_type.name, r.data_id["detector"]) for r in refs} == {("calexp", 1)}
        assert [c.name for c in copy.registry.query_collections()] == ["run2"]


def test_transfer_datasets_copies_the_chosen_datasets(source: Path, tmp_path: Path) -> None:
    run("create", str(tmp_path / "target"))
    result = run("transfer-datasets", str(source), str(tmp_path / "target"), "-t", "summary", "-c", "run1")
    assert result.exit_code == 0, result.output
    assert "transferred 8 datasets" in result.output
    with Butler(source, writeable=False) as original, Butler(tmp_path / "target", writeable=False) as copy:
        wanted = original.registry.datasets_in_collection("run1", "summary")
        assert copy.get_many(wanted) == original.get_many(wanted)


def test_import_of_a_bad_file_is_one_error_line_and_changes_nothing(tmp_path: Path) -> None:
    run("create", str(tmp_path / "target"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("description: Butler Data Repository Export\nversion: 9.0.0\ndata: []\n")
    result = run("import", str(tmp_path / "target"), str(bad))
    assert result.exit_code == 1
    assert "ExportFormatError" in result.output and "9.0.0" in result.output
    assert "Traceback" not in result.output
    with Butler(tmp_path / "target", writeable=False) as target:
        assert target.registry.query_collections() == []
