"""Interchange with the reference system itself (lsst-daf-butler), asked in a subprocess.

The reference's Python is $DATABUTLER_REFERENCE_PYTHON, else /work/peer-venv/bin/python, else this
interpreter if it has lsst.daf.butler (the ``reference`` extra); without any, these tests skip.
They check that each side reads what the other writes and gives the same answers, and read the
reference's own shipped registry test data (``lsst/daf/butler/tests/registry_data``).
"""

from __future__ import annotations

import datetime
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, DatasetType, ExportFormatError

PEER_SCRIPT = Path(__file__).parents[1] / "data" / "reference" / "peer_interchange.py"


def reference_python() -> str | None:
    candidates = [os.environ.get("DATABUTLER_REFERENCE_PYTHON"), "/work/peer-venv/bin/python"]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if importlib.util.find_spec("lsst") is not None and importlib.util.find_spec("lsst.daf.butler") is not None:
        return sys.executable
    return None


PEER = reference_python()
pytestmark = pytest.mark.skipif(PEER is None, reason="the reference system (lsst-daf-butler) is not installed; "
                                "pip install 'databutler[reference]' or set DATABUTLER_REFERENCE_PYTHON")


def ask_reference(*args: str, elements: tuple[str, ...] = ()) -> dict[str, Any]:
    assert PEER is not None
    done = subprocess.run([PEER, str(PEER_SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "ELEMENTS": ",".join(elements)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def registry_data() -> Path:
    assert PEER is not None
    done = subprocess.run([PEER, "-c", "import os, lsst.daf.butler.tests.registry_data as m; "
                           "print(os.path.dirname(m.__file__))"], capture_output=True, text=True, check=True)
    return Path(done.stdout.strip())


def test_the_reference_imports_a_databutler_export_and_answers_the_same(tmp_path: Path) -> None:
    with Butler.create(tmp_path / "ours", run="ours_run") as butler:
        butler.registry.insert_data_units("instrument", [{"name": "Cam1", "detector_max": 4, "class_name": "x.Y"}])
        butler.registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i, "full_name": f"D{i}",
                                                        "purpose": "SCIENCE"} for i in (1, 2, 3)])
        butler.registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData"))
        refs = [butler.put({"detector": i, "values": [i, 2 * i]}, "bias", instrument="Cam1", detector=i)
                for i in (1, 2, 3)]
        butler.register_collection("best")
        butler.associate("best", refs[:2])
        butler.define_chain("all", ["best", "ours_run"])
        butler.export(tmp_path / "out" / "export.yaml", refs, collections=["all"], transfer="copy")
        ours = {str(r.id): ["bias", "ours_run", dict(r.data_id), butler.get(r)] for r in refs}
    theirs = ask_reference("import", str(tmp_path / "peer"), str(tmp_path / "out" / "export.yaml"),
                           elements=("detector",))
    assert theirs["datasets"] == ours
    assert theirs["collections"] == {
        "ours_run": {"kind": "RUN"}, "all": {"kind": "CHAINED", "children": ["best", "ours_run"]},
        "best": {"kind": "TAGGED", "members": sorted(str(r.id) for r in refs[:2])}}
    assert sorted((r["id"], r["full_name"], r["purpose"]) for r in theirs["records"]["detector"]) == [
        (1, "D1", "SCIENCE"), (2, "D2", "SCIENCE"), (3, "D3", "SCIENCE")]


def test_databutler_imports_a_reference_export_and_answers_the_same(tmp_path: Path) -> None:
    theirs = ask_reference("export", str(tmp_path / "peer"), str(tmp_path / "out"))
    with Butler.create(tmp_path / "ours") as butler:
        refs = butler.import_(tmp_path / "out" / "export.yaml", transfer="copy")
        ours = {str(r.id): [r.dataset_type.name, r.run, dict(r.data_id), butler.get(r)] for r in refs}
        assert butler.registry.get_dataset_type("bias").storage_class == "StructuredDataDict"
    assert ours == theirs["datasets"]


def test_a_reference_export_through_databutler_and_back_gives_the_reference_the_same_answers(tmp_path: Path) -> None:
    original = ask_reference("export", str(tmp_path / "peer"), str(tmp_path / "out"), elements=("detector",))
    with Butler.create(tmp_path / "ours") as butler:
        refs = butler.import_(tmp_path / "out" / "export.yaml", transfer="copy")
        butler.export(tmp_path / "again" / "export.yaml", refs, collections=["peer_run"], transfer="copy")
    again = ask_reference("import", str(tmp_path / "peer-again"), str(tmp_path / "again" / "export.yaml"),
                          elements=("detector",))
    assert again == original


