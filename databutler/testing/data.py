"""A small, fixed set of DataUnit records, shared by the contract suites, and the universe they use.

The contract suites run on ``standard_universe()``: the default universe plus a stored
``visit_patch_overlap`` relationship (the default universe, as the reference's, has none: it
relates visits and patches by their regions). A user universe may still declare such a
relationship; the suites check that queries follow it.

Content (insert with ``insert_standard_data_units(registry)``):

- instruments ``Cam1`` and ``Cam2``;
- physical filters ``Cam1-g`` (band ``g``), ``Cam1-r`` (band ``r``) and ``Cam2-r`` (band ``r``);
  the bands ``g`` and ``r`` are filled in from them (``populated_by``);
- detectors 1-4 of each instrument (full names ``S00``..``S03``, purpose ``SCIENCE``);
- day_obs ``20240101`` and ``20240102`` of Cam1, ``20240101`` of Cam2, each a 24 h timespan;
- exposures 101-104 of Cam1 and 201-204 of Cam2, and one visit per exposure: Cam1 visits 1-4,
  Cam2 visits 11-14 (see ``VISITS``: filter, day_obs, exposure_time, target_name, timespan);
  Cam1 visits 1-2 are ``g`` on 20240101, visits 3-4 are ``r`` on 20240102; all Cam2 visits are
  ``r`` on 20240101; exposure_time is 30 s for odd visit ids and 15 s for even ones; target
  names are ``field1`` (first two visits of each instrument) and ``field2`` (last two);
- ``visit_definition``: exposure 100+v defines Cam1 visit v, exposure 190+v Cam2 visit v;
- ``visit_detector_region``: every visit with every detector of its instrument (32 rows);
- skymap ``SkyMap1`` with tracts 0 and 1, each with patches 0-3;
- ``visit_patch_overlap`` (when the registry's universe has it): each visit overlaps two patches
  (see ``VISIT_PATCH_OVERLAPS``).

Regions are sphgeom Boxes on a ring around the north pole (latitudes 85-89 degrees): patch
``p`` of tract ``t`` spans longitudes [45 g, 45 g + 45] with g = 4 t + p, a tract its four
patches; each visit straddles the border of the two patches it overlaps (10 degrees of
longitude, latitudes 86-88), and its detectors 1-4 are four slices of it from west to east
(1 and 2 over the first patch, 3 and 4 over the second). So the overlaps computed from the
regions are exactly ``VISIT_PATCH_OVERLAPS`` (and a universe with a spatial topology computes them,
even where it also stores them).
"""

from __future__ import annotations

import datetime
import functools
from typing import Any

from lsst import sphgeom

from ..config.universe import default_universe
from ..domain.universe import Universe
from ..domain.values import Timespan
from ..ports.registry import Registry

OVERLAP = "visit_patch_overlap"


@functools.cache
def standard_universe() -> Universe:
    """The default universe plus ``visit_patch_overlap``, a stored relationship (``always_join``)."""
    mapping = default_universe().to_mapping()
    mapping["namespace"], mapping["version"] = "databutler_testing", 1
    mapping["elements"][OVERLAP] = {"doc": "Which patches a visit overlaps (stored, not computed).",
                                    "joins": ["visit", "patch"], "always_join": True}
    return Universe.from_mapping(mapping)


def stored_overlap_universe() -> Universe:
    """``standard_universe`` without spatial topology: visit and patch relate only by the stored overlaps.

    For benchmarks of many visits: computing the overlaps instead would need a region for every
    visit and detector (``bench/spatial_bench.py`` measures that).
    """
    mapping = standard_universe().to_mapping()
    mapping.pop("topology", None)
    mapping.pop("skypix", None)
    return Universe.from_mapping(mapping)


