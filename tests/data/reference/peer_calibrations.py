"""Run by the reference system's Python (lsst-daf-butler): calibration collections, printed as JSON answers.

``export ROOT OUT``: a new repository with bias datasets of PeerCam detectors 1-3 certified in the
CALIBRATION collection ``calib`` (runs r1 and r2, a decertified gap), exported with copies to
OUT/export.yaml. ``import ROOT FILE``: a new repository, FILE imported with its files. Both print the
certifications of ``calib`` and which dataset ``findDataset`` finds at each instant of $TIMES for
each detector.
"""

import json
import os
import sys

from astropy.time import Time
from lsst.daf.butler import Butler, CollectionType, DatasetType, Timespan


def utc(time):
    """A bound as UTC ISO to the second, or None."""
    return None if time is None else time.utc.strftime("%Y-%m-%dT%H:%M:%S")


def answers(butler, times):
    registry = butler.registry
    certifications = sorted([str(a.ref.id), utc(a.timespan.begin), utc(a.timespan.end)]
                            for a in registry.queryDatasetAssociations("bias", collections="calib"))
    lookups = {}
    for detector in (1, 2, 3):
        for when in times:
            at = Timespan.fromInstant(Time(when, scale="utc"))
            ref = registry.findDataset("bias", instrument="PeerCam", detector=detector, collections="calib",
                                       timespan=at)
            lookups[f"{detector}@{when}"] = None if ref is None else str(ref.id)
    return {"certifications": certifications, "lookups": lookups}


def export(butler, out):
    registry = butler.registry
    registry.insertDimensionData("instrument", {"name": "PeerCam", "detector_max": 4, "visit_max": 10,
                                                "exposure_max": 10, "class_name": "x.Y", "visit_system": 0})
    registry.insertDimensionData("detector", *[{"instrument": "PeerCam", "id": i, "full_name": f"D{i}",
                                                "purpose": "SCIENCE"} for i in (1, 2, 3)])
    registry.registerDatasetType(DatasetType("bias", ("instrument", "detector"), "StructuredDataDict",
                                             universe=butler.dimensions, isCalibration=True))
    early = [butler.put({"detector": i}, "bias", instrument="PeerCam", detector=i, run="r1") for i in (1, 2, 3)]
    registry.registerRun("r2")
    late = butler.put({"detector": 1, "late": True}, "bias", instrument="PeerCam", detector=1, run="r2")
    registry.registerCollection("calib", CollectionType.CALIBRATION)
    day = lambda d: Time(f"2024-01-{d:02d}T00:00:00", scale="utc")  # noqa: E731
    registry.certify("calib", early, Timespan(day(1), day(10)))
    registry.certify("calib", [late], Timespan(day(10), None))
    registry.decertify("calib", "bias", Timespan(day(4), day(5)), dataIds=[{"instrument": "PeerCam", "detector": 1}])
    os.makedirs(out, exist_ok=True)
    with butler.export(filename="export.yaml", directory=out, transfer="copy") as exporter:
        exporter.saveDatasets([*early, late])
        exporter.saveCollection("calib")


def main():
    command, root = sys.argv[1], sys.argv[2]
    times = [t for t in os.environ.get("TIMES", "").split(",") if t]
    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True, run="r1")
    if command == "export":
        export(butler, sys.argv[3])
    else:
        path = sys.argv[3]
        butler.import_(directory=os.path.dirname(path), filename=path, transfer="copy")
    print(json.dumps(answers(butler, times)))


if __name__ == "__main__":
    main()
