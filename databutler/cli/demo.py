"""The demo job: a small end-to-end session on a new repository, used by the README's first command."""

from __future__ import annotations

from collections.abc import Callable

from .. import Butler, DataButlerError, DatasetType

INSTRUMENT = "DemoCam"
RUN = "demo/run1"


def run_demo(root: str, echo: Callable[[str], None], config: str | None = None) -> Butler:
    """Create a repo at ``root`` (from ``config`` if given), insert DataUnits, put, get, find and list."""
    butler = Butler.create(root, config, run=RUN)
    echo(f"created repository {root} (registry and datastore from {root}/butler.yaml)")
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": 4}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "DC-r", "band": "r"}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d} for d in range(4)])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20260101}])
    registry.insert_data_units("visit", [
        {"instrument": INSTRUMENT, "id": v, "physical_filter": "DC-r", "day_obs": 20260101,
         "exposure_time": 30.0, "target_name": "demo field"} for v in (1, 2, 3)
    ])
    echo("inserted DataUnits: 1 instrument, 1 physical_filter (band r), 4 detectors, 1 night, 3 visits")
    registry.register_dataset_type(DatasetType("summary", ("instrument", "visit", "detector"), "StructuredData"))
    echo("registered dataset type 'summary' (instrument, visit, detector) -> StructuredData")
    refs = butler.put_many([
        ({"visit": v, "detector": d, "n_sources": 1000 + 10 * v + d}, "summary",
         {"instrument": INSTRUMENT, "visit": v, "detector": d})
        for v in (1, 2, 3) for d in range(4)
    ])
    echo(f"put {len(refs)} datasets into run {RUN!r}")
    obj = butler.get("summary", instrument=INSTRUMENT, visit=2, detector=3)
    echo(f"get summary visit=2 detector=3 -> {obj}")
    found = butler.find_dataset("summary", instrument=INSTRUMENT, visit=3, detector=0)
    echo(f"find by DataId visit=3 detector=0 -> {found}")
    echo(f"  stored at {butler.uri(found) if found else None}")
    try:
        butler.put({"x": 1}, "summary", instrument=INSTRUMENT, visit=1, detector=9)
    except DataButlerError as err:  # shown on purpose: an unknown DataUnit value is a clear domain error
        echo(f"put with an unknown detector is refused: {type(err).__name__}: {err}")
    listing = butler.registry.datasets_in_collection(RUN)
    echo(f"collection {RUN!r} holds {len(listing)} datasets:")
    for ref in listing[:5]:
        echo(f"  {ref.dataset_type.name} {dict(ref.data_id)} {ref.id}")
    if len(listing) > 5:
        echo(f"  ... and {len(listing) - 5} more")
    return butler