INSTRUMENTS = ("Cam1", "Cam2")
PHYSICAL_FILTERS = {("Cam1", "Cam1-g"): "g", ("Cam1", "Cam1-r"): "r", ("Cam2", "Cam2-r"): "r"}
"""(instrument, physical_filter) -> band."""
BANDS = ("g", "r")
DETECTORS = (1, 2, 3, 4)
"""Detector ids of each instrument."""
DAY_OBS = {("Cam1", 20240101), ("Cam1", 20240102), ("Cam2", 20240101)}
SKYMAP = "SkyMap1"
TRACTS = (0, 1)
PATCHES = (0, 1, 2, 3)
"""Patch ids of each tract."""

VISITS: dict[tuple[str, int], dict[str, Any]] = {
    ("Cam1", 1): {"exposure": 101, "physical_filter": "Cam1-g", "day_obs": 20240101},
    ("Cam1", 2): {"exposure": 102, "physical_filter": "Cam1-g", "day_obs": 20240101},
    ("Cam1", 3): {"exposure": 103, "physical_filter": "Cam1-r", "day_obs": 20240102},
    ("Cam1", 4): {"exposure": 104, "physical_filter": "Cam1-r", "day_obs": 20240102},
    ("Cam2", 11): {"exposure": 201, "physical_filter": "Cam2-r", "day_obs": 20240101},
    ("Cam2", 12): {"exposure": 202, "physical_filter": "Cam2-r", "day_obs": 20240101},
    ("Cam2", 13): {"exposure": 203, "physical_filter": "Cam2-r", "day_obs": 20240101},
    ("Cam2", 14): {"exposure": 204, "physical_filter": "Cam2-r", "day_obs": 20240101},
}
"""(instrument, visit id) -> the exposure that defines it, its physical_filter and day_obs."""

VISIT_PATCH_OVERLAPS: dict[tuple[str, int], tuple[tuple[int, int], ...]] = {
    ("Cam1", 1): ((0, 0), (0, 1)),
    ("Cam1", 2): ((0, 1), (0, 2)),
    ("Cam1", 3): ((0, 2), (0, 3)),
    ("Cam1", 4): ((0, 3), (1, 0)),
    ("Cam2", 11): ((1, 0), (1, 1)),
    ("Cam2", 12): ((1, 1), (1, 2)),
    ("Cam2", 13): ((1, 2), (1, 3)),
    ("Cam2", 14): ((1, 3), (0, 0)),
}
"""(instrument, visit id) -> the (tract, patch) pairs of SKYMAP it overlaps."""


def patch_region(tract: int, patch: int) -> sphgeom.Box:
    """The region of a patch: 45 degrees of longitude on the polar ring."""
    start = 45.0 * (len(PATCHES) * tract + patch)
    return sphgeom.Box.fromDegrees(start, 85.0, start + 45.0, 89.0)


def tract_region(tract: int) -> sphgeom.Box:
    """The region of a tract: the longitudes of its four patches."""
    start = 45.0 * len(PATCHES) * tract
    return sphgeom.Box.fromDegrees(start, 85.0, start + 45.0 * len(PATCHES), 89.0)


def _border(instrument: str, visit: int) -> float:
    tract, patch = VISIT_PATCH_OVERLAPS[(instrument, visit)][0]
    return 45.0 * (len(PATCHES) * tract + patch + 1)


def visit_region(instrument: str, visit: int) -> sphgeom.Box:
    """The region of a visit: 10 degrees of longitude across the border of its two patches."""
    border = _border(instrument, visit)
    return sphgeom.Box.fromDegrees(border - 5.0, 86.0, border + 5.0, 88.0)


def detector_region(instrument: str, visit: int, detector: int) -> sphgeom.Box:
    """The region one detector saw in one visit: the ``detector``-th slice of the visit from the west."""
    west = _border(instrument, visit) - 5.0 + 2.5 * (detector - 1)
    return sphgeom.Box.fromDegrees(west + 0.1, 86.0, west + 2.4, 88.0)


def _night(day_obs: int) -> datetime.datetime:
    return datetime.datetime.strptime(str(day_obs), "%Y%m%d")


