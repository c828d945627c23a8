"""A new user's registry mistakes, through the Python API and the CLI: refused at once, with the fix."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from databutler import Butler, ConfigError, ConflictingDefinitionError, DatasetType, StorageClassError
from databutler.cli.main import cli

LIMITED = {"registry": {"adapter": "limited", "root": "{root}/registry"}}


def run(*args: str) -> Result:
    """Run a databutler command in this process."""
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(params=["sql", "limited"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A new repository on the default SQL registry or on the limited registry."""
    root = tmp_path / "repo"
    Butler.create(root, config=LIMITED if request.param == "limited" else None).close()
    return root


def test_misspelled_storage_class_is_refused_by_the_api_and_nothing_is_registered(repo: Path) -> None:
    with Butler(repo) as butler:
        with pytest.raises(StorageClassError, match=r"'StructuredDta' is not known.*did you mean 'StructuredData'"):
            butler.registry.register_dataset_type(DatasetType("calexp", ("instrument", "visit"), "StructuredDta"))
        assert butler.registry.query_dataset_types() == []
    with Butler(repo) as reopened:
        assert reopened.registry.query_dataset_types() == [], "nothing was journaled or stored either"


def test_misspelled_storage_class_is_refused_by_the_cli_and_nothing_is_registered(repo: Path) -> None:
    result = run("register-dataset-type", str(repo), "calexp", "NumpyAray", "instrument", "visit")
    assert result.exit_code == 1
    assert "StorageClassError" in result.output and "did you mean 'NumpyArray'" in result.output
    listed = run("query-dataset-types", str(repo), "-f", "json")
    assert "calexp" not in listed.output
    assert run("register-dataset-type", str(repo), "calexp", "NumpyArray", "instrument", "visit").exit_code == 0


def test_storage_classes_defined_in_butler_yaml_are_accepted(tmp_path: Path) -> None:
    config = {"storage_classes": {"Catalog": {"python_types": ["builtins.dict"]}}}
    with Butler.create(tmp_path / "repo", config=config) as butler:
        assert butler.registry.register_dataset_type(DatasetType("cat", ("instrument",), "Catalog"))


def test_update_data_units_sets_a_field_left_empty_and_refuses_a_missing_record(repo: Path, tmp_path: Path) -> None:
    with Butler(repo) as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1"}])
        butler.registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in (1, 2)])
    result = run("update-data-units", str(repo), "instrument", "--record", "name=Cam1,detector_max=200")
    assert result.exit_code == 0, result.output
    assert "updated 1 instrument records" in result.output
    table = tmp_path / "detectors.csv"
    table.write_text("instrument,id,purpose\nCam1,1,SCIENCE\nCam1,3,SCIENCE\n")
    refused = run("update-data-units", str(repo), "detector", str(table))
    assert refused.exit_code == 1
    assert "{'instrument': 'Cam1', 'id': 3}: it is not in the registry" in refused.output
    with Butler(repo, writeable=False) as butler:
        assert butler.registry.fetch_data_unit_records("instrument")[0]["detector_max"] == 200
        assert [r["purpose"] for r in butler.registry.fetch_data_unit_records("detector")] == [None, None], \
            "the refused table updated nothing"


def test_describe_data_unit_lists_units_and_the_fields_of_one(repo: Path) -> None:
    listed = run("describe-data-unit", str(repo), "-f", "json")
    assert listed.exit_code == 0, listed.output
    elements = {row["element"]: row for row in json.loads(listed.output)}
    assert elements["visit"]["requires"] == "instrument"
    assert elements["visit"]["implies"] == "physical_filter, day_obs"
    assert elements["visit_detector_region"]["kind"] == "join element"
    described = run("describe-data-unit", str(repo), "instrument", "-f", "json")
    fields = {row["field"]: row for row in json.loads(described.output)}
    assert fields["name"] | {"doc": ""} == {"field": "name", "role": "key", "type": "string(32)", "nullable": "no",
                                            "where": "instrument.name", "doc": ""}
    assert (fields["detector_max"]["type"], fields["detector_max"]["nullable"]) == ("int", "yes")
    visit = {row["field"]: row for row in json.loads(run("describe-data-unit", str(repo), "visit", "-f",
                                                         "json").output)}
    assert [visit[f]["role"] for f in ("instrument", "id", "physical_filter", "exposure_time")] == [
        "required unit", "key", "implied unit", "metadata"]
    typo = run("describe-data-unit", str(repo), "vist")
    assert typo.exit_code == 1 and "did you mean 'visit' or 'visit_system'?" in typo.output


def test_unknown_adapter_lists_built_in_and_plug_in_adapters_with_the_closest(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no adapter 'sqll' for the registry.*did you mean 'sql'\?.*"
                                          r"built-in adapters: \['dbb', 'limited', 'sql'\]; plug-in adapters"):
        Butler.create(tmp_path / "a", config={"registry": {"adapter": "sqll", "url": "sqlite://"}})
    datastore: dict[str, Any] = {"datastore": {"adapter": "posx", "root": "{root}/d"}}
    with pytest.raises(ConfigError,
                       match=r"did you mean 'posix'\?.*'cache', 'chained', 'dbb', 'memory', 'objectstore'"):
        Butler.create(tmp_path / "b", config=datastore)
    child = {"datastore": {"adapter": "cache", "directory": "{root}/c", "child": {"adapter": "memroy"}}}
    with pytest.raises(ConfigError, match=r"did you mean 'memory'\?"):
        Butler.create(tmp_path / "c", config=child)


def test_create_twice_says_how_to_open_the_repository(tmp_path: Path) -> None:
    assert run("create", str(tmp_path / "repo")).exit_code == 0
    again = run("create", str(tmp_path / "repo"))
    assert again.exit_code == 1
    assert f"databutler query-collections {tmp_path / 'repo'}" in again.output
    assert "Butler(" not in again.output  # the command line is told its own way, not a Python call
    with pytest.raises(ConflictingDefinitionError, match=re.escape(f"open it with Butler('{tmp_path / 'repo'}')")):
        Butler.create(tmp_path / "repo")
    assert yaml.safe_load((tmp_path / "repo" / "butler.yaml").read_text())["registry"]["adapter"] == "sql"
