"""Run by the reference system's Python (lsst-daf-butler): calibration collections, printed as JSON answers.

``export ROOT OUT``: a new repository with bias datasets of PeerCam detectors 1-3 certified in the
CALIBRATION collection ``calib`` (runs r1 and r2, a decertified gap), exported with copies to
OUT/export.yaml. ``import ROOT FILE``: a new repository, FILE imported with its files. Both print the
certifications of ``calib`` and which dataset ``findDataset`` finds at each instant of $TIMES for
each detector. ``queries ROOT``: a new repository with exposures and visits of PeerCam and biases certified
in ``calib``; prints the records it made and the answers of ``QUERIES`` (datasets queries joined to an
exposure's or visit's time, and one data ID query).
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


DAYS = {101: 2, 102: 6, 103: 20}
"""Exposure -> its day of January 2024 (an hour from midnight UTC); visit 1000 + e has the same time."""
QUERIES = [  # label, where, data_id, collections, find_first
    ("exp101_d1", "instrument = 'PeerCam' AND exposure = 101 AND detector = 1", None, ["calib"], True),
    ("exp101", "instrument = 'PeerCam' AND exposure = 101", None, ["calib"], True),
    ("exp102", "instrument = 'PeerCam' AND exposure = 102", None, ["calib"], True),
    ("exp102_all", "instrument = 'PeerCam' AND exposure = 102", None, ["calib"], False),
    ("exp103_outside", "instrument = 'PeerCam' AND exposure = 103", None, ["calib"], True),
    ("visit1102_d1", "instrument = 'PeerCam' AND visit = 1102 AND detector = 1", None, ["calib"], True),
    ("data_id_exp102_d2", "", {"instrument": "PeerCam", "exposure": 102, "detector": 2}, ["calib"], True),
    ("no_time", "instrument = 'PeerCam' AND detector = 1", None, ["calib"], True),
    ("no_time_all", "instrument = 'PeerCam' AND detector = 1", None, ["calib"], False),
    ("two_exposures", "instrument = 'PeerCam' AND exposure IN (101, 102) AND detector = 1", None, ["calib"], True),
    ("run_first", "instrument = 'PeerCam' AND exposure = 101", None, ["chain"], True),
    ("calib_first", "instrument = 'PeerCam' AND exposure = 101", None, ["calib", "r2"], True),
    ("calib_first_outside", "instrument = 'PeerCam' AND exposure = 103", None, ["calib", "r2"], True),
    ("chain_all", "instrument = 'PeerCam' AND exposure = 101", None, ["chain"], False),
]


def queries(butler):
    registry = butler.registry
    day = lambda d: Time(f"2024-01-{d:02d}T00:00:00", scale="utc")  # noqa: E731
    hour = lambda d: Time(f"2024-01-{d:02d}T01:00:00", scale="utc")  # noqa: E731
    records = {
        "instrument": [{"name": "PeerCam", "detector_max": 4, "visit_max": 2000, "exposure_max": 2000,
                        "class_name": "x.Y", "visit_system": 0}],
        "detector": [{"instrument": "PeerCam", "id": i, "full_name": f"D{i}", "purpose": "SCIENCE"} for i in (1, 2)],
        "physical_filter": [{"instrument": "PeerCam", "name": "g", "band": "g"}],
        "day_obs": [{"instrument": "PeerCam", "id": 20240101}],
        "group": [{"instrument": "PeerCam", "name": "g1"}],
        "exposure": [{"instrument": "PeerCam", "id": e, "obs_id": f"o{e}", "physical_filter": "g", "group": "g1",
                      "day_obs": 20240101, "timespan": [day(d).isot, hour(d).isot]} for e, d in DAYS.items()],
        "visit": [{"instrument": "PeerCam", "id": 1000 + e, "physical_filter": "g", "day_obs": 20240101,
                   "timespan": [day(d).isot, hour(d).isot]} for e, d in DAYS.items()],
    }
    for element, rows in records.items():
        registry.insertDimensionData(element, *[
            {**r, "timespan": Timespan(Time(r["timespan"][0], scale="utc"), Time(r["timespan"][1], scale="utc"))}
            if "timespan" in r else r for r in rows])
    registry.registerDatasetType(DatasetType("bias", ("instrument", "detector"), "StructuredDataDict",
                                             universe=butler.dimensions, isCalibration=True))
    early = [butler.put({"d": i}, "bias", instrument="PeerCam", detector=i, run="r1") for i in (1, 2)]
    registry.registerRun("r2")
    late = [butler.put({"d": i}, "bias", instrument="PeerCam", detector=i, run="r2") for i in (1, 2)]
    registry.registerCollection("calib", CollectionType.CALIBRATION)
    registry.certify("calib", early, Timespan(day(1), day(5)))
    registry.certify("calib", late, Timespan(day(5), day(10)))
    registry.registerCollection("chain", CollectionType.CHAINED)
    registry.setCollectionChain("chain", ["r2", "calib"])
    answers = {}
    for label, where, data_id, collections, find_first in QUERIES:
        try:
            refs = registry.queryDatasets("bias", collections=collections, where=where, dataId=data_id,
                                          findFirst=find_first)
            answers[label] = sorted([ref.run, ref.dataId["detector"]] for ref in refs)
        except Exception as err:  # the answer is the kind of error
            answers[label] = type(err).__name__
    data_ids = registry.queryDataIds(["exposure", "detector"], datasets="bias", collections="calib",
                                     where="instrument = 'PeerCam'")
    answers["data_ids"] = sorted([d["exposure"], d["detector"]] for d in data_ids)
    return {"records": records, "queries": QUERIES, "answers": answers}


def main():
    command, root = sys.argv[1], sys.argv[2]
    times = [t for t in os.environ.get("TIMES", "").split(",") if t]
    Butler.makeRepo(root)
    butler = Butler.from_config(root, writeable=True, run="r1")
    if command == "queries":
        print(json.dumps(queries(butler)))
        return
    if command == "export":
        export(butler, sys.argv[3])
    else:
        path = sys.argv[3]
        butler.import_(directory=os.path.dirname(path), filename=path, transfer="copy")
    print(json.dumps(answers(butler, times)))


if __name__ == "__main__":
    main()
