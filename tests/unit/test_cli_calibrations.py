"""The certify-calibrations, decertify and export-calibs commands: what they change and print, and their errors."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from databutler import Butler, CollectionKind, DatasetType, Timespan
from databutler.cli.main import cli


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def day(n: int) -> datetime.datetime:
    return datetime.datetime(2024, 1, n)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Biases of Cam1 detectors 1 and 2 in run bias/run1, one of detector 1 in bias/run2; chain bias/all."""
    root = tmp_path / "repo"
    with Butler.create(root, run="bias/run1") as butler:
        registry = butler.registry
        registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 4}])
        registry.insert_data_units("detector", [{"instrument": "Cam1", "id": d} for d in (1, 2)])
        registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData",
                                                   is_calibration=True))
        registry.register_dataset_type(DatasetType("plain", ("instrument",), "StructuredData"))
        butler.put_many([({"d": d}, "bias", {"instrument": "Cam1", "detector": d}) for d in (1, 2)])
        butler.put({"d": 1, "late": True}, "bias", {"instrument": "Cam1", "detector": 1}, run="bias/run2")
        butler.put({}, "plain", {"instrument": "Cam1"})
        butler.define_chain("bias/all", ["bias/run2", "bias/run1"])
    return root


def certified(root: Path, collection: str = "Cam1/calib") -> list[tuple[str, int, Timespan]]:
    with Butler(root, writeable=False) as butler:
        return sorted(((c.ref.run, c.ref.data_id["detector"], c.timespan)
                       for c in butler.registry.query_certifications(collection)), key=repr)


def test_certify_calibrations_makes_the_collection_and_takes_tai_dates(repo: Path) -> None:
    result = run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "bias",
                 "--begin-date", "2024-01-01T00:00:37", "--end-date", "2024-01-10T00:00:37")
    assert result.exit_code == 0, result.output
    assert "certified 2 bias datasets from bias/run1 into Cam1/calib" in result.output
    span = Timespan(day(1), day(10))  # TAI - UTC is 37 s in 2024
    assert certified(repo) == [("bias/run1", 1, span), ("bias/run1", 2, span)]
    with Butler(repo, writeable=False) as butler:
        assert butler.registry.get_collection("Cam1/calib").kind is CollectionKind.CALIBRATION
        at = Timespan(day(5), day(5))
        assert butler.get("bias", instrument="Cam1", detector=1, collections="Cam1/calib", timespan=at) == {"d": 1}


def test_a_chain_gives_its_first_child_unless_all_inputs_are_searched(repo: Path) -> None:
    assert run("certify-calibrations", str(repo), "bias/all", "Cam1/calib", "bias",
               "--begin-date", "2024-01-10T00:00:37").exit_code == 0
    assert certified(repo) == [("bias/run2", 1, Timespan(day(10), None))]
    result = run("certify-calibrations", str(repo), "bias/all", "other/calib", "bias", "--search-all-inputs")
    assert result.exit_code != 0  # bias/run1 and bias/run2 both hold detector 1: their unbounded ranges overlap
    assert "overlaps" in result.output
    with Butler(repo, writeable=False) as butler:  # the refused call left no new collection
        assert [c.name for c in butler.registry.query_collections(kinds=[CollectionKind.CALIBRATION])] == [
            "Cam1/calib"]


def test_certify_refusals_name_the_problem_and_change_nothing(repo: Path) -> None:
    result = run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "plain")
    assert result.exit_code != 0 and "'plain' is not a calibration type" in result.output
    result = run("certify-calibrations", str(repo), "bias/run1", "bias/run2", "bias")
    assert result.exit_code != 0 and "'bias/run2' already exists as RUN" in result.output
    result = run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "bias", "--begin-date", "tomorrow")
    assert result.exit_code != 0 and "--begin-date" in result.output
    result = run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "bias",
                 "--begin-date", "2024-01-05", "--end-date", "2024-01-01")
    assert result.exit_code != 0 and "before its begin" in result.output
    with Butler(repo, writeable=False) as butler:
        assert [c.name for c in butler.registry.query_collections(kinds=[CollectionKind.CALIBRATION])] == []


def test_decertify_cuts_a_gap_for_one_data_id(repo: Path) -> None:
    assert run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "bias").exit_code == 0
    result = run("decertify", str(repo), "Cam1/calib", "bias", "--begin-date", "2024-01-04T00:00:37",
                 "--end-date", "2024-01-05T00:00:37", "-d", "instrument=Cam1,detector=1")
    assert result.exit_code == 0, result.output
    assert certified(repo) == sorted([("bias/run1", 1, Timespan(None, day(4))),
                                      ("bias/run1", 1, Timespan(day(5), None)),
                                      ("bias/run1", 2, Timespan(None, None))], key=repr)
    result = run("decertify", str(repo), "bias/run1", "bias")
    assert result.exit_code != 0 and "CALIBRATION" in result.output


def test_export_calibs_writes_the_calibrations_and_lists_them(repo: Path, tmp_path: Path) -> None:
    run("certify-calibrations", str(repo), "bias/run1", "Cam1/calib", "bias", "--end-date", "2024-01-10T00:00:37")
    run("certify-calibrations", str(repo), "bias/run2", "Cam1/calib", "bias", "--begin-date", "2024-01-10T00:00:37")
    out = tmp_path / "calibs"
    result = run("export-calibs", str(repo), str(out), "Cam1/calib", "--format", "json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert sorted((r["calibrationType"], r["run"], r["detector"]) for r in listed) == [
        ("bias", "bias/run1", 1), ("bias", "bias/run1", 2), ("bias", "bias/run2", 1)]
    assert run("create", str(tmp_path / "target")).exit_code == 0
    assert run("import", str(tmp_path / "target"), str(out / "export.yaml")).exit_code == 0
    assert certified(tmp_path / "target") == certified(repo)
    with Butler(tmp_path / "target", writeable=False) as copy:
        later = Timespan(day(20), None)
        assert copy.get("bias", instrument="Cam1", detector=1, collections="Cam1/calib", timespan=later) == {
            "d": 1, "late": True}
    again = run("export-calibs", str(repo), str(out))
    assert again.exit_code != 0 and "exists" in again.output