def visit_timespan(instrument: str, visit: int) -> Timespan:
    """The timespan of a visit (and of its exposure): 30 or 15 s starting at a fixed minute of its night."""
    info = VISITS[(instrument, visit)]
    begin = _night(info["day_obs"]) + datetime.timedelta(hours=22, minutes=visit)
    return Timespan(begin, begin + datetime.timedelta(seconds=exposure_time(visit)))


def exposure_time(visit: int) -> float:
    """30 s for odd visit ids, 15 s for even ones."""
    return 30.0 if visit % 2 else 15.0


def target_name(instrument: str, visit: int) -> str:
    """``field1`` for the first two visits of each instrument, ``field2`` for the last two."""
    ids = sorted(v for (i, v) in VISITS if i == instrument)
    return "field1" if ids.index(visit) < 2 else "field2"


def standard_records(universe: Universe | None = None) -> dict[str, list[dict[str, Any]]]:
    """The records of the standard data set, by element, in an order they can be inserted in.

    ``visit_patch_overlap`` records are left out when ``universe`` (default: the standard
    universe) lacks the element.
    """
    records: dict[str, list[dict[str, Any]]] = {
        "instrument": [{"name": name, "detector_max": len(DETECTORS), "visit_max": 100, "exposure_max": 1000,
                        "class_name": f"testing.{name}"} for name in INSTRUMENTS],
        "physical_filter": [{"instrument": i, "name": f, "band": b} for (i, f), b in PHYSICAL_FILTERS.items()],
        "detector": [{"instrument": i, "id": d, "full_name": f"S{d - 1:02d}", "purpose": "SCIENCE"}
                     for i in INSTRUMENTS for d in DETECTORS],
        "day_obs": [{"instrument": i, "id": d, "timespan": Timespan(_night(d), _night(d) + datetime.timedelta(days=1))}
                    for i, d in sorted(DAY_OBS)],
        "exposure": [], "visit": [], "visit_definition": [], "visit_detector_region": [],
        "skymap": [{"name": SKYMAP, "hash": "0f1e2d", "tract_max": len(TRACTS), "patch_nx_max": 2,
                    "patch_ny_max": 2}],
        "tract": [{"skymap": SKYMAP, "id": t, "region": tract_region(t)} for t in TRACTS],
        "patch": [{"skymap": SKYMAP, "tract": t, "id": p, "cell_x": p % 2, "cell_y": p // 2,
                   "region": patch_region(t, p)} for t in TRACTS for p in PATCHES],
        "visit_patch_overlap": [],
    }
    for (instrument, visit), info in VISITS.items():
        common = {"physical_filter": info["physical_filter"], "day_obs": info["day_obs"],
                  "exposure_time": exposure_time(visit), "target_name": target_name(instrument, visit),
                  "timespan": visit_timespan(instrument, visit)}
        records["exposure"].append({"instrument": instrument, "id": info["exposure"],
                                    "obs_id": f"{instrument}_{info['exposure']}", "observation_type": "science",
                                    **common})
        records["visit"].append({"instrument": instrument, "id": visit, "name": f"visit{visit}",
                                 "region": visit_region(instrument, visit), **common})
        records["visit_definition"].append({"instrument": instrument, "exposure": info["exposure"], "visit": visit})
        records["visit_detector_region"].extend(
            {"instrument": instrument, "visit": visit, "detector": d, "region": detector_region(instrument, visit, d)}
            for d in DETECTORS)
        records["visit_patch_overlap"].extend(
            {"instrument": instrument, "visit": visit, "skymap": SKYMAP, "tract": t, "patch": p}
            for t, p in VISIT_PATCH_OVERLAPS[(instrument, visit)])
    if OVERLAP not in (universe or standard_universe()):
        del records[OVERLAP]
    return records


def insert_standard_data_units(registry: Registry) -> None:
    """Insert the standard data set (see the module docstring) into ``registry``."""
    for element, records in standard_records(registry.universe).items():
        registry.insert_data_units(element, records)
