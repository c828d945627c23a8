"""What every query contract group shares: the scenario the queries run on, and its fixtures.

The test class provides ``make_registry`` (a callable returning a fresh, empty, writeable registry
on the standard universe, ``testing.data.standard_universe()``) or, faster, overrides ``populated``
with a registry already holding the standard data of ``databutler.testing.data``; it declares
what its registry reports as ``capabilities`` (see ``databutler.testing.requirements``).

The scenario (``queried``): the standard data, calexp datasets of every visit and detector in
RUN ``run1``, newer calexps of Cam1 visits 1-2 and detectors 1-2 in RUN ``run2``, deepCoadd
datasets of band ``r`` for every patch in RUN ``coadds``, a TAGGED ``best`` holding the run1
calexps of Cam2 visit 11, and the CHAINED ``chain`` = [run2, run1].
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest

from ..domain.collection import CollectionKind
from ..domain.dataset import DatasetRef
from ..domain.values import KeyValue
from ..ports.registry import Registry
from .data import (
    DETECTORS,
    PATCHES,
    SKYMAP,
    TRACTS,
    VISITS,
    insert_standard_data_units,
)
from .registry_support import CALEXP, COADD, MakeRegistry
from .requirements import Declaring, Reported, check_declared, decided_when_built

RUN, TAGGED, CHAINED = CollectionKind.RUN, CollectionKind.TAGGED, CollectionKind.CHAINED
CAM1_VISITS = tuple(v for (i, v) in VISITS if i == "Cam1")
CAM2_VISITS = tuple(v for (i, v) in VISITS if i == "Cam2")



def calexp_keys(refs: Iterable[DatasetRef]) -> set[tuple[KeyValue, KeyValue, KeyValue, str]]:
    """(instrument, visit, detector, run) of each calexp ref."""
    return {(r.data_id["instrument"], r.data_id["visit"], r.data_id["detector"], r.run) for r in refs}




class QueryFixtures(Declaring):
    """The fixtures of every query contract group; subclass a group and provide ``make_registry``."""

    @pytest.fixture
    def make_registry(self) -> MakeRegistry:
        """Override: a callable returning a fresh, empty, writeable registry on the standard universe."""
        pytest.fail("the adapter's test class must provide a make_registry fixture", pytrace=False)

    @pytest.fixture(autouse=True)
    def _undeclared_needs(self, request: pytest.FixtureRequest) -> None:
        """For a class that declares no capabilities: build the registry first, to decide the test's marks."""
        if decided_when_built(request.node):
            check_declared(request.node, Reported.of_registry(request.getfixturevalue("populated")))

    @pytest.fixture
    def populated(self, make_registry: MakeRegistry) -> Iterator[Registry]:
        """A registry holding the standard DataUnit records (override to copy a prepared one)."""
        registry = make_registry()
        insert_standard_data_units(registry)
        yield registry
        registry.close()

    @pytest.fixture
    def queried(self, populated: Registry, request: pytest.FixtureRequest) -> Registry:
        """The scenario of the module docstring (the registry checked against the class's declaration first)."""
        check_declared(request.node, Reported.of_registry(populated))
        registry = populated
        registry.register_dataset_type(CALEXP)
        registry.register_dataset_type(COADD)
        for name in ("run1", "run2", "coadds"):
            registry.register_collection(name, RUN)
        registry.insert_datasets("calexp", "run1", [{"instrument": i, "visit": v, "detector": d}
                                                    for (i, v) in VISITS for d in DETECTORS])
        registry.insert_datasets("calexp", "run2", [{"instrument": "Cam1", "visit": v, "detector": d}
                                                    for v in (1, 2) for d in (1, 2)])
        registry.insert_datasets("deepCoadd", "coadds", [{"band": "r", "skymap": SKYMAP, "tract": t, "patch": p}
                                                         for t in TRACTS for p in PATCHES])
        registry.register_collection("best", TAGGED)
        tagged = registry.find_datasets("calexp", [{"instrument": "Cam2", "visit": 11, "detector": d}
                                                   for d in DETECTORS], ["run1"])
        registry.associate("best", [r for r in tagged if r is not None])
        registry.register_collection("chain", CHAINED)
        registry.set_chain("chain", ["run2", "run1"])
        return registry

    def test_the_class_declares_what_the_registry_reports(self, populated: Registry,
                                                          request: pytest.FixtureRequest) -> None:
        """A class that declares capabilities declares exactly those its registry reports."""
        check_declared(request.node, Reported.of_registry(populated))
