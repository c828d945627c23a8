"""A demo input repository for the example pipeline: one instrument, its detectors and visits, and raws."""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Iterable, Sequence

from databutler import Butler, DatasetType

INSTRUMENT = "DemoCam"
RAW_RUN = "DemoCam/raw"
PIXELS = 64
"""Pixels of one raw (a flat list of counts: enough for a median and a few sources)."""


def make_demo_repository(root: str | os.PathLike[str], *, visits: int = 3, detectors: int = 4,
                         broken: Iterable[tuple[int, int]] = (), seed: int = 42) -> Butler:
    """Create a repository at ``root`` (the embedded default) holding raws; return its Butler.

    Raws (instrument, visit, detector) go into the run ``DemoCam/raw``. A (visit, detector) pair in ``broken`` gets a
    raw without pixels, which Calibrate refuses: a quantum that fails, on purpose.
    """
    if visits < 1 or detectors < 1:
        raise ValueError("the demo needs at least one visit and one detector")
    bad = set(broken)
    rng = random.Random(seed)
    butler = Butler.create(root, run=RAW_RUN)
    registry = butler.registry
    registry.insert_data_units("instrument", [{"name": INSTRUMENT, "detector_max": detectors,
                                               "visit_max": 10**6, "exposure_max": 10**6}])
    registry.insert_data_units("physical_filter", [{"instrument": INSTRUMENT, "name": "DC-r", "band": "r"}])
    registry.insert_data_units("detector", [{"instrument": INSTRUMENT, "id": d, "full_name": f"S{d:02d}"}
                                            for d in range(detectors)])
    registry.insert_data_units("day_obs", [{"instrument": INSTRUMENT, "id": 20260101}])
    registry.insert_data_units("visit", [{"instrument": INSTRUMENT, "id": v, "physical_filter": "DC-r",
                                          "day_obs": 20260101, "exposure_time": 30.0}
                                         for v in range(1, visits + 1)])
    registry.register_dataset_type(DatasetType("raw", ("instrument", "visit", "detector"), "StructuredData"))
    raws = []
    for visit in range(1, visits + 1):
        for detector in range(detectors):
            pixels = [] if (visit, detector) in bad else _pixels(rng)
            raws.append(({"visit": visit, "detector": detector, "exposure_time": 30.0, "pixels": pixels}, "raw",
                         {"instrument": INSTRUMENT, "visit": visit, "detector": detector}))
    butler.put_many(raws)
    return butler


def _pixels(rng: random.Random) -> list[float]:
    """A flat background near 100 counts with a few bright pixels (the sources)."""
    pixels = [round(rng.gauss(100.0, 1.0), 2) for _ in range(PIXELS)]
    for index in rng.sample(range(PIXELS), rng.randint(1, 6)):
        pixels[index] += rng.uniform(20.0, 200.0)
    return pixels


def main(argv: Sequence[str] | None = None) -> None:
    """``databutler-example-repo REPO [--visits N] [--detectors N]``: make the demo input repository."""
    parser = argparse.ArgumentParser(prog="databutler-example-repo", description=main.__doc__)
    parser.add_argument("repo", help="directory of the new repository")
    parser.add_argument("--visits", type=int, default=3)
    parser.add_argument("--detectors", type=int, default=4)
    args = parser.parse_args(argv)
    with make_demo_repository(args.repo, visits=args.visits, detectors=args.detectors):
        pass
    print(f"created {args.repo}: instrument {INSTRUMENT}, {args.detectors} detectors, {args.visits} visits; "
          f"{args.visits * args.detectors} raws in run {RAW_RUN!r}")


if __name__ == "__main__":
    main()
