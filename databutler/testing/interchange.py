"""A small repository to move between repositories, and what it must still answer afterwards.

``fill_source`` gives a Butler the standard DataUnits, two runs of ``calexp`` and ``summary``
datasets, a TAGGED collection and a chain; ``answers`` is everything a user could ask of it
that export/import and transfer must keep: refs with ids, records, collections, contents, checksums.
"""

from __future__ import annotations

from typing import Any

from ..domain.collection import CollectionKind
from ..domain.dataset_type import DatasetType
from ..service.butler import Butler
from .data import DETECTORS, VISITS, insert_standard_data_units

CALEXP = DatasetType("calexp", ("instrument", "visit", "detector"), "StructuredData")
SUMMARY = DatasetType("summary", ("instrument", "visit"), "StructuredDataDict")
RUNS = ("run1", "run2")
LABELS = ("instrument", "band", "physical_filter", "detector", "day_obs", "visit", "visit_detector_region")
"""The elements whose records the datasets' DataIds need, so an export of the datasets carries them."""


def fill_source(butler: Butler) -> None:
    """Standard DataUnits; calexp and summary datasets in run1 and run2; TAGGED 'best'; CHAINED 'all'."""
    insert_standard_data_units(butler.registry)
    butler.registry.register_dataset_type(CALEXP)
    butler.registry.register_dataset_type(SUMMARY)
    chosen = []
    for number, run in enumerate(RUNS):
        items: list[tuple[Any, str | DatasetType, dict[str, Any]]] = [
            ({"run": run, "visit": v, "detector": d, "values": [number, v, d]}, "calexp",
             {"instrument": i, "visit": v, "detector": d})
            for (i, v) in VISITS for d in DETECTORS]
        items += [({"visit": v, "run": run}, "summary", {"instrument": i, "visit": v}) for (i, v) in VISITS]
        refs = butler.put_many(items, run=run)
        chosen += [ref for ref in refs if ref.dataset_type.name == "calexp" and ref.data_id["detector"] == number + 1]
    butler.register_collection("best", CollectionKind.TAGGED, "hand-picked calexps")
    butler.associate("best", chosen)
    butler.define_chain("all", ["best", *RUNS], "everything, best first")


def answers(butler: Butler, *, contents: bool = True, elements: tuple[str, ...] = LABELS) -> dict[str, Any]:
    """What ``butler`` answers about its datasets, the records of ``elements`` and its collections."""
    registry = butler.registry
    collections = {c.name: (c.kind.value, c.doc, c.children) for c in registry.query_collections()}
    refs = sorted((str(r.id), r.dataset_type.name, r.run, tuple(sorted(r.data_id.full.items())))
                  for name, (kind, _, _) in collections.items() if kind == "RUN"
                  for r in registry.datasets_in_collection(name))
    tagged = {name: sorted(str(r.id) for r in registry.datasets_in_collection(name))
              for name, (kind, _, _) in collections.items() if kind == "TAGGED"}
    records = {unit.name: sorted(map(repr, (sorted(r.items()) for r in registry.fetch_data_unit_records(unit.name))))
               for unit in registry.universe.elements if unit.name in elements}
    ids = [r.id for name, (kind, _, _) in collections.items() if kind == "RUN"
           for r in registry.datasets_in_collection(name)]
    artifacts = registry.get_artifacts(ids)
    stored = {str(i): sorted((a.checksum, a.size, a.formatter, a.storage_class) for a in found)
              for i, found in artifacts.items()}
    result: dict[str, Any] = {"collections": collections, "refs": refs, "tagged": tagged, "records": records,
                              "artifacts": stored,
                              "dataset_types": sorted((t.name, t.units, t.storage_class)
                                                      for t in registry.query_dataset_types())}
    if contents:
        found = [r for name, (kind, _, _) in collections.items() if kind == "RUN"
                 for r in registry.datasets_in_collection(name)]
        result["contents"] = {str(r.id): value for r, value in zip(found, butler.get_many(found), strict=True)}
    return result
