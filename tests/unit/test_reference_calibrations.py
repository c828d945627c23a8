"""Calibration collections exchanged with the reference system itself (lsst-daf-butler), asked in a subprocess.

Each side certifies, exports, imports the other's file, and both answer the same questions: which
validity ranges ``calib`` holds, and which bias each detector finds at each instant. Skipped without
the reference (see test_reference_interchange.py for how it is found).
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from databutler import Butler, CollectionKind, DatasetType, Timespan
from databutler.domain.errors import CalibrationLookupError

PEER_SCRIPT = Path(__file__).parents[1] / "data" / "reference" / "peer_calibrations.py"
PEER = next((c for c in (os.environ.get("DATABUTLER_REFERENCE_PYTHON"), "/work/peer-venv/bin/python")
             if c and os.access(c, os.X_OK)), None)
pytestmark = pytest.mark.skipif(PEER is None, reason="the reference system (lsst-daf-butler) is not installed; "
                                "set DATABUTLER_REFERENCE_PYTHON")

TIMES = ("2023-12-31T12:00:00", "2024-01-01T00:00:00", "2024-01-03T23:59:59", "2024-01-04T12:00:00",
         "2024-01-05T00:00:00", "2024-01-09T23:00:00", "2024-01-10T00:00:00", "2030-01-01T00:00:00")
"""Instants around every bound the two sides certify (a bound belongs to the range it begins)."""


def ask_reference(*args: str) -> dict[str, Any]:
    assert PEER is not None
    done = subprocess.run([PEER, str(PEER_SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "TIMES": ",".join(TIMES)})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def iso(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S")


def answers(butler: Butler, instrument: str = "PeerCam") -> dict[str, Any]:
    """What peer_calibrations.py prints, asked of databutler."""
    registry = butler.registry
    certifications = sorted([str(c.ref.id), iso(c.timespan.begin), iso(c.timespan.end)]
                            for c in registry.query_certifications("calib", "bias"))
    lookups = {}
    for detector in (1, 2, 3):
        for when in TIMES:
            instant = datetime.datetime.fromisoformat(when)
            (ref,) = registry.find_datasets("bias", [{"instrument": instrument, "detector": detector}], ["calib"],
                                            timespan=Timespan(instant, instant))
            lookups[f"{detector}@{when}"] = None if ref is None else str(ref.id)
    return {"certifications": certifications, "lookups": lookups}


def test_a_reference_calibration_export_is_found_at_the_same_times(tmp_path: Path) -> None:
    theirs = ask_reference("export", str(tmp_path / "peer"), str(tmp_path / "out"))
    with Butler.create(tmp_path / "ours") as butler:
        refs = butler.import_(tmp_path / "out" / "export.yaml", transfer="copy")
        assert len(refs) == 4
        assert butler.registry.get_dataset_type("bias").is_calibration
        assert answers(butler) == theirs
        late = [r for r in refs if r.run == "r2"]
        assert butler.get("bias", instrument="PeerCam", detector=1, collections="calib",
                          timespan=Timespan(datetime.datetime(2025, 1, 1), None)) == {"detector": 1, "late": True}
        assert theirs["lookups"]["1@2030-01-01T00:00:00"] == str(late[0].id)
        assert theirs["lookups"]["1@2024-01-04T12:00:00"] is None  # the decertified gap


def test_a_databutler_calibration_collection_gives_the_reference_the_same_answers(tmp_path: Path) -> None:
    day = lambda d: datetime.datetime(2024, 1, d)  # noqa: E731
    with Butler.create(tmp_path / "ours", run="r1") as butler:
        registry = butler.registry
        registry.insert_data_units("instrument", [{"name": "PeerCam", "detector_max": 4, "class_name": "x.Y"}])
        registry.insert_data_units("detector", [{"instrument": "PeerCam", "id": i, "full_name": f"D{i}",
                                                 "purpose": "SCIENCE"} for i in (1, 2, 3)])
        registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData",
                                                   is_calibration=True))
        early = [butler.put({"detector": i}, "bias", instrument="PeerCam", detector=i) for i in (1, 2, 3)]
        late = butler.put({"detector": 1, "late": True}, "bias", instrument="PeerCam", detector=1, run="r2")
        registry.register_collection("calib", CollectionKind.CALIBRATION)
        registry.certify("calib", early, Timespan(day(1), day(10)))
        registry.certify("calib", [late], Timespan(day(10), None))
        registry.decertify("calib", "bias", Timespan(day(4), day(5)), data_ids=[{"instrument": "PeerCam",
                                                                               "detector": 1}])
        butler.export(tmp_path / "out" / "export.yaml", collections=["calib"], transfer="copy")
        ours = answers(butler)
    theirs = ask_reference("import", str(tmp_path / "peer"), str(tmp_path / "out" / "export.yaml"))
    assert theirs == ours
    assert len(ours["certifications"]) == 5  # detector 1's early range split in two around the gap


def test_queries_through_calibration_collections_choose_by_the_time_of_an_exposure_as_the_reference(
        tmp_path: Path) -> None:
    """The same repository on both sides; each of the reference's queries (datasets joined to an exposure's or
    visit's time, find-first or not, through chains; one data ID query) has the same answer here."""
    theirs = ask_reference("queries", str(tmp_path / "peer"))
    day = lambda d: datetime.datetime(2024, 1, d)  # noqa: E731
    with Butler.create(tmp_path / "ours", run="r1") as butler:
        registry = butler.registry
        for element, rows in theirs["records"].items():
            registry.insert_data_units(element, [
                {**row, "timespan": Timespan(*(datetime.datetime.fromisoformat(t) for t in row["timespan"]))}
                if "timespan" in row else row for row in rows])
        registry.register_dataset_type(DatasetType("bias", ("instrument", "detector"), "StructuredData",
                                                   is_calibration=True))
        early = [butler.put({"d": i}, "bias", instrument="PeerCam", detector=i) for i in (1, 2)]
        late = [butler.put({"d": i}, "bias", instrument="PeerCam", detector=i, run="r2") for i in (1, 2)]
        registry.register_collection("calib", CollectionKind.CALIBRATION)
        registry.certify("calib", early, Timespan(day(1), day(5)))
        registry.certify("calib", late, Timespan(day(5), day(10)))
        butler.define_chain("chain", ["r2", "calib"])
        ours: dict[str, Any] = {}
        for label, where, data_id, collections, find_first in theirs["queries"]:
            try:
                refs = registry.query_datasets("bias", collections, where=where, data_id=data_id,
                                               find_first=find_first)
                ours[label] = sorted([ref.run, ref.data_id["detector"]] for ref in refs)
            except CalibrationLookupError as err:
                ours[label] = type(err).__name__
        data_ids = registry.query_data_ids(("exposure", "detector"), datasets="bias", collections=["calib"],
                                           where="instrument = 'PeerCam'")
        ours["data_ids"] = sorted([d["exposure"], d["detector"]] for d in data_ids)
    assert ours == theirs["answers"]
    assert theirs["answers"]["exp103_outside"] == [] and theirs["answers"]["two_exposures"] == "CalibrationLookupError"