def test_reference_version_0_datasets_file_gives_the_references_answers(tmp_path: Path, registry_data: Path) -> None:
    """datasets.yaml (format 0, no universe version) on top of base.yaml's records, registry only.

    base.yaml itself declares 'flat' a calibration dataset type, which databutler refuses; its
    records and dataset types are put in by hand here, 'flat' as an ordinary dataset type.
    """
    theirs = ask_reference("import-registry", str(tmp_path / "peer"), str(registry_data / "base.yaml"),
                           str(registry_data / "datasets.yaml"))
    with Butler.create(tmp_path / "ours") as butler:
        with pytest.raises(ExportFormatError, match="'flat' is a calibration dataset type"):
            butler.import_(registry_data / "base.yaml", without_datastore=True)
        _insert_base_by_hand(butler)
        refs = butler.import_(registry_data / "datasets.yaml", without_datastore=True)
        ours = {str(r.id): [r.dataset_type.name, r.run, dict(r.data_id), None] for r in refs}
    assert ours == theirs["datasets"]


def test_reference_spatial_file_records_read_as_the_reference_reads_them(tmp_path: Path,
                                                                       registry_data: Path) -> None:
    """spatial.yaml (format 1.0.2, universe 7): TAI times, sphgeom regions, skymap hashes."""
    elements = ("day_obs", "visit", "visit_detector_region", "skymap", "tract", "patch")
    theirs = ask_reference("import-registry", str(tmp_path / "peer"), str(registry_data / "base.yaml"),
                           str(registry_data / "spatial.yaml"), elements=elements)
    with Butler.create(tmp_path / "ours") as butler:
        _insert_base_by_hand(butler)
        butler.import_(registry_data / "spatial.yaml", without_datastore=True)
        for element in elements:
            ours = [_comparable(r) for r in butler.registry.fetch_data_unit_records(element)]
            reference = [{k: _instants(v) if k == "timespan" else v for k, v in r.items() if k in ours[0]}
                         for r in theirs["records"][element]]
            assert sorted(ours, key=repr) == sorted(reference, key=repr), element


def test_reference_files_with_what_databutler_cannot_hold_are_refused_by_name(tmp_path: Path,
                                                                           registry_data: Path) -> None:
    with Butler.create(tmp_path / "ours") as butler:
        if "visit_system" not in butler.registry.universe:
            with pytest.raises(ExportFormatError, match=r"'visit_system'.*daf_butler version 0"):
                butler.import_(registry_data / "hsc-rc2-subset-v0.yaml", without_datastore=True)
        if "group" not in butler.registry.universe:
            with pytest.raises(ExportFormatError, match=r"'group'.*daf_butler version 7"):
                butler.import_(registry_data / "lsstcam-subset.yaml", without_datastore=True)
        assert butler.registry.query_collections() == []
        assert butler.registry.fetch_data_unit_records("instrument") == []


def _insert_base_by_hand(butler: Butler) -> None:
    """base.yaml's instrument, filters, detectors and dataset types ('flat' not as a calibration)."""
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": "Cam1", "visit_max": 1024, "visit_system": 1,
                                               "exposure_max": 512, "detector_max": 4,
                                               "class_name": "lsst.pipe.base.Instrument"}])
    registry.insert_data_units("physical_filter", [{"instrument": "Cam1", "name": n, "band": b}
                                                   for n, b in (("Cam1-G", "g"), ("Cam1-R1", "r"), ("Cam1-R2", "r"))])
    registry.insert_data_units("detector", [{"instrument": "Cam1", "id": i, "raft": r, "name_in_raft": n,
                                             "full_name": r + n, "purpose": p}
                                            for i, r, n, p in ((1, "A", "a", "SCIENCE"), (2, "A", "b", "SCIENCE"),
                                                               (3, "B", "a", "SCIENCE"), (4, "B", "b", "WAVEFRONT"))])
    registry.register_dataset_type(DatasetType("flat", ("instrument", "detector", "physical_filter"), "Exposure"))
    registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "Exposure"))


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """Timespans as [begin, end], regions as the hex of their encoding (as the reference's answers give them)."""
    def plain(key: str, value: Any) -> Any:
        if key == "timespan" and value is not None:
            return [value.begin, value.end]
        if key == "region" and value is not None:
            return bytes(value.encode()).hex()
        return value
    return {key: plain(key, value) for key, value in record.items()}


def _instants(value: list[str | None] | None) -> list[datetime.datetime | None] | None:
    """The reference's UTC ISO times as naive datetimes (to the microsecond, as databutler keeps them)."""
    if value is None:
        return None
    return [None if t is None else datetime.datetime.fromisoformat(t[:26]) for t in value]
